package escrow

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"go.uber.org/zap"
)

// loadShared fetches a session another instance opened and caches it.
func (o *Operator) loadShared(ctx context.Context, id [32]byte) (*Session, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	rec, err := o.cfg.Shared.Load(ctx, id)
	if err != nil || rec == nil {
		return nil, err
	}
	if rec.Escrow != o.cfg.Escrow.Hex() || rec.Network != o.cfg.Network {
		return nil, nil // another chain's or escrow's session
	}
	s := newSession(id, rec)
	s.shared = true
	o.mu.Lock()
	if existing, ok := o.sessions[id]; ok {
		s = existing
	} else {
		o.sessions[id] = s
	}
	o.mu.Unlock()
	return s, nil
}

// reserveShared reserves in the shared store.
func (o *Operator) reserveShared(ctx context.Context, s *Session, requestID string, amount *big.Int) (*facilitator.Error, error) {
	if !o.cfg.Now().Add(o.cfg.ServeMargin).Before(s.ExpiresAt()) {
		return facilitator.Errorf(facilitator.CodeEscrowSessionExpiring, "session expires at %s; no new use within %s of it (open a new session)",
			s.ExpiresAt().UTC().Format(time.RFC3339), o.cfg.ServeMargin), nil
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	switch err := o.cfg.Shared.Reserve(ctx, s.ID, requestID, amount, reservationTTL); {
	case err == nil:
		return nil, nil
	case errors.Is(err, ErrSharedClosed):
		return facilitator.Errorf(facilitator.CodeEscrowSessionClosed, "session %s is closing or closed", s.IDHex()), nil
	case errors.Is(err, ErrSharedDuplicate):
		return facilitator.Errorf(facilitator.CodeEscrowDuplicateRequest, "requestId %q was already used in this session", requestID), nil
	case errors.Is(err, ErrSharedBalance):
		return facilitator.Errorf(facilitator.CodeEscrowSessionBalance, "session balance is below the price %s; open a new session", amount), nil
	case errors.Is(err, ErrSharedUnknown):
		return facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "no session %s here", s.IDHex()), nil
	default:
		return nil, fmt.Errorf("escrow: shared store: %w", err)
	}
}

func (r *Reservation) commitShared(actual *big.Int) (*big.Int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	bal, err := r.op.cfg.Shared.Commit(ctx, r.Session.ID, r.RequestID, actual)
	if err != nil {
		return nil, fmt.Errorf("escrow: committing in the shared store: %w", err)
	}
	r.op.kick(r.Session)
	return bal, nil
}

func (r *Reservation) releaseShared() {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if err := r.op.cfg.Shared.Release(ctx, r.Session.ID, r.RequestID); err != nil {
		r.op.log.Warn("escrow: releasing a shared reservation failed; it expires by itself", zap.String("session", r.Session.IDHex()), zap.Error(err))
	}
}

// committedTotal is what the capture worker captures up to: the shared
// store's total when there is one, else this process's ledger total.
func (o *Operator) committedTotal(ctx context.Context, s *Session) (*big.Int, error) {
	if o.cfg.Shared == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return new(big.Int).Set(s.committed), nil
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	c, err := o.cfg.Shared.Committed(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.committed = c
	s.mu.Unlock()
	return c, nil
}

// setSharedStatus mirrors a status change to the shared store.
func (o *Operator) setSharedStatus(s *Session, st Status) {
	if o.cfg.Shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if err := o.cfg.Shared.SetStatus(ctx, s.ID, st); err != nil {
		o.log.Warn("escrow: sharing a session status failed", zap.String("session", s.IDHex()), zap.Error(err))
	}
}

// closeRequested reports whether another instance asked to close one of
// our sessions.
func (o *Operator) closeRequested(ctx context.Context, s *Session) bool {
	if o.cfg.Shared == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	st, err := o.cfg.Shared.Status(ctx, s.ID)
	return err == nil && st == StatusClosing
}
