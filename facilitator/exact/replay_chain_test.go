package exact_test

import (
	"context"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// A settlement marked with the request's own transactions
// (facilitator.WithOwnTransactions) that finds its authorization already
// used by another transaction — in this process's cache, in a fresh
// process through the chain, or expired since — is a replay incident: the
// nonce-used failure with the other transaction, never this request's
// success. The request that sent the transaction still sees its success
// when it settles again (its own hash is listed), and unmarked callers keep
// the idempotent answer.
func TestSettleFindsAnotherRequestsTransaction(t *testing.T) {
	e := newEnv(t, 1)
	ctx := testCtx(t)
	r := e.req("10000")
	f := e.newFacilitator(nil)
	p := pay(t, e.payer(0).Key, r, evm.ExactOptions{})
	first, err := f.Settle(facilitator.WithOwnTransactions(ctx), p, r)
	if err != nil || !first.Success {
		t.Fatalf("first settlement: %+v %v", first, err)
	}
	check := func(name string, got facilitator.SettleResponse, err error) {
		t.Helper()
		if err != nil || got.Success || got.ErrorReason != facilitator.CodeExactNonceUsed || got.Transaction != first.Transaction || !facilitator.IsReplayIncident(got) {
			t.Fatalf("%s: %+v %v; want the nonce-used failure naming %s", name, got, err, first.Transaction)
		}
	}
	other := facilitator.WithOwnTransactions(ctx) // another request: sent nothing
	got, err := f.Settle(other, p, r)
	check("same process", got, err)
	got, err = e.newFacilitator(nil).Settle(other, p, r)
	check("fresh process", got, err)
	got, err = e.newFacilitator(nil).Settle(facilitator.WithOwnTransactions(ctx, first.Transaction), p, r)
	if err != nil || !got.Success || got.Transaction != first.Transaction {
		t.Fatalf("the request that sent it, after a restart: %+v %v", got, err)
	}
	if got, err := f.Settle(context.WithoutCancel(ctx), p, r); err != nil || !got.Success {
		t.Fatalf("unmarked caller: %+v %v; want the idempotent success", got, err)
	}
}
