package exact_test

import (
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
)

// TestSettleOnChain signs, verifies and settles one payment on the dev
// chain, then settles the same authorization again from the same
// facilitator, from a fresh one (empty cache: found through the token's
// AuthorizationUsed log) and from 10 goroutines at once, and checks that
// exactly one transfer happened.
func TestSettleOnChain(t *testing.T) {
	e := newEnv(t, 5)
	ctx := testCtx(t)
	const amount = 12_345
	r := e.req(itoa(amount))
	payer := e.payer(0)
	f := e.newFacilitator(nil)
	bal := e.snapshot(payer.Address, e.payTo.Address, e.fac.Address)
	facNonce := e.nonce(e.fac.Address)

	p := pay(t, payer.Key, r, evm.ExactOptions{})
	v, err := f.Verify(ctx, p, r)
	if err != nil || !v.IsValid || v.Payer != payer.Address.Hex() {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	s, err := f.Settle(ctx, p, r)
	if err != nil || !s.Success || s.ErrorReason != "" {
		t.Fatalf("settle: %+v, %v", s, err)
	}
	if s.Payer != payer.Address.Hex() || s.Network != r.Network || len(s.Transaction) != 66 {
		t.Fatalf("settle answer %+v", s)
	}
	if rc := e.receipt(s.Transaction); rc.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("receipt status %d", rc.Status)
	}
	if sel := e.selector(s.Transaction); sel != selVRS {
		t.Errorf("EOA payment settled with selector %s, want the (v,r,s) overload %s", sel, selVRS)
	}
	bal.expect(deltas{payer.Address: -amount, e.payTo.Address: amount})

	// Same facilitator, same authorization: the original transaction.
	again, err := f.Settle(ctx, p, r)
	if err != nil || !again.Success || again.Transaction != s.Transaction {
		t.Fatalf("second settle: %+v, %v; want success with %s", again, err, s.Transaction)
	}
	// A new process (empty cache) finds it through AuthorizationUsed.
	fresh, err := e.newFacilitator(nil).Settle(ctx, p, r)
	if err != nil || !fresh.Success || fresh.Transaction != s.Transaction {
		t.Fatalf("fresh facilitator: %+v, %v; want success with %s", fresh, err, s.Transaction)
	}
	// The v1 form of the same authorization is the same payment.
	v1 := *p
	v1.X402Version, v1.Scheme, v1.Network, v1.Accepted = 1, "exact", r.Network, nil
	if s1, err := e.newFacilitator(nil).Settle(ctx, &v1, r); err != nil || s1.Transaction != s.Transaction {
		t.Fatalf("v1 resubmission: %+v, %v", s1, err)
	}
	if n := e.nonce(e.fac.Address); n != facNonce+1 {
		t.Fatalf("facilitator sent %d transactions, want 1", n-facNonce)
	}
	bal.expect(deltas{payer.Address: -amount, e.payTo.Address: amount})

	// 10 goroutines settle one new authorization: one transaction.
	p2 := pay(t, payer.Key, r, evm.ExactOptions{})
	hashes := settleConcurrently(t, f, p2, r, 10)
	for i, h := range hashes {
		if h != hashes[0] {
			t.Fatalf("goroutine %d got %s, goroutine 0 got %s", i, h, hashes[0])
		}
	}
	if n := e.nonce(e.fac.Address); n != facNonce+2 {
		t.Fatalf("facilitator sent %d transactions for two authorizations, want 2", n-facNonce)
	}
	bal.expect(deltas{payer.Address: -2 * amount, e.payTo.Address: 2 * amount})
}

// settleConcurrently settles p from n goroutines and returns the transaction
// hash each got (all must succeed).
func settleConcurrently(t *testing.T, f *exact.Facilitator, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements, n int) []string {
	t.Helper()
	ctx := testCtx(t)
	hashes := make([]string, n)
	errs := make([]error, n)
	resps := make([]facilitator.SettleResponse, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resps[i], errs[i] = f.Settle(ctx, p, r)
			hashes[i] = resps[i].Transaction
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !resps[i].Success {
			t.Fatalf("goroutine %d: %+v, %v", i, resps[i], errs[i])
		}
	}
	return hashes
}

// TestSettleSameNonceOtherAuthorization: a payer signs two authorizations
// with one nonce, one to an address of their own and one to the merchant.
// Once the first is settled, settling the second must fail (the nonce is
// spent and nothing reached the merchant); it must not be answered with the
// first one's transaction.
func TestSettleSameNonceOtherAuthorization(t *testing.T) {
	e := newEnv(t, 5)
	ctx := testCtx(t)
	payer, accomplice := e.payer(0), e.payer(1)
	f := e.newFacilitator(nil)
	nonce := [32]byte{1, 2, 3}

	own := e.req("1")
	own.PayTo = accomplice.Address.Hex()
	first := pay(t, payer.Key, own, evm.ExactOptions{Nonce: &nonce})
	if s, err := f.Settle(ctx, first, own); err != nil || !s.Success {
		t.Fatalf("first settle: %+v, %v", s, err)
	}

	merchant := e.req("1")
	bal := e.snapshot(payer.Address, e.payTo.Address)
	second := pay(t, payer.Key, merchant, evm.ExactOptions{Nonce: &nonce})
	if v, err := f.Verify(ctx, second, merchant); err != nil || !v.IsValid {
		t.Fatalf("offline verify of the second authorization: %+v, %v", v, err)
	}
	for name, fac := range map[string]*exact.Facilitator{"same facilitator": f, "fresh facilitator": e.newFacilitator(nil)} {
		s, err := fac.Settle(ctx, second, merchant)
		if err != nil || s.Success || s.ErrorReason != facilitator.CodeExactNonceUsed || s.Transaction != "" {
			t.Errorf("%s: %+v, %v; want failure %s without a transaction", name, s, err, facilitator.CodeExactNonceUsed)
		}
	}
	bal.expect(nil)

	// Both at once: exactly one is paid, and the other is never answered
	// with the winner's transaction.
	nonce2 := [32]byte{4, 5, 6}
	ps := []*facilitator.PaymentPayload{
		pay(t, payer.Key, own, evm.ExactOptions{Nonce: &nonce2}),
		pay(t, payer.Key, merchant, evm.ExactOptions{Nonce: &nonce2}),
	}
	rs := []*facilitator.PaymentRequirements{own, merchant}
	bal = e.snapshot(payer.Address, e.payTo.Address, accomplice.Address)
	var got [2]facilitator.SettleResponse
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], _ = f.Settle(ctx, ps[i], rs[i]) }()
	}
	wg.Wait()
	if got[0].Success == got[1].Success || got[0].Transaction == got[1].Transaction {
		t.Fatalf("concurrent settles of one nonce: %+v and %+v; want one success and one failure with another (or no) transaction", got[0], got[1])
	}
	winner := accomplice.Address
	if got[1].Success {
		winner = e.payTo.Address
	}
	bal.expect(deltas{payer.Address: -1, winner: 1})
}
