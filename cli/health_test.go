package cli

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	ready := true
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ready" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"not ready","reasons":["x402 network eip155:84532: on-chain checks not passed"]}` + "\n"))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
	}))
	defer ts.Close()
	u, _ := url.Parse(ts.URL)

	stdout, _, code := runX402(t, "", "health", "--url", ts.URL+"/ready")
	if code != 0 || stdout != `{"status":"ready"}`+"\n" {
		t.Fatalf("ready: %d %q", code, stdout)
	}
	// The default URL is the sidecar's readiness on X402_HEALTH_PORT.
	t.Setenv("X402_HEALTH_PORT", u.Port())
	if _, _, code := runX402(t, "", "health"); code != 0 {
		t.Fatalf("default URL: %d", code)
	}
	ready = false
	stdout, stderr, code := runX402(t, "", "health")
	if code != exitFailure || !strings.Contains(stdout, "on-chain checks not passed") || !strings.Contains(stderr, "answered HTTP 503") {
		t.Fatalf("not ready: %d %q %q", code, stdout, stderr)
	}
	ts.Close()
	if _, stderr, code := runX402(t, "", "health", "--timeout", "2s"); code != exitFailure || !strings.Contains(stderr, "caddy x402 health: http://127.0.0.1:"+u.Port()+"/ready: ") {
		t.Fatalf("no server: %d %q", code, stderr)
	}
	for _, args := range [][]string{{"health", "--url", "ftp://x/"}, {"health", "--timeout", "0s"}, {"health", "extra"}} {
		if _, _, code := runX402(t, "", args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestSidecarPrintsTheCaddyfile(t *testing.T) {
	t.Setenv("X402_UPSTREAM", "http://127.0.0.1:3000")
	t.Setenv("X402_ROUTES", "/v1/* 0.01")
	t.Setenv("X402_PAY_TO", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
	t.Setenv("X402_NETWORK", "dev")
	stdout, _, code := runX402(t, "", "sidecar")
	if code != 0 || !strings.Contains(stdout, "\tx402 /v1/* {\n\t\tprice 0.01\n") || !strings.Contains(stdout, "reverse_proxy http://127.0.0.1:3000") {
		t.Fatalf("%d\n%s", code, stdout)
	}
	t.Setenv("X402_PAY_TO", "0x12")
	if _, stderr, code := runX402(t, "", "sidecar"); code != exitUsage || !strings.Contains(stderr, `caddy x402 sidecar: X402_PAY_TO: "0x12" is not a 0x-prefixed 20-byte hex address`) {
		t.Fatalf("%d %s", code, stderr)
	}
}
