package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/caddy-x402/x402/facilitator/server"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

// A facilitator API under /facilitator, with a bearer token on everything
// but /health.
func ExampleNew() {
	h := server.New(&servertest.Recorder{}, server.WithPrefix("/facilitator"), server.WithAuth("Authorization", "Bearer t0ken"))
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/facilitator/health")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))

	resp, err = http.Get(srv.URL + "/facilitator/supported")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 200 {"status":"ok"}
	// 401
}
