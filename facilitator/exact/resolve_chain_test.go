package exact_test

import (
	"context"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
)

// poolBackend is the dev chain plus a transaction pool the test controls:
// hashes it knows are "waiting" (no receipt, found by TransactionByHash),
// and the account nonce it reports can be moved past them.
type poolBackend struct {
	evm.Backend
	mu      sync.Mutex
	waiting map[common.Hash]*types.Transaction
	nonce   map[common.Address]uint64
}

func (b *poolBackend) TransactionReceipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	b.mu.Lock()
	_, ok := b.waiting[h]
	b.mu.Unlock()
	if ok {
		return nil, ethereum.NotFound
	}
	return b.Backend.TransactionReceipt(ctx, h)
}

func (b *poolBackend) TransactionByHash(ctx context.Context, h common.Hash) (*types.Transaction, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if tx, ok := b.waiting[h]; ok {
		return tx, true, nil
	}
	return nil, false, ethereum.NotFound
}

func (b *poolBackend) NonceAt(ctx context.Context, a common.Address, n *big.Int) (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nonce[a], nil
}

// ResolveSettlement reads how an interrupted settlement ended from the
// chain: settled when the authorization carries this payment's transfer;
// unsettled when nothing was broadcast, when every broadcast is mined, its
// nonce taken or unknown to the node without using it, or when the
// authorization expired unused; pending while a broadcast waits in the pool.
func TestResolveSettlement(t *testing.T) {
	e := newEnv(t, 6)
	ctx := testCtx(t)
	pool := &poolBackend{Backend: e.chain.Client, waiting: map[common.Hash]*types.Transaction{}, nonce: map[common.Address]uint64{}}
	f := e.newFacilitator(func(c *exact.Config) { c.Backend = pool })
	settler := e.newFacilitator(nil)
	r := e.req("10000")
	resolve := func(p *facilitator.PaymentPayload, txs ...string) facilitator.Resolution {
		t.Helper()
		res, err := f.ResolveSettlement(ctx, p, r, txs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want := func(name string, got facilitator.Resolution, state facilitator.SettlementState) {
		t.Helper()
		if got.State != state {
			t.Fatalf("%s: %+v, want %s", name, got, state)
		}
	}

	// Nothing broadcast, authorization unused: unsettled.
	p := pay(t, e.payer(0).Key, r, evm.ExactOptions{})
	want("nothing broadcast", resolve(p), facilitator.SettlementUnsettled)

	// Settled on chain (by another process's transaction): settled with it.
	sr, err := settler.Settle(ctx, p, r)
	if err != nil || !sr.Success {
		t.Fatalf("settle: %+v %v", sr, err)
	}
	got := resolve(p)
	want("used on chain", got, facilitator.SettlementSettled)
	if got.Tx != sr.Transaction {
		t.Fatalf("resolved with %s, settled by %s", got.Tx, sr.Transaction)
	}

	// A broadcast waiting in the pool with a nonce the account has not
	// passed: pending; once another transaction takes its nonce: unsettled.
	p = pay(t, e.payer(1).Key, r, evm.ExactOptions{})
	waiting, err := types.SignNewTx(e.fac.Key, types.LatestSignerForChainID(e.chain.ChainID), &types.DynamicFeeTx{
		ChainID: e.chain.ChainID, Nonce: 1000, Gas: 100000, GasFeeCap: big.NewInt(1), GasTipCap: big.NewInt(1), To: &e.chain.Token,
	})
	if err != nil {
		t.Fatal(err)
	}
	pool.mu.Lock()
	pool.waiting[waiting.Hash()] = waiting
	pool.nonce[e.fac.Address] = 1000
	pool.mu.Unlock()
	want("waiting in the pool", resolve(p, waiting.Hash().Hex()), facilitator.SettlementPending)
	pool.mu.Lock()
	pool.nonce[e.fac.Address] = 1001
	pool.mu.Unlock()
	want("nonce taken", resolve(p, waiting.Hash().Hex()), facilitator.SettlementUnsettled)

	// A transaction the node does not know (recorded ahead of a broadcast
	// that never happened): unsettled.
	unknown := common.HexToHash("0x1234").Hex()
	want("unknown transaction", resolve(p, unknown), facilitator.SettlementUnsettled)
	// Expired unused, even with a transaction still waiting: unsettled.
	expired := pay(t, e.payer(1).Key, r, evm.ExactOptions{Now: time.Now().Add(-time.Hour), ValidFor: time.Minute})
	pool.mu.Lock()
	pool.nonce[e.fac.Address] = 1000
	pool.mu.Unlock()
	want("expired unused", resolve(expired, waiting.Hash().Hex()), facilitator.SettlementUnsettled)

	// A mined transaction that did not use the authorization: unsettled.
	other := pay(t, e.payer(2).Key, r, evm.ExactOptions{})
	sr, err = settler.Settle(ctx, other, r)
	if err != nil || !sr.Success {
		t.Fatalf("settle: %+v %v", sr, err)
	}
	want("mined without this payment", resolve(p, sr.Transaction), facilitator.SettlementUnsettled)

	// Through the router, as the paywall calls it.
	router := facilitator.NewRouter()
	router.Handle("exact", f.Network(), f)
	if res, err := router.ResolveSettlement(ctx, p, r, nil); err != nil || res.State != facilitator.SettlementUnsettled {
		t.Fatalf("router: %+v %v", res, err)
	}
}
