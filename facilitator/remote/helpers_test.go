package remote

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/server"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

const (
	testPayTo = "0x3333333333333333333333333333333333333333"
	testAsset = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
	// testPayload is compact: the client re-encodes it, which compacts JSON.
	testPayload = `{"signature":"0xabcdef","authorization":{"from":"0x1111111111111111111111111111111111111111","validAfter":1700000000,"validBefore":"1700003600"},"future":[1,2]}`
)

func testRequirements() *facilitator.PaymentRequirements {
	return &facilitator.PaymentRequirements{Scheme: "exact", Network: "eip155:84532", Amount: "10000", Asset: testAsset,
		PayTo: testPayTo, MaxTimeoutSeconds: 60, Extra: json.RawMessage(`{"name":"USDC","version":"2"}`)}
}

func v2Payload() *facilitator.PaymentPayload {
	return &facilitator.PaymentPayload{X402Version: 2, Resource: &facilitator.ResourceInfo{URL: "https://api.example/paid"},
		Accepted: testRequirements(), Payload: json.RawMessage(testPayload)}
}

func v1Payload() *facilitator.PaymentPayload {
	return &facilitator.PaymentPayload{X402Version: 1, Scheme: "exact", Network: "base-sepolia", Payload: json.RawMessage(testPayload)}
}

// counted is an httptest server that counts its requests.
type counted struct {
	*httptest.Server
	hits atomic.Int32
}

func newCounted(t *testing.T, h http.Handler) *counted {
	t.Helper()
	c := &counted{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// facilitatorServer is our facilitator API over a recorder, counted.
func facilitatorServer(t *testing.T, rec *servertest.Recorder, opts ...server.Option) *counted {
	t.Helper()
	return newCounted(t, server.New(rec, opts...))
}

// fixed answers every request with status and body.
func fixed(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}

// hang holds every request until the client gives up (bounded at 5 s). It
// reads the body first: only then does net/http notice a closed connection.
func hang() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
}

// refusedURL returns a loopback URL where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.VerifyTimeout == 0 {
		cfg.VerifyTimeout = 2 * time.Second
	}
	if cfg.SettleTimeout == 0 {
		cfg.SettleTimeout = 2 * time.Second
	}
	if cfg.SupportedTimeout == 0 {
		cfg.SupportedTimeout = 2 * time.Second
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
