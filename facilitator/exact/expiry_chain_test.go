package exact_test

import (
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
)

// clock is a facilitator clock that a test can move forward.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.offset) }
func (c *clock) skip(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// TestSettleExpiredAfterSettlement: once settled, an authorization keeps
// answering with its transaction after it expired, from the facilitator that
// settled it and from a fresh one (another process: found on chain); one
// that was never settled answers valid_before.
func TestSettleExpiredAfterSettlement(t *testing.T) {
	e := newEnv(t, 4)
	ctx := testCtx(t)
	r := e.req("500")
	p := pay(t, e.payer(0).Key, r, evm.ExactOptions{ValidFor: time.Minute})
	unsettled := pay(t, e.payer(0).Key, r, evm.ExactOptions{ValidFor: time.Minute})
	clk := &clock{}
	f := e.newFacilitator(func(c *exact.Config) { c.Now = clk.now })
	s, err := f.Settle(ctx, p, r)
	if err != nil || !s.Success {
		t.Fatalf("settle: %+v, %v", s, err)
	}
	clk.skip(2 * time.Minute) // past validBefore
	for name, fac := range map[string]*exact.Facilitator{
		"same facilitator":  f,
		"fresh facilitator": e.newFacilitator(func(c *exact.Config) { c.Now = clk.now }),
	} {
		got, err := fac.Settle(ctx, p, r)
		if err != nil || !got.Success || got.Transaction != s.Transaction || got.Payer != e.payer(0).Address.Hex() {
			t.Errorf("%s after expiry: %+v, %v; want success with %s", name, got, err, s.Transaction)
		}
		got, err = fac.Settle(ctx, unsettled, r)
		if err != nil || got.Success || got.ErrorReason != facilitator.CodeExactValidBefore || got.Transaction != "" {
			t.Errorf("%s, never settled: %+v, %v; want %s", name, got, err, facilitator.CodeExactValidBefore)
		}
	}
}

// TestSettlePendingAcrossExpiry: a settlement still pending when its
// authorization expires is not forgotten: settling again waits for that
// transaction and answers success with it.
func TestSettlePendingAcrossExpiry(t *testing.T) {
	e := newEnv(t, 4)
	ctx := testCtx(t)
	r := e.req("600")
	p := pay(t, e.payer(0).Key, r, evm.ExactOptions{ValidFor: time.Minute})
	gate := &gatedBackend{Backend: e.chain.Client}
	gate.setClosed(true)
	clk := &clock{}
	f := e.newFacilitator(func(c *exact.Config) {
		c.Backend, c.ReceiptTimeout, c.Now = gate, 100*time.Millisecond, clk.now
	})
	s, err := f.Settle(ctx, p, r)
	if err != nil || s.ErrorReason != facilitator.CodeSettlementPending || s.Transaction == "" {
		t.Fatalf("settle with lagging receipts: %+v, %v; want %s", s, err, facilitator.CodeSettlementPending)
	}
	clk.skip(2 * time.Minute)
	gate.setClosed(false)
	got, err := f.Settle(ctx, p, r)
	if err != nil || !got.Success || got.Transaction != s.Transaction {
		t.Fatalf("settle after expiry: %+v, %v; want success with %s", got, err, s.Transaction)
	}
}
