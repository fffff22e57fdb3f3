package paywall

import (
	"net/http"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
)

// A closed gate answers 503 with Retry-After to unpaid and paid requests
// alike, before decoding anything: no offer, no upstream call, no claim.
// Opened, the same payment is served.
func TestGateClosedAnswers503(t *testing.T) {
	v := newEnv(t)
	v.engine.Gate = &Gate{}
	v.engine.Gate.Close("rpc unreachable: dial tcp 10.0.0.1:8545: connection refused")
	rt := v.route(SettleHeader, "10000")
	name, value := v.pay(v.payer, rt.Offers[0].Requirements, facilitator.V2)
	for _, hdr := range [][]string{nil, {name, value}, {name, "not base64"}} {
		w := v.do(rt, v.upstream(200), hdr...)
		body := w.Body.String()
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" || w.Header().Get(facilitator.HeaderPaymentRequired) != "" ||
			!strings.Contains(body, `"error":"service_busy"`) || strings.Contains(body, "10.0.0.1") || w.Header().Get("Cache-Control") != "private, no-store" {
			t.Fatalf("closed gate: %d %v %s", w.Code, w.Header(), body)
		}
	}
	if v.hits.Load() != 0 || v.engine.Guard.Len() != 0 {
		t.Fatalf("closed gate reached the upstream (%d) or the guard (%d)", v.hits.Load(), v.engine.Guard.Len())
	}
	if reason, closed := v.engine.Gate.Closed(); !closed || !strings.HasPrefix(reason, "rpc unreachable") {
		t.Fatalf("Closed() = %q, %v", reason, closed)
	}
	v.engine.Gate.Open()
	if w := v.do(rt, v.upstream(200), name, value); w.Code != http.StatusOK || v.hits.Load() != 1 {
		t.Fatalf("open gate: %d %s", w.Code, w.Body)
	}
	var none *Gate
	if _, closed := none.Closed(); closed {
		t.Fatal("a nil gate is closed")
	}
}
