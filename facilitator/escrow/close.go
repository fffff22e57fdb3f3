package escrow

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/common"
	"go.uber.org/zap"
)

// A close is one atomic state change first: the session becomes closing in
// the shared store (every instance refuses new reservations from that
// moment) and in the ledger (a durable intent the capture worker finishes
// after a crash or an RPC failure). Then the close waits, at most
// CloseWait, for reservations in flight on any instance; seals the session
// (the reservations left are dropped, and no commit succeeds after it, so
// a request that ends later is refused and not served as paid); captures
// exactly what was committed; voids the rest back to the payer; and
// records it closed. Every step is idempotent: it reads the chain
// (paymentState) before acting. Invariant: captured = committed = served.

// CloseResult reports a closed session.
type CloseResult struct {
	Session  SessionInfo
	Captured *big.Int    // total captured for the receiver; nil while another instance closes it
	Returned *big.Int    // voided back to the payer
	VoidTx   common.Hash // zero when nothing was left to return
}

// Close ends a session for its token holder, on whichever instance it
// arrives: no new use anywhere at once, requests in flight finish (at most
// CloseWait), then the final capture and a void of the rest. When another
// instance holds the session's operator key, the close is recorded and
// that instance carries it out; Close waits a while for its result.
func (o *Operator) Close(ctx context.Context, ref *SessionRef) (*CloseResult, *facilitator.Error, error) {
	id, err := parseID(ref.ID)
	if err != nil {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "session.id is not a 32-byte 0x-hex id"), nil
	}
	s, err := o.lookup(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "no session %s here", ref.ID), nil
	}
	// The close outlives a client that hangs up: it is bounded, and a
	// close cut short is finished by the capture worker.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.closeTimeout())
	defer cancel()
	if sh := o.shared(); sh != nil && s.shared {
		th := hashToken(ref.Token)
		cctx, ccancel := context.WithTimeout(ctx, sharedTimeout)
		_, err := sh.BeginClose(cctx, id, &th)
		ccancel()
		switch {
		case errors.Is(err, ErrSharedToken):
			return nil, errToken(), nil
		case errors.Is(err, ErrSharedUnknown):
			return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "no session %s here", ref.ID), nil
		case err != nil:
			return nil, nil, fmt.Errorf("escrow: shared store: %w", err)
		}
		if s.pi.Operator != o.Address() {
			res, err := o.awaitRemoteClose(ctx, sh, s)
			return res, nil, err
		}
	} else if !s.tokenMatches(ref.Token) {
		return nil, errToken(), nil
	}
	switch st := s.Status(); st {
	case StatusOpening, StatusFailed:
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionClosed, "session %s is %s; there is nothing to close", s.IDHex(), st), nil
	}
	res, err := o.closeSession(ctx, s)
	return res, nil, err
}

// closeTimeout bounds a close: the wait for requests in flight, then a
// capture and a void, each with its receipt.
func (o *Operator) closeTimeout() time.Duration {
	return o.cfg.CloseWait + 2*o.cfg.ReceiptTimeout + 30*time.Second
}

// closeSession runs (or resumes) the close protocol on a session of ours.
func (o *Operator) closeSession(ctx context.Context, s *Session) (*CloseResult, error) {
	s.work.Lock()
	defer s.work.Unlock()
	switch st := s.Status(); st {
	case StatusClosed:
		return o.closedResult(s), nil
	case StatusActive, StatusClosing:
	default:
		return nil, fmt.Errorf("escrow: session %s is %s", s.IDHex(), st)
	}
	sh := o.shared()
	if !s.shared {
		sh = nil
	}
	// 1. Closing: first in the shared store (one step every instance
	// sees), then in the ledger.
	if sh != nil {
		cctx, cancel := context.WithTimeout(ctx, sharedTimeout)
		st, err := sh.BeginClose(cctx, s.ID, nil)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("escrow: closing %s in the shared store: %w", s.IDHex(), err)
		}
		if st == StatusClosed {
			// Finished before a crash lost the ledger's record of it.
			if captured, voidTx, ok, err := sh.Closed(ctx, s.ID); err == nil && ok {
				return o.markClosed(s, captured, common.HexToHash(voidTx))
			}
		}
	}
	if s.Status() == StatusActive {
		if err := o.update(s, func(r *SessionRecord) { r.Status = StatusClosing }); err != nil {
			return nil, err
		}
		o.log.Info("escrow session closing", zap.String("session", s.IDHex()))
	}
	// 2. Requests in flight finish, or the bound passes.
	o.awaitInFlight(ctx, sh, s)
	// 3. Seal: nothing commits after this, so the target is final.
	s.seal()
	target := func() (*big.Int, error) {
		if sh == nil {
			s.mu.Lock()
			defer s.mu.Unlock()
			return new(big.Int).Set(s.committed), nil
		}
		sctx, cancel := context.WithTimeout(ctx, sharedTimeout)
		defer cancel()
		c, err := sh.Seal(sctx, s.ID)
		if err == nil {
			s.mu.Lock()
			s.committed = new(big.Int).Set(c)
			s.mu.Unlock()
		}
		return c, err
	}
	final, err := target()
	if err != nil {
		return nil, fmt.Errorf("escrow: sealing %s: %w", s.IDHex(), err)
	}
	// 4. Capture what was committed, void the rest.
	if _, err := o.captureTo(ctx, s, final); err != nil {
		return nil, fmt.Errorf("escrow: final capture of %s: %w", s.IDHex(), err)
	}
	voidTx, err := o.voidRest(ctx, s)
	if err != nil {
		return nil, err
	}
	// 5. Closed.
	captured := s.capturedNow()
	if sh != nil {
		fctx, cancel := context.WithTimeout(ctx, sharedTimeout)
		err := sh.Finish(fctx, s.ID, captured, voidTx.Hex())
		cancel()
		if err != nil {
			return nil, fmt.Errorf("escrow: recording the close of %s in the shared store: %w", s.IDHex(), err)
		}
	}
	return o.markClosed(s, captured, voidTx)
}

// awaitInFlight waits until no reservation is in flight on the session
// (on any instance when it is shared), at most CloseWait.
func (o *Operator) awaitInFlight(ctx context.Context, sh SharedSessions, s *Session) {
	deadline := time.Now().Add(o.cfg.CloseWait)
	poll := 10 * time.Millisecond
	for {
		n := s.inFlightLocal()
		if sh != nil {
			ictx, cancel := context.WithTimeout(ctx, sharedTimeout)
			m, err := sh.InFlight(ictx, s.ID)
			cancel()
			if err == nil {
				n = m
			} else {
				n = 1 // unknown: keep waiting within the bound
			}
		}
		if n == 0 {
			return
		}
		if !time.Now().Before(deadline) {
			o.log.Warn("escrow close: requests still in flight after the close wait; they will not be charged",
				zap.String("session", s.IDHex()), zap.Int("in_flight", n), zap.Duration("close_wait", o.cfg.CloseWait))
			return
		}
		t := time.NewTimer(min(poll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		poll = min(2*poll, 250*time.Millisecond)
	}
}

// voidRest returns whatever the escrow still holds to the payer.
func (o *Operator) voidRest(ctx context.Context, s *Session) (common.Hash, error) {
	st, err := o.contract.PaymentState(ctx, s.ID)
	if err != nil {
		return common.Hash{}, err
	}
	if st.CapturableAmount.Sign() == 0 {
		return common.HexToHash(s.record().VoidTx), nil
	}
	data, err := PackVoid(&s.pi)
	if err != nil {
		return common.Hash{}, err
	}
	rcpt, err := o.send(ctx, data)
	if err != nil {
		return common.Hash{}, fmt.Errorf("escrow: void of %s: %w", s.IDHex(), err)
	}
	return rcpt.TxHash, nil
}

// markClosed records the session closed in the ledger.
func (o *Operator) markClosed(s *Session, captured *big.Int, voidTx common.Hash) (*CloseResult, error) {
	s.mu.Lock()
	if captured.Cmp(s.captured) > 0 {
		s.captured = new(big.Int).Set(captured)
	}
	s.mu.Unlock()
	if err := o.update(s, func(r *SessionRecord) {
		r.Status, r.CaptureTarget, r.CaptureTx, r.CaptureNonce = StatusClosed, "", "", nil
		if voidTx != (common.Hash{}) {
			r.VoidTx = voidTx.Hex()
		}
	}); err != nil {
		return nil, err
	}
	o.log.Info("escrow session closed", zap.String("session", s.IDHex()), zap.String("captured", captured.String()),
		zap.String("void_tx", voidTx.Hex()))
	return o.closedResult(s), nil
}

func (o *Operator) closedResult(s *Session) *CloseResult {
	info := s.Info()
	captured := s.capturedNow()
	return &CloseResult{Session: info, Captured: captured, Returned: new(big.Int).Sub(s.pi.MaxAmount, captured),
		VoidTx: common.HexToHash(s.record().VoidTx)}
}

// awaitRemoteClose waits (bounded) for the instance holding the session's
// key to finish a close recorded here, and reports its result; past the
// bound it reports the session closing.
func (o *Operator) awaitRemoteClose(ctx context.Context, sh SharedSessions, s *Session) (*CloseResult, error) {
	deadline := time.Now().Add(o.cfg.CloseWait + o.cfg.CaptureInterval + o.cfg.ReceiptTimeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, sharedTimeout)
		captured, voidTx, ok, err := sh.Closed(cctx, s.ID)
		cancel()
		if err == nil && ok {
			s.mu.Lock()
			s.status, s.captured = StatusClosed, captured
			s.mu.Unlock()
			info := s.Info()
			return &CloseResult{Session: info, Captured: captured, Returned: new(big.Int).Sub(s.pi.MaxAmount, captured),
				VoidTx: common.HexToHash(voidTx)}, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			info := s.Info()
			info.Status = StatusClosing
			return &CloseResult{Session: info}, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// capturedNow is the captured total as last seen on chain.
func (s *Session) capturedNow() *big.Int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return new(big.Int).Set(s.captured)
}

// update changes a copy of the session's record, writes it to the ledger
// and only then makes it the session's (the status in memory follows the
// record): what this process acts on, a crash does not lose. Writes of one
// session are ordered.
func (o *Operator) update(s *Session, change func(*SessionRecord)) error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	rec := *s.rec
	s.mu.Unlock()
	change(&rec)
	s.mu.Lock()
	rec.Captured = s.captured.String()
	s.mu.Unlock()
	if err := o.ledger.PutSession(s.ID, &rec); err != nil {
		return err
	}
	s.mu.Lock()
	s.rec, s.status = &rec, rec.Status
	s.mu.Unlock()
	return nil
}
