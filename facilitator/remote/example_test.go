package remote_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/remote"
	"github.com/caddy-x402/x402/facilitator/server"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

// A Client in front of two facilitators: the first is down, the second
// answers.
func ExampleNew() {
	up := httptest.NewServer(server.New(&servertest.Recorder{}, server.WithAuth("Authorization", "Bearer t0ken")))
	defer up.Close()
	down := httptest.NewServer(nil)
	down.Close()

	c, err := remote.New(remote.Config{
		URLs:          []string{down.URL, up.URL},
		Headers:       map[string]string{"Authorization": "Bearer t0ken"},
		VerifyTimeout: 2 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	p := &facilitator.PaymentPayload{X402Version: 1, Scheme: "exact", Network: "base-sepolia", Payload: json.RawMessage(`{}`)}
	r := &facilitator.PaymentRequirements{Scheme: "exact", Network: "eip155:84532", Amount: "10000"}
	v, err := c.Verify(context.Background(), p, r)
	fmt.Println(v.IsValid, v.Payer, err)
	// Output: true 0x1111111111111111111111111111111111111111 <nil>
}
