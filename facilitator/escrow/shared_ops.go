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

// shared is the operator's shared store, nil without one.
func (o *Operator) shared() SharedSessions {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.store
}

// ErrStoreChange refuses a change of the shared store that would strand
// sessions: other instances spend the sessions of the current store.
var ErrStoreChange = errors.New("escrow: the sessions live in the shared store")

// SetShared moves the operator to a shared store (a config reload from
// store memory to store redis): every session of this process moves to
// it within CaptureInterval (its committed use, used requestIds and
// reservations in flight), and until then is refused with a retryable
// error rather than spent in two places. Leaving a shared store, or
// switching to another one, is refused with ErrStoreChange: other
// instances spend its sessions.
func (o *Operator) SetShared(st SharedSessions) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.store == nil && st == nil:
		return nil
	case o.store != nil:
		return fmt.Errorf("%w; keep the same store (URL and namespace) while sessions are open", ErrStoreChange)
	}
	o.store = st
	o.kick()
	return nil
}

// moveToShared publishes sessions of ours that the shared store does not
// have yet (opened before the store was configured, or whose publish
// failed). Under the session's lock, so that no commit of this process
// lands between the snapshot and the move.
func (o *Operator) moveToShared(ctx context.Context, sh SharedSessions, s *Session) error {
	deadline := time.Now().Add(sharedTimeout)
	for {
		s.mu.Lock()
		if s.shared {
			s.mu.Unlock()
			return nil
		}
		if s.committing == 0 {
			break
		}
		s.mu.Unlock() // a commit is writing the ledger: let it finish
		if time.Now().After(deadline) {
			return fmt.Errorf("escrow: session %s: commits still running", s.IDHex())
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer s.mu.Unlock()
	moved := &MovedSession{Status: s.status, Committed: new(big.Int).Set(s.committed), Reserved: map[string]*big.Int{}}
	for r := range s.requests {
		if _, inFlight := s.inflight[r]; !inFlight {
			moved.Requests = append(moved.Requests, r)
		}
	}
	for r, amt := range s.inflight {
		moved.Reserved[r] = amt
	}
	rec := *s.rec
	rec.Shared = true
	pctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	err := sh.Publish(pctx, s.ID, &rec, moved)
	cancel()
	if err != nil {
		return fmt.Errorf("escrow: moving session %s to the shared store: %w", s.IDHex(), err)
	}
	if err := o.ledger.PutSession(s.ID, &rec); err != nil {
		return err
	}
	s.rec, s.shared = &rec, true
	o.log.Info("escrow session moved to the shared store", zap.String("session", s.IDHex()), zap.String("committed", moved.Committed.String()))
	return nil
}

// loadShared fetches a session another instance opened and keeps it (also
// in the ledger, which then records what this instance commits on it).
func (o *Operator) loadShared(ctx context.Context, id [32]byte) (*Session, error) {
	sh := o.shared()
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	rec, err := sh.Load(ctx, id)
	if err != nil || rec == nil {
		return nil, err
	}
	if rec.Escrow != o.cfg.Escrow.Hex() || rec.Network != o.cfg.Network {
		return nil, nil // another chain's or escrow's session
	}
	rec.Shared = true
	s := newSession(id, rec)
	s.shared = true
	o.mu.Lock()
	if existing, ok := o.sessions[id]; ok {
		s = existing
	} else {
		o.sessions[id] = s
	}
	o.mu.Unlock()
	if s.pi.Operator != o.Address() {
		if err := o.ledger.PutSession(id, rec); err != nil {
			o.log.Warn("escrow: recording a shared session in the ledger failed", zap.String("session", s.IDHex()), zap.Error(err))
		}
	}
	return s, nil
}

// reserveShared reserves in the shared store, which checks the token.
func (o *Operator) reserveShared(ctx context.Context, sh SharedSessions, s *Session, tokenHash [32]byte, requestID string, amount *big.Int) (*facilitator.Error, error) {
	if !o.cfg.Now().Add(o.cfg.ServeMargin).Before(s.ExpiresAt()) {
		return expiring(s, o.cfg.ServeMargin), nil
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	switch err := sh.Reserve(ctx, s.ID, tokenHash, requestID, amount, reservationTTL); {
	case err == nil:
		return nil, nil
	case errors.Is(err, ErrSharedToken):
		return errToken(), nil
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

// ErrSessionBalance refuses a commit whose reservation expired while the
// balance no longer covers it: not charged, not to be served as paid.
var ErrSessionBalance = errors.New("escrow: the reservation expired and the session balance no longer covers this request; it is not charged")

// commitShared commits in the shared store, then records the debit in
// this instance's ledger (what it committed, should the store lose it).
func (r *Reservation) commitShared(actual *big.Int) (*big.Int, error) {
	sh := r.op.shared()
	if sh == nil {
		return nil, errors.New("escrow: the shared store is gone")
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	bal, err := sh.Commit(ctx, r.Session.ID, r.RequestID, actual)
	switch {
	case errors.Is(err, ErrSharedClosed), errors.Is(err, ErrSharedUnknown):
		return nil, ErrSessionClosed
	case errors.Is(err, ErrSharedBalance):
		return nil, ErrSessionBalance
	case err != nil:
		return nil, fmt.Errorf("escrow: committing in the shared store: %w", err)
	}
	if actual.Sign() > 0 {
		if err := r.op.ledger.AddDebit(r.Session.ID, r.RequestID, actual); err != nil {
			r.op.log.Error("escrow: recording a shared commit in the local ledger failed (the shared store has it)",
				zap.String("session", r.Session.IDHex()), zap.Error(err))
		}
	}
	r.op.kickCommitted()
	return bal, nil
}

func (r *Reservation) releaseShared() {
	sh := r.op.shared()
	if sh == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if err := sh.Release(ctx, r.Session.ID, r.RequestID); err != nil {
		r.op.log.Warn("escrow: releasing a shared reservation failed; it expires by itself", zap.String("session", r.Session.IDHex()), zap.Error(err))
	}
}

// committedTotal is what the capture worker captures up to: the shared
// store's total for a shared session, else this process's ledger total.
func (o *Operator) committedTotal(ctx context.Context, s *Session) (*big.Int, error) {
	sh := o.shared()
	if sh == nil || !s.shared {
		s.mu.Lock()
		defer s.mu.Unlock()
		return new(big.Int).Set(s.committed), nil
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	c, err := sh.Committed(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.committed = c
	s.mu.Unlock()
	return new(big.Int).Set(c), nil
}
