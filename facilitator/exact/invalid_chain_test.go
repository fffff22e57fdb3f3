package exact_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
)

// TestVerifySimulateDiagnosis runs Verify with Simulate on payments that pass
// every offline check but would fail on chain, and expects the diagnosis the
// reference facilitators give.
func TestVerifySimulateDiagnosis(t *testing.T) {
	e := newEnv(t, 12)
	ctx := testCtx(t)
	f := e.newFacilitator(func(c *exact.Config) { c.Simulate = true })
	withExtra := func(extra string) *facilitator.PaymentRequirements {
		r := e.req("1000")
		r.Extra = json.RawMessage(extra)
		return r
	}
	cases := []struct {
		name  string
		setup func(payer int) (*facilitator.PaymentPayload, *facilitator.PaymentRequirements)
		code  string // "" for valid
	}{
		{"valid", func(i int) (*facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := e.req("1000")
			return pay(t, e.payer(i).Key, r, evm.ExactOptions{}), r
		}, ""},
		{"nonce already used on chain", func(i int) (*facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := e.req("1000")
			p := pay(t, e.payer(i).Key, r, evm.ExactOptions{})
			if s, err := f.Settle(ctx, p, r); err != nil || !s.Success {
				t.Fatalf("settling first: %+v, %v", s, err)
			}
			return p, r
		}, facilitator.CodeExactNonceUsed},
		{"nonce cancelled", func(i int) (*facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := e.req("1000")
			p := pay(t, e.payer(i).Key, r, evm.ExactOptions{})
			a := authOf(t, p)
			e.cancel(e.payer(i).Key, &a, r)
			return p, r
		}, facilitator.CodeExactNonceUsed},
		{"payer without enough balance", func(i int) (*facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := e.req(e.balance(e.payer(i).Address).String() + "1") // ten times the balance, plus one
			return pay(t, e.payer(i).Key, r, evm.ExactOptions{}), r
		}, facilitator.CodeExactInsufficientBalance},
		{"wrong extra.name", func(i int) (*facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := withExtra(`{"name":"USDC","version":"2"}`)
			return pay(t, e.payer(i).Key, r, evm.ExactOptions{}), r
		}, facilitator.CodeExactTokenNameMismatch},
		{"wrong extra.version", func(i int) (*facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := withExtra(`{"name":"USD Coin","version":"1"}`)
			return pay(t, e.payer(i).Key, r, evm.ExactOptions{}), r
		}, facilitator.CodeExactTokenVersionMismatch},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, r := tc.setup(i)
			v, err := f.Verify(ctx, p, r)
			if err != nil {
				t.Fatalf("verify error: %v", err)
			}
			if v.IsValid != (tc.code == "") || v.InvalidReason != tc.code {
				t.Fatalf("verify: %+v; want reason %q", v, tc.code)
			}
			if !v.IsValid && (v.InvalidMessage == "" || v.Payer != e.payer(i).Address.Hex()) {
				t.Fatalf("verify: %+v; want a message and the payer", v)
			}
			// Without simulation the same payment passes: the offline checks
			// cannot see any of this.
			if v, err := e.newFacilitator(nil).Verify(ctx, p, r); err != nil || !v.IsValid {
				t.Fatalf("offline verify: %+v, %v", v, err)
			}
		})
	}
}

// TestSettleRejections settles payments that must fail before any
// transaction is broadcast: the facilitator's nonce must not move and the
// answer must carry the code and no transaction hash.
func TestSettleRejections(t *testing.T) {
	e := newEnv(t, 12)
	ctx := testCtx(t)
	type tc struct {
		name  string
		setup func(payer int) (*exact.Facilitator, *facilitator.PaymentPayload, *facilitator.PaymentRequirements)
		code  string
	}
	cases := []tc{
		{"nonce cancelled with cancelAuthorization", func(i int) (*exact.Facilitator, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := e.req("1000")
			p := pay(t, e.payer(i).Key, r, evm.ExactOptions{})
			a := authOf(t, p)
			e.cancel(e.payer(i).Key, &a, r)
			return e.newFacilitator(nil), p, r
		}, facilitator.CodeExactNonceUsed},
		{"expired by the facilitator's clock", func(i int) (*exact.Facilitator, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := e.req("1000")
			p := pay(t, e.payer(i).Key, r, evm.ExactOptions{ValidFor: time.Minute})
			later := func() time.Time { return time.Now().Add(61 * time.Second) }
			return e.newFacilitator(func(c *exact.Config) { c.Now = later }), p, r
		}, facilitator.CodeExactValidBefore},
		{"expired by the chain's clock", func(i int) (*exact.Facilitator, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			// The facilitator's clock is an hour slow: it accepts the
			// window, the token (block time) reverts it as expired.
			slow := func() time.Time { return time.Now().Add(-time.Hour) }
			r := e.req("1000")
			p := pay(t, e.payer(i).Key, r, evm.ExactOptions{Now: slow(), ValidFor: 10 * time.Minute})
			return e.newFacilitator(func(c *exact.Config) { c.Now = slow }), p, r
		}, facilitator.CodeExactValidBefore},
		{"balance drained between verify and settle", func(i int) (*exact.Facilitator, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := e.req("1000")
			p := pay(t, e.payer(i).Key, r, evm.ExactOptions{})
			f := e.newFacilitator(func(c *exact.Config) { c.Simulate = true })
			if v, err := f.Verify(ctx, p, r); err != nil || !v.IsValid {
				t.Fatalf("verify before draining: %+v, %v", v, err)
			}
			e.transact(e.payer(i).Key, usdc.PackTransfer(common.Address{0xde, 0xad}, e.balance(e.payer(i).Address)))
			return f, p, r
		}, facilitator.CodeExactInsufficientBalance},
		{"signed by another key", func(i int) (*exact.Facilitator, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) {
			r := e.req("1000")
			return e.newFacilitator(nil), payAs(t, e.payer(i+1).Key, e.payer(i).Address, r, nil), r
		}, facilitator.CodeExactSignature},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, p, r := c.setup(i)
			bal := e.snapshot(e.payer(i).Address, e.payTo.Address)
			facNonce := e.nonce(e.fac.Address)
			s, err := f.Settle(ctx, p, r)
			if err != nil {
				t.Fatalf("settle error: %v", err)
			}
			if s.Success || s.ErrorReason != c.code || s.ErrorMessage == "" || s.Transaction != "" {
				t.Fatalf("settle: %+v; want failure %s with a message and no transaction", s, c.code)
			}
			if n := e.nonce(e.fac.Address); n != facNonce {
				t.Fatalf("facilitator sent %d transactions", n-facNonce)
			}
			bal.expect(nil)
		})
	}
}

// TestSettleExpiredOnChainAfterAdjustTime moves the chain's clock past a
// payment's validBefore (a dedicated chain: it stays ahead afterwards) while
// the facilitator's clock still accepts it: the token's revert reason maps
// to valid_before and nothing is broadcast.
func TestSettleExpiredOnChainAfterAdjustTime(t *testing.T) {
	e := newEnv(t, 4)
	ctx := testCtx(t)
	r := e.req("1000")
	p := pay(t, e.payer(0).Key, r, evm.ExactOptions{ValidFor: 30 * time.Second})
	f := e.newFacilitator(nil)
	if v, err := f.Verify(ctx, p, r); err != nil || !v.IsValid {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	if err := e.chain.AdjustTime(time.Minute); err != nil {
		t.Fatal(err)
	}
	facNonce := e.nonce(e.fac.Address)
	s, err := f.Settle(ctx, p, r)
	if err != nil || s.Success || s.ErrorReason != facilitator.CodeExactValidBefore || s.Transaction != "" {
		t.Fatalf("settle: %+v, %v; want failure %s without a transaction", s, err, facilitator.CodeExactValidBefore)
	}
	if n := e.nonce(e.fac.Address); n != facNonce {
		t.Fatalf("facilitator sent %d transactions", n-facNonce)
	}
}

// TestSettlePendingThenSettled: the receipt does not show up within
// ReceiptTimeout (the node's receipts lag), so Settle answers
// settlement_pending with the transaction hash; once receipts are visible,
// settling again answers success with that same transaction, which moved
// the money exactly once.
func TestSettlePendingThenSettled(t *testing.T) {
	e := newEnv(t, 4)
	ctx := testCtx(t)
	const amount = 777
	r := e.req(itoa(amount))
	payer := e.payer(0)
	gate := &gatedBackend{Backend: e.chain.Client}
	gate.setClosed(true)
	f := e.newFacilitator(func(c *exact.Config) { c.Backend = gate; c.ReceiptTimeout = 200 * time.Millisecond })
	bal := e.snapshot(payer.Address, e.payTo.Address)
	facNonce := e.nonce(e.fac.Address)

	p := pay(t, payer.Key, r, evm.ExactOptions{})
	s, err := f.Settle(ctx, p, r)
	if err != nil || s.Success || s.ErrorReason != facilitator.CodeSettlementPending || len(s.Transaction) != 66 || s.Payer != payer.Address.Hex() {
		t.Fatalf("settle with lagging receipts: %+v, %v; want %s with a transaction hash", s, err, facilitator.CodeSettlementPending)
	}
	// Still pending while the receipts lag; no second transaction either.
	if s2, err := f.Settle(ctx, p, r); err != nil || s2.ErrorReason != facilitator.CodeSettlementPending || s2.Transaction != s.Transaction {
		t.Fatalf("second settle while pending: %+v, %v", s2, err)
	}
	gate.setClosed(false)
	done, err := f.Settle(ctx, p, r)
	if err != nil || !done.Success || done.Transaction != s.Transaction {
		t.Fatalf("settle after the receipt appeared: %+v, %v; want success with %s", done, err, s.Transaction)
	}
	if n := e.nonce(e.fac.Address); n != facNonce+1 {
		t.Fatalf("facilitator sent %d transactions, want 1", n-facNonce)
	}
	bal.expect(deltas{payer.Address: -amount, e.payTo.Address: amount})

	// A receipt timeout too short for any chain: pending with the hash, and
	// another process finds the mined transaction on chain.
	tiny := e.newFacilitator(func(c *exact.Config) { c.ReceiptTimeout = time.Nanosecond })
	p2 := pay(t, payer.Key, r, evm.ExactOptions{})
	s, err = tiny.Settle(ctx, p2, r)
	if err != nil || s.ErrorReason != facilitator.CodeSettlementPending || len(s.Transaction) != 66 {
		t.Fatalf("settle with a 1 ns receipt timeout: %+v, %v; want %s with a transaction hash", s, err, facilitator.CodeSettlementPending)
	}
	if _, err := devchain.WaitSuccess(ctx, e.chain.Client, common.HexToHash(s.Transaction), 0); err != nil {
		t.Fatal(err)
	}
	if done, err := e.newFacilitator(nil).Settle(ctx, p2, r); err != nil || !done.Success || done.Transaction != s.Transaction {
		t.Fatalf("fresh facilitator after the pending answer: %+v, %v; want success with %s", done, err, s.Transaction)
	}
	bal.expect(deltas{payer.Address: -2 * amount, e.payTo.Address: 2 * amount})
}
