package escrow

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"go.uber.org/zap"
)

// Captures go "up to a cumulative target": the chain's refundableAmount is
// what was captured so far (we never refund), so a capture sends target −
// captured and can never capture twice for the same use. One capture per
// session is in flight at a time; its target is written to the ledger
// before broadcasting and its transaction right after, so that after a
// restart the worker first finds out how that capture ended (receipt, or
// its nonce taken by another transaction) instead of sending another.

// captureTo brings the session's on-chain captured amount up to target.
// The caller holds s.work. It returns the capture transaction (zero when
// nothing was needed).
func (o *Operator) captureTo(ctx context.Context, s *Session, target *big.Int) (common.Hash, error) {
	if err := o.settleCaptureIntent(ctx, s); err != nil {
		return common.Hash{}, err
	}
	st, err := o.contract.PaymentState(ctx, s.ID)
	if err != nil {
		return common.Hash{}, err
	}
	s.mu.Lock()
	// A receipt can be visible before the state that includes it: what we
	// saw mined is a floor.
	if st.RefundableAmount.Cmp(s.captured) > 0 {
		s.captured = new(big.Int).Set(st.RefundableAmount)
	}
	captured := new(big.Int).Set(s.captured)
	s.mu.Unlock()
	delta := new(big.Int).Sub(target, captured)
	if delta.Sign() <= 0 {
		return common.Hash{}, nil
	}
	held := new(big.Int).Sub(st.CapturableAmount, new(big.Int).Sub(captured, st.RefundableAmount))
	if delta.Cmp(held) > 0 {
		o.log.Error("escrow: committed use exceeds what the escrow holds; capturing what is left",
			zap.String("session", s.IDHex()), zap.String("wanted", delta.String()), zap.String("capturable", held.String()))
		if held.Sign() <= 0 {
			return common.Hash{}, nil
		}
		delta, target = held, new(big.Int).Add(captured, held)
	}
	if err := o.update(s, func(r *SessionRecord) { r.CaptureTarget, r.CaptureTx, r.CaptureNonce = target.String(), "", nil }); err != nil {
		return common.Hash{}, err
	}
	data, err := PackCapture(&s.pi, delta, 0, common.Address{})
	if err != nil {
		return common.Hash{}, err
	}
	tx, err := o.broadcast(ctx, data)
	if err != nil {
		var ee *Error
		if errors.As(err, &ee) {
			// Refused at estimation: nothing was broadcast.
			_ = o.clearIntent(s)
		}
		return common.Hash{}, fmt.Errorf("capture of %s: %w", delta, err)
	}
	nonce := tx.Nonce()
	if err := o.update(s, func(r *SessionRecord) { r.CaptureTx, r.CaptureNonce = tx.Hash().Hex(), &nonce }); err != nil {
		return common.Hash{}, err
	}
	rcpt, err := o.await(ctx, tx)
	if err != nil {
		return common.Hash{}, fmt.Errorf("capture of %s: %w", delta, err) // the intent stays: settled next time
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		_ = o.clearIntent(s)
		return common.Hash{}, fmt.Errorf("capture of %s: transaction %s reverted", delta, tx.Hash().Hex())
	}
	s.mu.Lock()
	if target.Cmp(s.captured) > 0 {
		s.captured = new(big.Int).Set(target)
	}
	s.mu.Unlock()
	o.log.Info("escrow capture", zap.String("session", s.IDHex()), zap.String("amount", delta.String()),
		zap.String("captured", target.String()), zap.String("tx", rcpt.TxHash.Hex()))
	return rcpt.TxHash, o.clearIntent(s)
}

func (o *Operator) clearIntent(s *Session) error {
	return o.update(s, func(r *SessionRecord) { r.CaptureTarget, r.CaptureTx, r.CaptureNonce = "", "", nil })
}

// errCapturePending: a capture sent earlier is neither mined nor replaced
// yet; the next sweep looks again.
var errCapturePending = errors.New("escrow: an earlier capture is still pending")

// settleCaptureIntent finds out how a capture recorded in the ledger
// ended, bounded by ReceiptTimeout: mined (the chain state tells the
// rest), or its nonce used by another transaction (it never will be).
func (o *Operator) settleCaptureIntent(ctx context.Context, s *Session) error {
	rec := s.record()
	if rec.CaptureTarget == "" {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, o.cfg.ReceiptTimeout)
	defer cancel()
	b := o.cfg.Sender.Backend()
	for poll := 50 * time.Millisecond; ; poll = min(2*poll, time.Second) {
		if rec.CaptureTx != "" {
			if r, err := b.TransactionReceipt(wctx, common.HexToHash(rec.CaptureTx)); err == nil && r != nil {
				o.waitHead(wctx, r)
				return o.clearIntent(s)
			}
			if latest, ok := o.latestNonce(wctx); ok && rec.CaptureNonce != nil && latest > *rec.CaptureNonce {
				if r, err := b.TransactionReceipt(wctx, common.HexToHash(rec.CaptureTx)); err == nil && r != nil {
					o.waitHead(wctx, r)
				}
				return o.clearIntent(s)
			}
		} else {
			// Broadcast, maybe, without a record of the transaction (a crash
			// between the two ledger writes): every transaction of ours that
			// was pending when this process started is mined or replaced
			// once the account's mined nonce reaches that mark.
			latest, ok := o.latestNonce(wctx)
			if !ok || latest >= o.startNonce(wctx) {
				return o.clearIntent(s)
			}
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w (session %s, transaction %q)", errCapturePending, s.IDHex(), rec.CaptureTx)
		case <-time.After(poll):
		}
	}
}

// latestNonce is the operator account's nonce at the latest block.
func (o *Operator) latestNonce(ctx context.Context) (uint64, bool) {
	nr, ok := o.cfg.Sender.Backend().(interface {
		NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error)
	})
	if !ok {
		return 0, false
	}
	n, err := nr.NonceAt(ctx, o.Address(), nil)
	return n, err == nil
}

// broadcast sends an escrow call from the operator; a revert at estimation
// comes back as *Error and nothing is sent.
func (o *Operator) broadcast(ctx context.Context, data []byte) (*types.Transaction, error) {
	tx, err := o.cfg.Sender.Send(ctx, o.cfg.Escrow, data)
	if err != nil {
		var re *evm.RevertError
		if errors.As(err, &re) {
			return nil, DecodeError(re)
		}
		return nil, err
	}
	return tx, nil
}

// await waits (ReceiptTimeout) for tx's receipt and for the head to reach
// its block, so that state read next includes it.
func (o *Operator) await(ctx context.Context, tx *types.Transaction) (*types.Receipt, error) {
	wctx, cancel := context.WithTimeout(ctx, o.cfg.ReceiptTimeout)
	defer cancel()
	rcpt, err := o.cfg.Sender.WaitReceipt(wctx, tx.Hash())
	if err != nil {
		return nil, err
	}
	o.waitHead(wctx, rcpt)
	return rcpt, nil
}

// send broadcasts an escrow call and waits for its successful receipt.
func (o *Operator) send(ctx context.Context, data []byte) (*types.Receipt, error) {
	tx, err := o.broadcast(ctx, data)
	if err != nil {
		return nil, err
	}
	rcpt, err := o.await(ctx, tx)
	if err != nil {
		return nil, err
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("transaction %s reverted", tx.Hash().Hex())
	}
	return rcpt, nil
}

// waitHead waits (briefly) until the latest block is r's or later: some
// nodes index a receipt before the head moves to its block.
func (o *Operator) waitHead(ctx context.Context, r *types.Receipt) {
	if r.BlockNumber == nil {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		h, err := o.cfg.Sender.Backend().HeaderByNumber(ctx, nil)
		if err != nil || h.Number.Cmp(r.BlockNumber) >= 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}
