package devchain

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

// signedTWA builds (without sending) a transferWithAuthorization of value
// from payer to payee, submitted by relayer with the given transaction nonce
// and a fixed gas limit, so that many can be prepared back to back.
func signedTWA(t *testing.T, c *Chain, b bind.ContractBackend, relayer *ecdsa.PrivateKey, nonce uint64, payer, payee Account, value int64) *types.Transaction {
	t.Helper()
	a := newAuth(payer.Address, payee.Address, value)
	data := usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sign(t, payer.Key, authDigest(t, c, twa, a)))
	opts := Transactor(testCtx(t), relayer, c.ChainID)
	opts.NoSend = true
	opts.Nonce = new(big.Int).SetUint64(nonce)
	opts.GasLimit = 150_000
	tx, err := bind.Transact(usdc.Instance(b, c.Token), opts, data)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func headOf(t *testing.T, c *Chain) *types.Header {
	t.Helper()
	h, err := c.Client.HeaderByNumber(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// burst sends n transferWithAuthorization transactions, one every gap,
// without waiting for receipts, then waits for all of them. It returns the
// number of blocks they took.
func burst(t *testing.T, c *Chain, n int, gap time.Duration) uint64 {
	t.Helper()
	ctx := testCtx(t)
	first := headOf(t, c).Number.Uint64()
	relayers := c.Accounts[1:]
	txs := make([]*types.Transaction, n)
	for i := range txs {
		r := relayers[i%len(relayers)]
		txs[i] = signedTWA(t, c, c.Client, r.Key, uint64(i/len(relayers)), c.Accounts[(i+1)%len(c.Accounts)], c.Accounts[0], 1)
	}
	for _, tx := range txs {
		if err := c.Client.SendTransaction(ctx, tx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(gap)
	}
	for _, tx := range txs {
		if _, err := WaitSuccess(ctx, c.Client, tx.Hash(), 15*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return headOf(t, c).Number.Uint64() - first
}

// TestTimestampsTrackWallClock: 200 transactions arriving over about a second
// would make about 200 blocks, each a second past its parent (block
// timestamps are whole seconds and must increase), so the chain would run
// minutes ahead of the wall clock. The bound holds it to MaxAhead.
func TestTimestampsTrackWallClock(t *testing.T) {
	c := startChain(t, Options{})
	start := time.Now()
	blocks := burst(t, c, 200, 5*time.Millisecond)
	head := headOf(t, c)
	ahead := time.Until(time.Unix(int64(head.Time), 0))
	t.Logf("200 txs over %v: %d blocks, head %v ahead of the wall clock", time.Since(start).Round(time.Millisecond), blocks, ahead.Round(time.Millisecond))
	if ahead > DefaultMaxAhead+time.Second {
		t.Errorf("head is %v ahead of the wall clock", ahead)
	}
	if ahead < -3*time.Second {
		t.Errorf("head is %v behind the wall clock", -ahead)
	}
	if took := time.Since(start); took > slowdown*8*time.Second {
		t.Errorf("burst took %v", took)
	}
}

// TestUnboundedChainRunsAhead documents why the bound exists.
func TestUnboundedChainRunsAhead(t *testing.T) {
	c := startChain(t, Options{MaxAhead: -1})
	// Spaced so that each transaction gets its own block even on a slow,
	// loaded machine (or under the race detector).
	blocks := burst(t, c, 100, slowdown*3*time.Millisecond)
	ahead := time.Until(time.Unix(int64(headOf(t, c).Time), 0))
	t.Logf("without the bound: 100 txs gave %d blocks, head %v ahead", blocks, ahead.Round(time.Second))
	// If this fails, go-ethereum no longer forces one second per block and
	// the MaxAhead bound may be unnecessary.
	if blocks < 20 || ahead < 15*time.Second {
		t.Errorf("expected the unbounded chain to run ahead: %d blocks, %v ahead", blocks, ahead)
	}
}

func TestOneBlockPerTransactionAndNoEmptyBlocks(t *testing.T) {
	c := startChain(t, Options{Accounts: 3})
	if n := headOf(t, c).Number.Uint64(); n != 2 {
		t.Fatalf("after start the head is block %d, want 2 (deploy, mints)", n)
	}
	if blocks := burst(t, c, 1, 0); blocks != 1 {
		t.Fatalf("one transaction took %d blocks", blocks)
	}
	time.Sleep(50 * time.Millisecond)
	if n := headOf(t, c).Number.Uint64(); n != 3 {
		t.Fatalf("head is block %d 50 ms after the only transaction; empty blocks were mined", n)
	}
}

func TestAdjustTime(t *testing.T) {
	c := startChain(t, Options{Accounts: 3})
	payer, payee := c.Accounts[1], c.Accounts[2]
	before := headOf(t, c)
	if err := c.AdjustTime(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	after := headOf(t, c)
	if after.Time-before.Time != 7200 || after.Number.Uint64() != before.Number.Uint64()+1 {
		t.Fatalf("AdjustTime(2h): head %d/%d -> %d/%d", before.Number, before.Time, after.Number, after.Time)
	}
	a := newAuth(payer.Address, payee.Address, 1) // valid for one wall-clock hour
	_, err := transact(t, c, payee.Key, usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sign(t, payer.Key, authDigest(t, c, twa, a))))
	mustRevert(t, err, "FiatTokenV2: authorization is expired")

	// The miner does not hold blocks back because of a deliberate shift.
	for i := 0; i < 3; i++ {
		b := newAuth(payer.Address, payee.Address, 1)
		b.ValidBefore = big.NewInt(time.Now().Add(3 * time.Hour).Unix())
		start := time.Now()
		if _, err := transact(t, c, payee.Key, usdc.PackTransferWithAuthorizationBytes(b.From, b.To, b.Value, b.ValidAfter, b.ValidBefore, b.Nonce, sign(t, payer.Key, authDigest(t, c, twa, b)))); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Fatalf("transaction %d after AdjustTime took %v", i, took)
		}
	}
	if err := c.AdjustTime(-time.Second); err == nil {
		t.Fatal("AdjustTime(-1s) succeeded")
	}
	if n := c.Commit(); n != 0 {
		t.Fatalf("Commit with nothing pending mined %d transactions", n)
	}
}

// TestConcurrentSenders: 50 accounts each submit a payment at the same time.
func TestConcurrentSenders(t *testing.T) {
	c := startChain(t, Options{Accounts: 51})
	ctx := testCtx(t)
	first := headOf(t, c).Number.Uint64()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	start := time.Now()
	for i := 1; i <= 50; i++ {
		wg.Add(1)
		go func(sender Account) {
			defer wg.Done()
			a := newAuth(sender.Address, c.Accounts[0].Address, 1_000)
			tx, err := bind.Transact(usdc.Instance(c.Client, c.Token), Transactor(ctx, sender.Key, c.ChainID),
				usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sign(t, sender.Key, authDigest(t, c, twa, a))))
			if err == nil {
				_, err = WaitSuccess(ctx, c.Client, tx.Hash(), 10*time.Second)
			}
			errs <- err
		}(c.Accounts[i])
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	blocks := headOf(t, c).Number.Uint64() - first
	t.Logf("50 concurrent senders: all mined in %v, %d blocks", took.Round(time.Millisecond), blocks)
	if took > slowdown*3*time.Second {
		t.Errorf("50 concurrent payments took %v", took)
	}
	if got := balance(t, c, c.Accounts[0].Address); got.Cmp(new(big.Int).Add(DefaultUSDCPerAccount, big.NewInt(50_000))) != 0 {
		t.Errorf("payee balance %s", got)
	}
}

// sequential sends n payments one after another through b, each waiting for
// its receipt, and returns the submit-to-receipt latencies (gas estimate,
// nonce, fees, send, receipt).
func sequential(t *testing.T, c *Chain, b Backend, n int) []time.Duration {
	t.Helper()
	ctx := testCtx(t)
	payer, relayer := c.Accounts[1], c.Accounts[2]
	lat := make([]time.Duration, n)
	for i := range lat {
		a := newAuth(payer.Address, relayer.Address, 1)
		data := usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sign(t, payer.Key, authDigest(t, c, twa, a)))
		start := time.Now()
		tx, err := bind.Transact(usdc.Instance(b, c.Token), Transactor(ctx, relayer.Key, c.ChainID), data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := WaitSuccess(ctx, b, tx.Hash(), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		lat[i] = time.Since(start)
	}
	return lat
}

func stats(lat []time.Duration) (p50, p95, max time.Duration) {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)*95/100], s[len(s)-1]
}

// TestSequentialLatency measures submit->receipt latency in-process and over
// HTTP with the clock bound off (the raw speed of the miner), and with the
// default bound, where sequential blocks beyond the budget wait for the clock.
func TestSequentialLatency(t *testing.T) {
	c := startChain(t, Options{Accounts: 3, MaxAhead: -1, RPCAddr: "127.0.0.1:0"})
	p50, p95, max := stats(sequential(t, c, c.Client, 200))
	t.Logf("in-process, 200 sequential payments: p50 %v p95 %v max %v", p50, p95, max)
	if p50 > slowdown*50*time.Millisecond {
		t.Errorf("in-process p50 %v", p50)
	}
	ec, err := ethclient.DialContext(context.Background(), c.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	p50, p95, max = stats(sequential(t, c, ec, 100))
	t.Logf("HTTP JSON-RPC, 100 sequential payments: p50 %v p95 %v max %v", p50, p95, max)
	if p50 > slowdown*100*time.Millisecond {
		t.Errorf("HTTP p50 %v", p50)
	}

	bounded := startChain(t, Options{Accounts: 3})
	start := time.Now()
	lat := sequential(t, bounded, bounded.Client, 8)
	ahead := time.Until(time.Unix(int64(headOf(t, bounded).Time), 0))
	t.Logf("default bound, 8 sequential payments in %v: %v; head %v ahead", time.Since(start).Round(time.Millisecond), roundAll(lat), ahead.Round(time.Millisecond))
	if ahead > DefaultMaxAhead+time.Second {
		t.Errorf("head %v ahead", ahead)
	}
}

func roundAll(d []time.Duration) []time.Duration {
	out := make([]time.Duration, len(d))
	for i, x := range d {
		out[i] = x.Round(time.Millisecond)
	}
	return out
}
