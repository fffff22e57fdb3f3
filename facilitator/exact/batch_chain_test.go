package exact_test

import (
	"context"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
)

// batchObserver records the batches mined.
type batchObserver struct {
	mu      sync.Mutex
	batches [][3]uint64 // calls, settled, gas
}

func (o *batchObserver) SettlementMined(_ uint64, calls, settled int, gas uint64) {
	o.mu.Lock()
	o.batches = append(o.batches, [3]uint64{uint64(calls), uint64(settled), gas})
	o.mu.Unlock()
}

func (o *batchObserver) all() [][3]uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([][3]uint64(nil), o.batches...)
}

// batching returns a facilitator that settles through a Batcher of its
// own sender (MaxSize size, MaxWait wait).
func (e *env) batching(size int, wait time.Duration, obs exact.TxObserver, mod func(*exact.Config)) *exact.Facilitator {
	e.t.Helper()
	s := evm.NewSender(e.chain.Client, e.fac.Key, e.chain.ChainID)
	e.t.Cleanup(s.Close)
	b := exact.NewBatcher(s, e.chain.ChainID.Uint64(), exact.BatchConfig{MaxSize: size, MaxWait: wait, Observer: obs})
	e.t.Cleanup(b.Close)
	if err := b.CheckContract(testCtx(e.t)); err != nil {
		e.t.Fatal(err)
	}
	return e.newFacilitator(func(c *exact.Config) {
		c.Sender, c.Batcher = s, b
		if mod != nil {
			mod(c)
		}
	})
}

// settleAll settles every payment concurrently and returns the answers.
func settleAll(ctx context.Context, f *exact.Facilitator, r *facilitator.PaymentRequirements, ps []*facilitator.PaymentPayload) ([]facilitator.SettleResponse, []error) {
	resps, errs, _ := settleAllHooked(ctx, f, r, ps)
	return resps, errs
}

// settleAllHooked is settleAll that also returns, per payment, the
// transactions its broadcast hook was told about.
func settleAllHooked(ctx context.Context, f *exact.Facilitator, r *facilitator.PaymentRequirements, ps []*facilitator.PaymentPayload) ([]facilitator.SettleResponse, []error, [][]string) {
	resps := make([]facilitator.SettleResponse, len(ps))
	errs := make([]error, len(ps))
	hooked := make([][]string, len(ps))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx := facilitator.WithBroadcastHook(ctx, func(tx string) {
				mu.Lock()
				hooked[i] = append(hooked[i], tx)
				mu.Unlock()
			})
			resps[i], errs[i] = f.Settle(hctx, p, r)
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return resps, errs, hooked
}

// A batch of 50 with 3 bad authorizations (nonce already used, expired on
// chain, payer without funds): the 47 good ones settle in one transaction,
// each bad one fails alone with its own reason, and each balance moves
// exactly once.
func TestBatchOfFiftyWithThreeBad(t *testing.T) {
	const n, good = 50, 47
	e := newEnv(t, payerIdx+good)
	ctx := testCtx(t)
	const amount = 1_000
	r := e.req(itoa(amount))
	obs := &batchObserver{}
	f := e.batching(n, 30*time.Second, obs, nil)

	ps := make([]*facilitator.PaymentPayload, 0, n)
	addrs := []common.Address{e.payTo.Address}
	for i := range good {
		ps = append(ps, pay(t, e.payer(i).Key, r, evm.ExactOptions{ValidFor: time.Hour}))
		addrs = append(addrs, e.payer(i).Address)
	}
	// 47: its nonce is cancelled on chain by the payer before settlement.
	used := pay(t, e.payer(0).Key, r, evm.ExactOptions{ValidFor: time.Hour})
	ua := authOf(t, used)
	e.cancel(e.payer(0).Key, &ua, r)
	// 48: valid for 20 s by the facilitator's clock, but the chain is
	// moved 40 s ahead.
	expired := pay(t, e.payer(1).Key, r, evm.ExactOptions{ValidFor: 20 * time.Second, Skew: time.Second})
	// 49: signed by a fresh key that holds no tokens.
	poor, _ := crypto.GenerateKey()
	unfunded := pay(t, poor, r, evm.ExactOptions{ValidFor: time.Hour})
	ps = append(ps, used, expired, unfunded)
	addrs = append(addrs, crypto.PubkeyToAddress(poor.PublicKey))
	if err := e.chain.AdjustTime(40 * time.Second); err != nil {
		t.Fatal(err)
	}
	bal := e.snapshot(addrs...)
	facNonce := e.nonce(e.fac.Address)

	resps, errs, hooked := settleAllHooked(ctx, f, r, ps)
	tx := ""
	for i := range good {
		if errs[i] != nil || !resps[i].Success {
			t.Fatalf("payment %d: %+v, %v", i, resps[i], errs[i])
		}
		if tx == "" {
			tx = resps[i].Transaction
		}
		if resps[i].Transaction != tx {
			t.Errorf("payment %d settled in %s, payment 0 in %s: want one transaction", i, resps[i].Transaction, tx)
		}
		if len(hooked[i]) != 1 || hooked[i][0] != tx {
			t.Errorf("payment %d: broadcast hook told %v; want the batch transaction once", i, hooked[i])
		}
	}
	for i, want := range []string{facilitator.CodeExactNonceUsed, facilitator.CodeExactValidBefore, facilitator.CodeExactInsufficientBalance} {
		got := resps[good+i]
		if errs[good+i] != nil || got.Success || got.ErrorReason != want || got.Transaction != "" {
			t.Errorf("bad payment %d: %+v, %v; want %s and no transaction", i, got, errs[good+i], want)
		}
		if len(hooked[good+i]) != 0 {
			t.Errorf("bad payment %d: broadcast hook told %v; it was never sent", i, hooked[good+i])
		}
	}
	if got := e.nonce(e.fac.Address); got != facNonce+1 {
		t.Errorf("the facilitator sent %d transactions, want 1", got-facNonce)
	}
	want := deltas{e.payTo.Address: good * amount}
	for i := range good {
		want[e.payer(i).Address] = -amount
	}
	bal.expect(want)
	if rc := e.receipt(tx); rc.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("batch transaction reverted")
	}
	waitFor(t, func() bool { return len(obs.all()) == 1 })
	b := obs.all()[0]
	if b[0] != good || b[1] != good {
		t.Errorf("observed batch %v; want %d calls, %d settled", b, good, good)
	}
	t.Logf("one transaction for %d payments: %d gas, %d per payment", good, b[2], b[2]/good)

	// Settling again answers from the chain: the same transaction.
	again, err := e.newFacilitator(nil).Settle(ctx, ps[3], r)
	if err != nil || !again.Success || again.Transaction != tx {
		t.Fatalf("settling a batched payment again: %+v, %v; want success with %s", again, err, tx)
	}
}

// gatedSends is the chain with the first broadcast held until a second
// batch has been simulated and priced, so that the second batch is judged
// against a chain without the first.
type gatedSends struct {
	evm.Backend
	once      sync.Once
	estimates atomic.Int32
	release   chan struct{}
	held      chan struct{}
}

func (g *gatedSends) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	g.once.Do(func() { close(g.held); <-g.release })
	return g.Backend.SendTransaction(ctx, tx)
}

func (g *gatedSends) EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error) {
	gas, err := g.Backend.EstimateGas(ctx, msg)
	if g.estimates.Add(1) == 2 {
		close(g.release)
	}
	return gas, err
}

// A payment that passes the batch's simulation but fails on chain (its
// payer's balance went to another payment mined first) fails alone, with
// the reason read from the chain after the receipt; the others in its
// transaction settle.
func TestBatchCallFailingOnChainFailsAlone(t *testing.T) {
	e := newEnv(t, payerIdx+3)
	ctx := testCtx(t)
	r := e.req("1000")
	gate := &gatedSends{Backend: e.chain.Client, release: make(chan struct{}), held: make(chan struct{})}
	s := evm.NewSender(gate, e.fac.Key, e.chain.ChainID, evm.SenderConfig{Watcher: evm.NewReceiptWatcher(e.chain.Client, evm.WatcherConfig{})})
	t.Cleanup(s.Close)
	b := exact.NewBatcher(s, e.chain.ChainID.Uint64(), exact.BatchConfig{MaxSize: 2, MaxWait: 20 * time.Millisecond})
	t.Cleanup(b.Close)
	f := e.newFacilitator(func(c *exact.Config) { c.Backend, c.Sender, c.Batcher = gate, s, b })

	// A payer who holds exactly one payment's worth pays twice.
	lean, _ := crypto.GenerateKey()
	leanAddr := crypto.PubkeyToAddress(lean.PublicKey)
	e.transact(e.payer(2).Key, usdc.PackTransfer(leanAddr, big.NewInt(1000)))
	first := pay(t, lean, r, evm.ExactOptions{})
	second := pay(t, lean, r, evm.ExactOptions{})
	other := pay(t, e.payer(0).Key, r, evm.ExactOptions{})
	bal := e.snapshot(leanAddr, e.payer(0).Address, e.payTo.Address)

	var r1 facilitator.SettleResponse
	var err1 error
	done1 := make(chan struct{})
	go func() { r1, err1 = f.Settle(ctx, first, r); close(done1) }()
	<-gate.held // batch 1 (first) is being broadcast, not yet on chain
	var rs []facilitator.SettleResponse
	var errs []error
	done2 := make(chan struct{})
	go func() {
		rs, errs = settleAll(ctx, f, r, []*facilitator.PaymentPayload{second, other})
		close(done2)
	}()
	// Batch 2 is simulated and priced against a chain without batch 1, so
	// "second" passes; its estimate releases batch 1's broadcast.
	<-done1
	<-done2
	if err1 != nil || !r1.Success {
		t.Fatalf("first: %+v %v", r1, err1)
	}
	if errs[1] != nil || !rs[1].Success || rs[1].Transaction == r1.Transaction {
		t.Fatalf("other: %+v %v; want settled in the second batch", rs[1], errs[1])
	}
	if errs[0] != nil || rs[0].Success || rs[0].ErrorReason != facilitator.CodeExactInsufficientBalance {
		t.Fatalf("second: %+v %v; want %s from the chain", rs[0], errs[0], facilitator.CodeExactInsufficientBalance)
	}
	if rc := e.receipt(rs[1].Transaction); len(rc.Logs) != 2 {
		t.Fatalf("second batch has %d logs; want the 2 of the payment that settled", len(rc.Logs))
	}
	bal.expect(deltas{leanAddr: -1000, e.payer(0).Address: -1000, e.payTo.Address: 2000})
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Without a contract at the Multicall3 address the payments are settled
// one transaction each, and still settle.
func TestBatchWithoutMulticall3SettlesOneByOne(t *testing.T) {
	e := newEnv(t, payerIdx+2)
	ctx := testCtx(t)
	r := e.req("500")
	s := evm.NewSender(e.chain.Client, e.fac.Key, e.chain.ChainID)
	t.Cleanup(s.Close)
	b := exact.NewBatcher(s, e.chain.ChainID.Uint64(), exact.BatchConfig{Multicall3: common.Address{0xca, 0x11}, MaxWait: 10 * time.Millisecond})
	t.Cleanup(b.Close)
	if err := b.CheckContract(ctx); err == nil {
		t.Fatal("CheckContract found a contract at an empty address")
	}
	f := e.newFacilitator(func(c *exact.Config) { c.Sender, c.Batcher = s, b })
	facNonce := e.nonce(e.fac.Address)
	resps, errs := settleAll(ctx, f, r, []*facilitator.PaymentPayload{pay(t, e.payer(0).Key, r, evm.ExactOptions{}), pay(t, e.payer(1).Key, r, evm.ExactOptions{})})
	for i := range resps {
		if errs[i] != nil || !resps[i].Success {
			t.Fatalf("payment %d: %+v %v", i, resps[i], errs[i])
		}
	}
	if resps[0].Transaction == resps[1].Transaction || e.nonce(e.fac.Address) != facNonce+2 {
		t.Fatalf("want two transactions, got %s and %s", resps[0].Transaction, resps[1].Transaction)
	}
}
