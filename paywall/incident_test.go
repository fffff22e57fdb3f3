package paywall

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// incidents records replay incidents.
type incidents struct {
	nopObserver
	n atomic.Int32
}

func (i *incidents) ReplayIncident(string) { i.n.Add(1) }

// A payment served by one engine and served again by another whose store
// lost the claim (what a store loss without recovery would do) is a replay
// incident when the second settles: never that request's success. In
// header mode the client gets the 402 with the nonce-used code; in after
// mode (already served) the incident is counted and the settlement fails.
func TestSecondSettlementOfAPaymentIsAReplayIncident(t *testing.T) {
	for _, mode := range []SettleMode{SettleHeader, SettleAfter} {
		t.Run(string(mode), func(t *testing.T) {
			v := newEnv(t)
			first := v.route(SettleHeader, "10000")
			name, value := v.pay(v.payer, v.requirements("10000"), 2)
			if w := v.do(first, v.upstream(200), name, value); w.Code != 200 {
				t.Fatalf("first request: %d %s", w.Code, w.Body)
			}
			obs := &incidents{}
			settled := make(chan facilitator.SettleResponse, 1)
			other := &Engine{Facilitator: v.engine.Facilitator, Guard: NewMemoryGuard(0, 0), Funds: v.engine.Funds, Observer: obs,
				Queue: NewSettlementQueue(QueueConfig{OnResult: func(_ *Job, resp facilitator.SettleResponse, _ error) { settled <- resp }})}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				other.Close(ctx)
			})
			o, err := NewExactOffer(v.requirements("10000"), "USDC", 6)
			if err != nil {
				t.Fatal(err)
			}
			second := &Route{Name: "second", Offers: []*Offer{o}, Mode: mode, SettleDelay: time.Millisecond}
			if err := second.Init(other); err != nil {
				t.Fatal(err)
			}
			w := v.do(second, v.upstream(200), name, value)
			switch mode {
			case SettleHeader:
				if w.Code != 402 {
					t.Fatalf("replayed payment in header mode: %d, want 402", w.Code)
				}
				resp := decodeResponse(t, w, facilitator.HeaderPaymentResponse)
				if resp.Success || resp.ErrorReason != facilitator.CodeExactNonceUsed || resp.Transaction == "" {
					t.Fatalf("PAYMENT-RESPONSE %+v", resp)
				}
			case SettleAfter:
				if w.Code != 200 {
					t.Fatalf("after mode serves first: %d", w.Code)
				}
				select {
				case resp := <-settled:
					if resp.Success || !facilitator.IsReplayIncident(resp) {
						t.Fatalf("settlement of the replayed payment: %+v", resp)
					}
				case <-time.After(20 * time.Second):
					t.Fatal("settlement did not run")
				}
			}
			if obs.n.Load() != 1 {
				t.Fatalf("%d replay incidents counted, want 1", obs.n.Load())
			}
		})
	}
}
