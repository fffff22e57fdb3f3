package paywall

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// BenchmarkPaidRequest measures the paid-request path through the route
// (decode, match, in-process verification, replay claim, upstream call,
// PAYMENT-RESPONSE, queueing the settlement), with a distinct pre-signed
// payment per request. No network: the upstream is a function and
// settlement is queued with a long delay, so it does not run during the
// measurement.
func BenchmarkPaidRequest(b *testing.B) {
	v := newEnv(b)
	v.engine.Queue = NewSettlementQueue(QueueConfig{Capacity: b.N + 10})
	o, err := NewExactOffer(v.requirements("10000"), "USDC", 6)
	if err != nil {
		b.Fatal(err)
	}
	rt := &Route{Offers: []*Offer{o}, SettleDelay: time.Hour}
	if err := rt.Init(v.engine); err != nil {
		b.Fatal(err)
	}
	r := v.requirements("10000")
	headers := make([]string, b.N)
	for i := range headers {
		p, err := evm.NewExactPayment(v.payer, &r, evm.ExactOptions{})
		if err != nil {
			b.Fatal(err)
		}
		_, headers[i] = encodePayment(b, p)
	}
	next := func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(200)
		return nil
	}
	req := httptest.NewRequest(http.MethodGet, "http://api.test/paid/x", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Header = http.Header{}
		req.Header.Set(facilitator.HeaderPaymentSignature, headers[i])
		w := httptest.NewRecorder()
		if err := rt.Serve(w, req, next); err != nil || w.Code != 200 {
			b.Fatalf("request %d: %d %v", i, w.Code, err)
		}
	}
}

// BenchmarkChallenge measures the unpaid path: building and writing the 402.
func BenchmarkChallenge(b *testing.B) {
	v := newEnv(b)
	rt := v.route(SettleAfter, "10000")
	req := httptest.NewRequest(http.MethodGet, "http://api.test/paid/x", nil)
	next := func(w http.ResponseWriter, r *http.Request) error { return nil }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		_ = rt.Serve(w, req, next)
		if w.Code != 402 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkMemoryGuardClaim measures one replay-guard claim.
func BenchmarkMemoryGuardClaim(b *testing.B) {
	g := NewMemoryGuard(b.N+64*1024, 0)
	defer g.Close()
	until := time.Now().Add(time.Hour)
	keys := make([][32]byte, b.N)
	for i := range keys {
		keys[i] = evm.Keccak256([]byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := g.Claim(context.TODO(), keys[i], until); err != nil {
			b.Fatal(err)
		}
	}
}
