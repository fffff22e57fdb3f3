package exact_test

import (
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// TestSettleFiftyPayersConcurrently settles 50 payments from 50 payers at
// once through one facilitator key: every one must be mined successfully,
// with no nonce error, the key's nonce must advance by exactly 50 and every
// balance must be exact. The wall time is logged (go test -v).
func TestSettleFiftyPayersConcurrently(t *testing.T) {
	const n = 50
	e := newEnv(t, payerIdx+n)
	ctx := testCtx(t)
	const amount = 1_000
	r := e.req(itoa(amount))
	f := e.newFacilitator(nil)

	addrs := []common.Address{e.payTo.Address}
	payments := make([]*facilitator.PaymentPayload, n)
	for i := range n {
		payments[i] = pay(t, e.payer(i).Key, r, evm.ExactOptions{})
		addrs = append(addrs, e.payer(i).Address)
	}
	bal := e.snapshot(addrs...)
	head, err := e.chain.Client.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	facNonce := e.nonce(e.fac.Address)

	resps := make([]facilitator.SettleResponse, n)
	errs := make([]error, n)
	took := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t0 := time.Now()
			resps[i], errs[i] = f.Settle(ctx, payments[i], r)
			took[i] = time.Since(t0)
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(t0)

	seen := map[string]int{}
	var slowest time.Duration
	for i := range n {
		if errs[i] != nil || !resps[i].Success {
			t.Errorf("payer %d: %+v, %v", i, resps[i], errs[i])
			continue
		}
		if j, dup := seen[resps[i].Transaction]; dup {
			t.Errorf("payers %d and %d share transaction %s", j, i, resps[i].Transaction)
		}
		seen[resps[i].Transaction] = i
		if rc := e.receipt(resps[i].Transaction); rc.Status != types.ReceiptStatusSuccessful {
			t.Errorf("payer %d: transaction %s reverted", i, resps[i].Transaction)
		}
		slowest = max(slowest, took[i])
	}
	if got := e.nonce(e.fac.Address); got != facNonce+n {
		t.Errorf("facilitator nonce advanced by %d, want %d", got-facNonce, n)
	}
	want := deltas{e.payTo.Address: n * amount}
	for i := range n {
		want[e.payer(i).Address] = -amount
	}
	bal.expect(want)

	last, err := e.chain.Client.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var gas uint64
	for b := head + 1; b <= last; b++ {
		blk, err := e.chain.Client.BlockByNumber(ctx, new(big.Int).SetUint64(b))
		if err != nil {
			t.Fatal(err)
		}
		gas += blk.GasUsed()
	}
	t.Logf("%d concurrent settlements: wall %v (slowest call %v), %d blocks, %d gas in all",
		n, wall.Round(time.Millisecond), slowest.Round(time.Millisecond), last-head, gas)
}
