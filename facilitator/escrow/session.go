package escrow

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"math/big"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/common"
)

// Status is a session's lifecycle state.
type Status string

const (
	// StatusOpening: the authorize transaction is under way (a durable
	// intent: the capture worker finds out how it ended).
	StatusOpening Status = "opening"
	// StatusActive: usable until authorizationExpiry minus the serve margin.
	StatusActive Status = "active"
	// StatusClosing: no new use; final capture and void under way (a
	// durable intent: the capture worker finishes it).
	StatusClosing Status = "closing"
	// StatusClosed: final capture done and the rest voided back to the payer.
	StatusClosed Status = "closed"
	// StatusFailed: authorize never took the deposit; nothing is held.
	StatusFailed Status = "failed"
)

// ErrSessionClosed refuses a commit on a session whose close sealed it:
// the request is not charged and must not be served as paid.
var ErrSessionClosed = errors.New("escrow: the session was closed while this request ran; it is not charged")

// Session is an open escrow payment that requests spend from. Its counters
// are guarded by mu: deposit ≥ committed + reserved at all times, which is
// the no-overdraft invariant; once sealed (closing), nothing more commits,
// so the final capture takes exactly what was committed.
type Session struct {
	ID [32]byte
	pi PaymentInfo

	mu         sync.Mutex
	rec        *SessionRecord // replaced, never modified in place
	status     Status
	sealed     bool
	tokenHash  [32]byte
	committed  *big.Int // served and recorded in the ledger
	reserved   *big.Int // requests in flight (this process)
	captured   *big.Int // on chain (refundable), as last seen
	requests   map[string]bool
	inflight   map[string]*big.Int // this process's reservations, by requestId
	commits    sync.WaitGroup      // commits between the sealed check and the ledger write
	committing int                 // how many (for moving the session to a shared store)
	// work serialises the capture worker's and the close's chain work on
	// this session (captures, void, reconciliation).
	work sync.Mutex
	// saveMu orders ledger writes of the record (see Operator.update).
	saveMu sync.Mutex
	// lostAt: when this process found the shared store had lost the
	// session and put it back (zero otherwise).
	lostAt time.Time
	// rearmedGen is the store generation this process re-armed it for.
	rearmedGen string
	// shared: the session's spending lives in the operator's shared store
	// (false for one of ours not moved there yet: the worker moves it).
	shared bool
}

func newSession(id [32]byte, rec *SessionRecord) *Session {
	s := &Session{ID: id, rec: rec, pi: rec.PaymentInfo, status: rec.Status,
		committed: new(big.Int), reserved: new(big.Int), captured: new(big.Int),
		requests: map[string]bool{}, inflight: map[string]*big.Int{}}
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

// Status is the session's status as this process knows it.
func (s *Session) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// record returns the current ledger record.
func (s *Session) record() *SessionRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec
}

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
func (s *Session) tokenMatches(token string) bool { return s.tokenHashMatches(hashToken(token)) }

func (s *Session) tokenHashMatches(h [32]byte) bool {
	s.mu.Lock()
	want := s.tokenHash
	s.mu.Unlock()
	return subtle.ConstantTimeCompare(h[:], want[:]) == 1
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

// reserve takes amount from the session's balance for requestID (in this
// process; shared sessions reserve in the shared store).
func (s *Session) reserve(requestID string, amount *big.Int, now time.Time, serveMargin time.Duration) *facilitator.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.status != StatusActive:
		return facilitator.Errorf(facilitator.CodeEscrowSessionClosed, "session %s is %s", s.IDHex(), s.status)
	case !now.Add(serveMargin).Before(s.ExpiresAt()):
		return expiring(s, serveMargin)
	case s.requests[requestID]:
		return facilitator.Errorf(facilitator.CodeEscrowDuplicateRequest, "requestId %q was already used in this session", requestID)
	}
	if s.balanceLocked().Cmp(amount) < 0 {
		return facilitator.Errorf(facilitator.CodeEscrowSessionBalance, "session balance %s is below the price %s; open a new session", s.balanceLocked(), amount)
	}
	s.reserved.Add(s.reserved, amount)
	s.requests[requestID] = true
	s.inflight[requestID] = amount
	return nil
}

func expiring(s *Session, serveMargin time.Duration) *facilitator.Error {
	return facilitator.Errorf(facilitator.CodeEscrowSessionExpiring, "session expires at %s; no new use within %s of it (open a new session)",
		s.ExpiresAt().UTC().Format(time.RFC3339), serveMargin)
}

// Commit charges actual (≤ the reserved amount; 0 charges nothing) and
// records it durably. It returns the session's remaining balance, or
// ErrSessionClosed when a close sealed the session meanwhile (nothing is
// charged; the request must not be served as paid).
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
	r.op.ledger.unexpect()
	if _, local := s.inflight[r.RequestID]; !local {
		s.mu.Unlock()
		return r.commitShared(actual)
	}
	if s.shared {
		// Reserved here, then moved to the shared store with the session:
		// the shared store holds the reservation now.
		r.unreserveLocked()
		s.mu.Unlock()
		return r.commitShared(actual)
	}
	if s.sealed {
		r.unreserveLocked()
		delete(s.requests, r.RequestID)
		s.mu.Unlock()
		return nil, ErrSessionClosed
	}
	if actual.Sign() == 0 {
		r.unreserveLocked()
		delete(s.requests, r.RequestID)
		bal := s.balanceLocked()
		s.mu.Unlock()
		return bal, nil
	}
	s.commits.Add(1)
	s.committing++
	s.mu.Unlock()
	err := r.op.ledger.AddDebit(s.ID, r.RequestID, actual)
	s.mu.Lock()
	s.committing--
	r.unreserveLocked()
	if err == nil {
		s.committed.Add(s.committed, actual)
	} else {
		delete(s.requests, r.RequestID)
	}
	bal := s.balanceLocked()
	s.mu.Unlock()
	s.commits.Done()
	if err != nil {
		return nil, err
	}
	r.op.kickCommitted()
	return bal, nil
}

// unreserveLocked drops this reservation from the process's counters.
func (r *Reservation) unreserveLocked() {
	s := r.Session
	if _, ok := s.inflight[r.RequestID]; ok {
		delete(s.inflight, r.RequestID)
		s.reserved.Sub(s.reserved, r.Amount)
	}
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
	r.op.ledger.unexpect()
	_, local := s.inflight[r.RequestID]
	r.unreserveLocked()
	if !local || s.shared {
		go r.releaseShared()
		return
	}
	delete(s.requests, r.RequestID)
}

// seal stops every commit of this process's reservations and waits for
// commits already past the check to be recorded.
func (s *Session) seal() {
	s.mu.Lock()
	s.sealed = true
	s.mu.Unlock()
	s.commits.Wait()
}

// lostSince is when the shared store was found to have lost the session.
func (s *Session) lostSince() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lostAt
}

// inFlightLocal counts this process's reservations.
func (s *Session) inFlightLocal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inflight)
}

func sameAddr(a common.Address, b string) bool {
	x, err := parseAddr(b)
	return err == nil && x == a
}
