package escrow

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"go.uber.org/zap"
)

// The capture worker turns committed use into captures "up to a cumulative
// target": the chain's refundableAmount is what was captured so far (we
// never refund), so a capture sends target − captured and can never capture
// twice for the same use. One capture per session is in flight at a time;
// its target is written to the ledger before broadcasting, and after a
// restart the worker waits until the operator has no pending transaction
// before reading the chain again.

func (o *Operator) captureLoop() {
	defer close(o.done)
	t := time.NewTicker(o.cfg.CaptureInterval)
	defer t.Stop()
	recovering := true
	for {
		o.sweep(recovering)
		recovering = false
		select {
		case <-o.stop:
			return
		case <-t.C:
		case <-o.wake:
		}
	}
}

// sweep looks at every live session once.
func (o *Operator) sweep(recovering bool) {
	o.mu.RLock()
	live := make([]*Session, 0, len(o.sessions))
	for _, s := range o.sessions {
		live = append(live, s)
	}
	o.mu.RUnlock()
	now := o.cfg.Now()
	for _, s := range live {
		if s.pi.Operator != o.Address() {
			continue // another instance's session: it captures it
		}
		s.mu.Lock()
		active := s.status == StatusActive
		s.mu.Unlock()
		if active && o.closeRequested(context.Background(), s) {
			ctx, cancel := context.WithTimeout(context.Background(), o.cfg.ReceiptTimeout+30*time.Second)
			if _, err := o.finish(ctx, s); err != nil {
				o.log.Error("escrow: closing a session on request of another instance failed", zap.String("session", s.IDHex()), zap.Error(err))
			}
			cancel()
			continue
		}
		s.mu.Lock()
		status, pending := s.status, new(big.Int).Sub(s.committed, s.captured)
		intent := s.rec.CaptureTarget != ""
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), o.cfg.ReceiptTimeout+30*time.Second)
		switch {
		case status == StatusOpening:
			o.reconcileOpening(ctx, s)
		case status == StatusActive && !now.Add(o.cfg.CaptureMargin).Before(s.ExpiresAt()):
			// Final: capture what was used and give the rest back.
			if _, err := o.finish(ctx, s); err != nil {
				o.log.Error("escrow: final capture of an expiring session failed", zap.String("session", s.IDHex()), zap.Error(err))
			}
		case (status == StatusActive || status == StatusClosing) && (intent || recovering || pending.Sign() > 0 &&
			(pending.Cmp(o.cfg.CaptureThreshold) >= 0 || !now.Add(o.cfg.NearExpiry).Before(s.ExpiresAt()))):
			if _, err := o.capture(ctx, s); err != nil {
				o.log.Warn("escrow: capture failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
			}
		}
		cancel()
	}
}

// capture brings the on-chain captured amount up to what is committed.
// It returns the capture transaction (zero hash if nothing was needed).
func (o *Operator) capture(ctx context.Context, s *Session) (common.Hash, error) {
	s.captureMu.Lock() // one capture in flight per session; others wait
	defer s.captureMu.Unlock()
	s.mu.Lock()
	intent := s.rec.CaptureTarget != ""
	s.mu.Unlock()

	if intent {
		if err := o.waitNoPending(ctx); err != nil {
			return common.Hash{}, err
		}
	}
	target, err := o.committedTotal(ctx, s)
	if err != nil {
		return common.Hash{}, err
	}
	st, err := o.contract.PaymentState(ctx, s.ID)
	if err != nil {
		return common.Hash{}, err
	}
	s.mu.Lock()
	s.captured = new(big.Int).Set(st.RefundableAmount)
	s.mu.Unlock()
	delta := new(big.Int).Sub(target, st.RefundableAmount)
	if delta.Sign() <= 0 {
		return common.Hash{}, o.saveCaptured(s, "")
	}
	if delta.Cmp(st.CapturableAmount) > 0 {
		o.log.Error("escrow: committed use exceeds what the escrow holds; capturing what is left",
			zap.String("session", s.IDHex()), zap.String("wanted", delta.String()), zap.String("capturable", st.CapturableAmount.String()))
		delta = new(big.Int).Set(st.CapturableAmount)
		target = new(big.Int).Add(st.RefundableAmount, delta)
		if delta.Sign() == 0 {
			return common.Hash{}, nil
		}
	}
	if err := o.saveCaptured(s, target.String()); err != nil {
		return common.Hash{}, err
	}
	data, err := PackCapture(&s.pi, delta, 0, common.Address{})
	if err != nil {
		return common.Hash{}, err
	}
	rcpt, err := o.send(ctx, data)
	if err != nil {
		return common.Hash{}, fmt.Errorf("capture of %s: %w", delta, err)
	}
	s.mu.Lock()
	s.captured = target
	s.mu.Unlock()
	o.log.Info("escrow capture", zap.String("session", s.IDHex()), zap.String("amount", delta.String()),
		zap.String("captured", target.String()), zap.String("tx", rcpt.TxHash.Hex()))
	return rcpt.TxHash, o.saveCaptured(s, "")
}

// send broadcasts an escrow call from the operator and waits for success.
func (o *Operator) send(ctx context.Context, data []byte) (*types.Receipt, error) {
	tx, err := o.cfg.Sender.Send(ctx, o.cfg.Escrow, data)
	if err != nil {
		var re *evm.RevertError
		if errors.As(err, &re) {
			return nil, DecodeError(re)
		}
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, o.cfg.ReceiptTimeout)
	defer cancel()
	rcpt, err := o.cfg.Sender.WaitReceipt(wctx, tx.Hash())
	if err != nil {
		return nil, err
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("transaction %s reverted", tx.Hash().Hex())
	}
	return rcpt, nil
}

// saveCaptured persists the capture intent (target; "" clears it) and the
// captured amount.
func (o *Operator) saveCaptured(s *Session, target string) error {
	s.mu.Lock()
	rec := *s.rec
	rec.CaptureTarget = target
	rec.Captured = s.captured.String()
	rec.Status = s.status
	s.rec = &rec
	s.mu.Unlock()
	return o.ledger.PutSession(s.ID, &rec)
}

// waitNoPending waits until the operator account has no transaction in the
// pool, so that a capture broadcast before a crash is either mined or gone.
func (o *Operator) waitNoPending(ctx context.Context) error {
	type nonceReader interface {
		NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error)
	}
	b := o.cfg.Sender.Backend()
	nr, ok := b.(nonceReader)
	if !ok {
		return nil
	}
	for {
		latest, err1 := nr.NonceAt(ctx, o.Address(), nil)
		pending, err2 := b.PendingNonceAt(ctx, o.Address())
		if err1 == nil && err2 == nil && latest >= pending {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the operator's pending transactions: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// reconcileOpening settles a session whose authorize outcome was unknown.
func (o *Operator) reconcileOpening(ctx context.Context, s *Session) {
	if err := o.waitNoPending(ctx); err != nil {
		return
	}
	st, err := o.contract.PaymentState(ctx, s.ID)
	if err != nil {
		return
	}
	s.mu.Lock()
	if st.HasCollectedPayment {
		s.status = StatusActive
	} else {
		s.status = StatusFailed
	}
	s.mu.Unlock()
	_ = o.saveCaptured(s, "")
}

// CloseResult reports a closed session.
type CloseResult struct {
	Session  SessionInfo
	Captured *big.Int    // total captured for the receiver
	Returned *big.Int    // voided back to the payer
	VoidTx   common.Hash // zero when nothing was left to return
}

// Close ends a session for its token holder: no new use, in-flight
// requests finish, then the final capture and a void of the rest.
func (o *Operator) Close(ctx context.Context, ref *SessionRef) (*CloseResult, *facilitator.Error, error) {
	id, err := parseID(ref.ID)
	if err != nil {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "session.id is not a 32-byte 0x-hex id"), nil
	}
	s, ok := o.Session(id)
	if !ok {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "no session %s here", ref.ID), nil
	}
	if !s.tokenMatches(ref.Token) {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionToken, "session token does not match"), nil
	}
	if s.pi.Operator != o.Address() {
		// Another instance of ours holds the operator key: record the close;
		// its capture worker captures and voids within CaptureInterval.
		o.setSharedStatus(s, StatusClosing)
		info := s.Info()
		info.Status = StatusClosing
		return &CloseResult{Session: info}, nil, nil
	}
	res, err := o.finish(ctx, s)
	return res, nil, err
}

// finish stops use, waits for reservations, captures and voids.
func (o *Operator) finish(ctx context.Context, s *Session) (*CloseResult, error) {
	s.mu.Lock()
	switch s.status {
	case StatusClosed:
		s.mu.Unlock()
		return o.closed(s, common.HexToHash(s.rec.VoidTx)), nil
	case StatusActive, StatusClosing:
		s.status = StatusClosing
		defer o.setSharedStatus(s, StatusClosing)
	default:
		st := s.status
		s.mu.Unlock()
		return nil, fmt.Errorf("session is %s", st)
	}
	target := s.rec.CaptureTarget
	s.mu.Unlock()
	if err := o.saveCaptured(s, target); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		s.mu.Lock()
		busy := s.reserved.Sign() > 0
		s.mu.Unlock()
		if !busy || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := o.capture(ctx, s); err != nil {
		return nil, err
	}
	st, err := o.contract.PaymentState(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	var voidTx common.Hash
	if st.CapturableAmount.Sign() > 0 {
		data, err := PackVoid(&s.pi)
		if err != nil {
			return nil, err
		}
		rcpt, err := o.send(ctx, data)
		if err != nil {
			return nil, fmt.Errorf("void: %w", err)
		}
		voidTx = rcpt.TxHash
	}
	o.setSharedStatus(s, StatusClosed)
	s.mu.Lock()
	s.status = StatusClosed
	rec := *s.rec
	rec.VoidTx = voidTx.Hex()
	s.rec = &rec
	s.mu.Unlock()
	if err := o.saveCaptured(s, ""); err != nil {
		return nil, err
	}
	o.log.Info("escrow session closed", zap.String("session", s.IDHex()), zap.String("captured", s.captured.String()), zap.String("void_tx", voidTx.Hex()))
	return o.closed(s, voidTx), nil
}

func (o *Operator) closed(s *Session, voidTx common.Hash) *CloseResult {
	info := s.Info()
	captured, _ := new(big.Int).SetString(info.Captured, 10)
	return &CloseResult{Session: info, Captured: captured, Returned: new(big.Int).Sub(s.pi.MaxAmount, captured), VoidTx: voidTx}
}
