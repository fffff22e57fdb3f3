package escrow

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/common"
)

// Status is a session's lifecycle state.
type Status string

const (
	// StatusOpening: the authorize transaction is under way.
	StatusOpening Status = "opening"
	// StatusActive: usable until authorizationExpiry minus the serve margin.
	StatusActive Status = "active"
	// StatusClosing: no new use; final capture and void under way.
	StatusClosing Status = "closing"
	// StatusClosed: final capture done and the rest voided back to the payer.
	StatusClosed Status = "closed"
	// StatusFailed: authorize failed; nothing is held.
	StatusFailed Status = "failed"
)

// Session is an open escrow payment that requests spend from. Its counters
// are guarded by mu: deposit ≥ committed + reserved at all times, which is
// the no-overdraft invariant.
type Session struct {
	ID  [32]byte
	rec *SessionRecord
	pi  PaymentInfo

	mu        sync.Mutex
	status    Status
	tokenHash [32]byte
	committed *big.Int // served and recorded in the ledger
	reserved  *big.Int // requests in flight
	captured  *big.Int // on chain (refundable), as last seen
	requests  map[string]bool
	// captureMu serialises captures (and the close) of this session.
	captureMu sync.Mutex
	// shared: the session lives in the operator's shared store.
	shared bool
}

func newSession(id [32]byte, rec *SessionRecord) *Session {
	s := &Session{ID: id, rec: rec, pi: rec.PaymentInfo, status: rec.Status,
		committed: new(big.Int), reserved: new(big.Int), captured: new(big.Int), requests: map[string]bool{}}
	if b, err := hex.DecodeString(rec.TokenHash); err == nil && len(b) == 32 {
		copy(s.tokenHash[:], b)
	}
	if c, ok := new(big.Int).SetString(rec.Captured, 10); ok {
		s.captured = c
	}
	return s
}

// IDHex is the session id as 0x-hex (the PaymentInfo hash).
func (s *Session) IDHex() string { return "0x" + hex.EncodeToString(s.ID[:]) }

// PaymentInfo is the session's payment on the escrow.
func (s *Session) PaymentInfo() PaymentInfo { return s.pi }

// ExpiresAt is the authorizationExpiry: captures must land before it.
func (s *Session) ExpiresAt() time.Time { return time.Unix(int64(s.pi.AuthorizationExpiry), 0) }

// Balance is what is left to spend: deposit − committed − reserved.
func (s *Session) Balance() *big.Int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balanceLocked()
}

func (s *Session) balanceLocked() *big.Int {
	b := new(big.Int).Sub(s.pi.MaxAmount, s.committed)
	return b.Sub(b, s.reserved)
}

// SessionInfo describes a session for operators (no token).
type SessionInfo struct {
	ID        string    `json:"id"`
	Status    Status    `json:"status"`
	Payer     string    `json:"payer"`
	Receiver  string    `json:"receiver"`
	Deposit   string    `json:"deposit"`
	Committed string    `json:"committed"`
	Captured  string    `json:"captured"`
	Balance   string    `json:"balance"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Info snapshots the session.
func (s *Session) Info() SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SessionInfo{ID: s.IDHex(), Status: s.status, Payer: s.pi.Payer.Hex(), Receiver: s.pi.Receiver.Hex(),
		Deposit: s.pi.MaxAmount.String(), Committed: s.committed.String(), Captured: s.captured.String(),
		Balance: s.balanceLocked().String(), ExpiresAt: s.ExpiresAt()}
}

func hashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// tokenMatches compares in constant time.
func (s *Session) tokenMatches(token string) bool {
	h := hashToken(token)
	return subtle.ConstantTimeCompare(h[:], s.tokenHash[:]) == 1
}

// Reservation holds part of a session's balance for one request until it
// is committed (served) or released (not served).
type Reservation struct {
	Session   *Session
	RequestID string
	Amount    *big.Int
	op        *Operator
	done      bool
}

// reserve takes amount from the session's balance for requestID.
func (s *Session) reserve(requestID string, amount *big.Int, now time.Time, serveMargin time.Duration) *facilitator.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.status != StatusActive:
		return facilitator.Errorf(facilitator.CodeEscrowSessionClosed, "session %s is %s", s.IDHex(), s.status)
	case !now.Add(serveMargin).Before(s.ExpiresAt()):
		return facilitator.Errorf(facilitator.CodeEscrowSessionExpiring, "session expires at %s; no new use within %s of it (open a new session)", s.ExpiresAt().UTC().Format(time.RFC3339), serveMargin)
	case s.requests[requestID]:
		return facilitator.Errorf(facilitator.CodeEscrowDuplicateRequest, "requestId %q was already used in this session", requestID)
	}
	if s.balanceLocked().Cmp(amount) < 0 {
		return facilitator.Errorf(facilitator.CodeEscrowSessionBalance, "session balance %s is below the price %s; open a new session", s.balanceLocked(), amount)
	}
	s.reserved.Add(s.reserved, amount)
	s.requests[requestID] = true
	return nil
}

// Commit charges actual (≤ the reserved amount; 0 charges nothing) and
// records it durably. It returns the session's remaining balance.
func (r *Reservation) Commit(actual *big.Int) (*big.Int, error) {
	s := r.Session
	if actual == nil || actual.Cmp(r.Amount) > 0 {
		actual = r.Amount
	}
	if actual.Sign() < 0 {
		actual = new(big.Int)
	}
	s.mu.Lock()
	if r.done {
		s.mu.Unlock()
		return nil, errDone
	}
	r.done = true
	if r.op.cfg.Shared != nil {
		s.mu.Unlock()
		return r.commitShared(actual)
	}
	s.reserved.Sub(s.reserved, r.Amount)
	if actual.Sign() == 0 {
		delete(s.requests, r.RequestID)
		bal := s.balanceLocked()
		s.mu.Unlock()
		return bal, nil
	}
	s.committed.Add(s.committed, actual)
	bal := s.balanceLocked()
	s.mu.Unlock()
	if err := r.op.ledger.AddDebit(s.ID, r.RequestID, actual); err != nil {
		s.mu.Lock()
		s.committed.Sub(s.committed, actual)
		delete(s.requests, r.RequestID)
		s.mu.Unlock()
		return nil, err
	}
	r.op.kick(s)
	return bal, nil
}

// Release gives the reserved amount back; the requestId may be used again.
func (r *Reservation) Release() {
	s := r.Session
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	if r.op.cfg.Shared != nil {
		go r.releaseShared()
		return
	}
	s.reserved.Sub(s.reserved, r.Amount)
	delete(s.requests, r.RequestID)
}

func sameAddr(a common.Address, b string) bool {
	x, err := parseAddr(b)
	return err == nil && x == a
}
