package evm_test

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
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// countingChain is the dev chain's client with the calls a receipt watcher
// makes counted. As an evm.Backend it has neither head subscriptions nor
// block receipts; sourced adds them.
type countingChain struct {
	evm.Backend
	full                 *devchain.Chain
	receipts, blockRcpts atomic.Int32
	heads                atomic.Int32
}

func (c *countingChain) TransactionReceipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	c.receipts.Add(1)
	return c.Backend.TransactionReceipt(ctx, h)
}

func (c *countingChain) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	c.heads.Add(1)
	return c.Backend.HeaderByNumber(ctx, n)
}

func (c *countingChain) NonceAt(ctx context.Context, a common.Address, n *big.Int) (uint64, error) {
	return c.full.Client.NonceAt(ctx, a, n)
}

// sourced is a countingChain with eth_getBlockReceipts and head
// subscriptions, as the dev chain offers them.
type sourced struct{ *countingChain }

func (c sourced) BlockReceipts(ctx context.Context, b rpc.BlockNumberOrHash) ([]*types.Receipt, error) {
	c.blockRcpts.Add(1)
	return c.full.Client.(interface {
		BlockReceipts(context.Context, rpc.BlockNumberOrHash) ([]*types.Receipt, error)
	}).BlockReceipts(ctx, b)
}

func (c sourced) SubscribeNewHead(ctx context.Context, ch chan<- *types.Header) (ethereum.Subscription, error) {
	return c.full.Client.SubscribeNewHead(ctx, ch)
}

// Forty transactions in flight from one key are resolved from the blocks'
// receipts: no receipt is asked for per transaction, whether heads come by
// subscription or by polling.
func TestWatcherResolvesFromBlockReceipts(t *testing.T) {
	for _, mode := range []string{"subscription", "polling"} {
		t.Run(mode, func(t *testing.T) {
			c, ctx := startChain(t, 3)
			cc := &countingChain{Backend: c.Client, full: c}
			src := sourced{cc}
			w := evm.NewReceiptWatcher(src, evm.WatcherConfig{NoSubscribe: mode == "polling", BlockTime: 20 * time.Millisecond})
			defer w.Close()
			s := evm.NewSender(src, c.Accounts[0].Key, c.ChainID, evm.SenderConfig{Watcher: w})
			defer s.Close()
			payer, payee := c.Accounts[1], c.Accounts[2]
			// A first transaction starts the watcher (its first step asks
			// for the receipt of what is watched, once).
			tx, err := s.Send(ctx, c.Token, signedTransfer(t, c, payer.Key, payer.Address, payee.Address, 1))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.WaitReceipt(ctx, tx.Hash()); err != nil {
				t.Fatal(err)
			}
			cc.receipts.Store(0)
			const n = 40
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				data := signedTransfer(t, c, payer.Key, payer.Address, payee.Address, uint64(i+2))
				wg.Add(1)
				go func() {
					defer wg.Done()
					p, err := s.Submit(ctx, c.Token, data, 0, nil)
					if err == nil {
						var r *types.Receipt
						if r, err = p.Wait(ctx); err == nil && r.Status != types.ReceiptStatusSuccessful {
							err = context.Canceled
						}
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := cc.receipts.Load(); got != 0 {
				t.Errorf("%d receipts were read one by one; want none (block receipts only)", got)
			}
			if cc.blockRcpts.Load() == 0 {
				t.Error("no block's receipts were read")
			}
			if st := s.Stats(); st.Pending != 0 || st.Sent != n+1 {
				t.Errorf("stats %+v; want nothing pending, %d sent", st, n+1)
			}
			t.Logf("%s: %d block-receipt reads, %d head reads for %d transactions", mode, cc.blockRcpts.Load(), cc.heads.Load(), n+1)
		})
	}
}

// Without eth_getBlockReceipts the watcher asks for each watched
// transaction's receipt once per new block.
func TestWatcherFallsBackToReceiptsByHash(t *testing.T) {
	c, ctx := startChain(t, 3)
	cc := &countingChain{Backend: c.Client, full: c}
	s := evm.NewSender(cc, c.Accounts[0].Key, c.ChainID)
	defer s.Close()
	payer, payee := c.Accounts[1], c.Accounts[2]
	for i := range 3 {
		tx, err := s.Send(ctx, c.Token, signedTransfer(t, c, payer.Key, payer.Address, payee.Address, uint64(i+1)))
		if err != nil {
			t.Fatal(err)
		}
		if r, err := s.WaitReceipt(ctx, tx.Hash()); err != nil || r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("receipt %+v %v", r, err)
		}
	}
	if cc.receipts.Load() == 0 {
		t.Fatal("no receipt read by hash")
	}
}

// WaitReceipt of a transaction mined before it was watched returns at once.
func TestWatcherFindsAnAlreadyMinedTransaction(t *testing.T) {
	c, ctx := startChain(t, 3)
	payer, payee := c.Accounts[1], c.Accounts[2]
	s := evm.NewSender(c.Client, c.Accounts[0].Key, c.ChainID)
	defer s.Close()
	tx, err := s.Send(ctx, c.Token, signedTransfer(t, c, payer.Key, payer.Address, payee.Address, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := devchain.WaitReceipt(ctx, c.Client, tx.Hash(), 0); err != nil {
		t.Fatal(err)
	}
	w := evm.NewReceiptWatcher(c.Client, evm.WatcherConfig{})
	defer w.Close()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := w.WaitReceipt(wctx, tx.Hash())
	if err != nil || r.TxHash != tx.Hash() {
		t.Fatalf("receipt %+v, %v", r, err)
	}
	// An unknown hash is waited for until the context ends.
	wctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := w.WaitReceipt(wctx, common.Hash{1}); err == nil {
		t.Fatal("an unknown transaction's receipt was found")
	}
}
