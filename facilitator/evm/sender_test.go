package evm_test

import (
	"context"
	"errors"
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/caddy-x402/x402/facilitator/evm"
)

// feeCountingBackend counts the fee reads and can refuse one broadcast as
// underpriced, like a node whose base fee rose past the cap.
type feeCountingBackend struct {
	evm.Backend
	tips, heads atomic.Int32
	refuseFee   atomic.Bool
}

func (b *feeCountingBackend) SuggestGasTipCap(ctx context.Context) (*big.Int, error) {
	b.tips.Add(1)
	return b.Backend.SuggestGasTipCap(ctx)
}

func (b *feeCountingBackend) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	b.heads.Add(1)
	return b.Backend.HeaderByNumber(ctx, n)
}

func (b *feeCountingBackend) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if b.refuseFee.CompareAndSwap(true, false) {
		return errors.New("max fee per gas less than block base fee: address 0x…, maxFeePerGas: 1, baseFee: 2")
	}
	return b.Backend.SendTransaction(ctx, tx)
}

// The Sender reads the fees once per FeeTTL, not per transaction, and a
// broadcast refused for its fee cap is signed again with fresh fees and
// the same nonce.
func TestSenderReusesFeesAndRetriesUnderpriced(t *testing.T) {
	c, ctx := startChain(t, 4)
	b := &feeCountingBackend{Backend: c.Client}
	// The receipts are watched on the chain itself, so that only the
	// Sender's fee reads are counted.
	w := evm.NewReceiptWatcher(c.Client, evm.WatcherConfig{})
	defer w.Close()
	s := evm.NewSender(b, c.Accounts[0].Key, c.ChainID, evm.SenderConfig{Watcher: w})
	defer s.Close()
	payer, payee := c.Accounts[2], c.Accounts[3]
	var nonces []uint64
	for i := 0; i < 5; i++ {
		tx, err := s.Send(ctx, c.Token, signedTransfer(t, c, payer.Key, payer.Address, payee.Address, 1))
		if err != nil {
			t.Fatal(err)
		}
		nonces = append(nonces, tx.Nonce())
	}
	if b.tips.Load() != 1 || b.heads.Load() != 1 {
		t.Fatalf("5 sends within FeeTTL read the tip %d and the head %d times, want once each", b.tips.Load(), b.heads.Load())
	}
	b.refuseFee.Store(true)
	tx, err := s.Send(ctx, c.Token, signedTransfer(t, c, payer.Key, payer.Address, payee.Address, 1))
	if err != nil {
		t.Fatalf("send after an underpriced refusal: %v", err)
	}
	if b.tips.Load() != 2 || b.heads.Load() != 2 {
		t.Fatalf("after the refusal the fees were read %d/%d times, want again (2)", b.tips.Load(), b.heads.Load())
	}
	if want := nonces[len(nonces)-1] + 1; tx.Nonce() != want {
		t.Fatalf("retried transaction has nonce %d, want %d (no gap)", tx.Nonce(), want)
	}
	rcpt, err := s.WaitReceipt(ctx, tx.Hash())
	if err != nil || rcpt.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("retried transaction: %v %v", rcpt, err)
	}
}
