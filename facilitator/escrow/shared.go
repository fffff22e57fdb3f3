package escrow

import (
	"context"
	"errors"
	"math/big"
	"time"
)

// SharedSessions keeps the spending of sessions consistent across several
// instances (Redis, in paywall/redisstore): a session opened on one Caddy
// can be spent and closed from all of them, reservations are atomic over
// all of them (no overdraft, no requestId served twice), the token is
// checked against the one hash every instance sees, and committed use is
// counted in one place. Only the session's operator (the instance that
// opened it, holding its key) captures and voids; a close received
// elsewhere is recorded (status closing, visible to every instance at once)
// and carried out by that instance's capture worker.
//
// The close protocol is BeginClose (no new reservation anywhere), InFlight
// until it is 0 or a bound passes, Seal (remaining reservations dropped; no
// commit succeeds after it, so the committed total it returns is final),
// the final capture and void, then Finish.
//
// Reservations expire (ttl) so that an instance that dies mid-request does
// not lock a session's balance forever.
type SharedSessions interface {
	// Publish stores a session: newly opened (committed 0, nothing else), or
	// moved from this instance's own ledger (what it committed, its used
	// requestIds and its reservations in flight). A session already there
	// is left as it is.
	Publish(ctx context.Context, id [32]byte, rec *SessionRecord, moved *MovedSession) error
	// Load returns a session's record with its current status and token
	// hash, or nil when unknown.
	Load(ctx context.Context, id [32]byte) (*SessionRecord, error)
	// Reserve holds amount for requestID when tokenHash is the session's
	// and it is active. Errors: ErrSharedUnknown, ErrSharedToken,
	// ErrSharedClosed, ErrSharedDuplicate, ErrSharedBalance.
	Reserve(ctx context.Context, id [32]byte, tokenHash [32]byte, requestID string, amount *big.Int, ttl time.Duration) error
	// Commit turns the reservation into committed use of actual (0: none)
	// and returns the remaining balance. Without its reservation (expired,
	// or dropped by Seal) it commits only on an active session whose
	// balance still covers actual; otherwise ErrSharedClosed or
	// ErrSharedBalance.
	Commit(ctx context.Context, id [32]byte, requestID string, actual *big.Int) (*big.Int, error)
	// Release drops the reservation.
	Release(ctx context.Context, id [32]byte, requestID string) error
	// Committed is the session's committed use over all instances.
	Committed(ctx context.Context, id [32]byte) (*big.Int, error)
	// BeginClose moves an active session to closing in one atomic step and
	// returns the status after it (closing, or closed when it already is).
	// A non-nil tokenHash must be the session's (ErrSharedToken).
	BeginClose(ctx context.Context, id [32]byte, tokenHash *[32]byte) (Status, error)
	// InFlight counts the session's live reservations (all instances).
	InFlight(ctx context.Context, id [32]byte) (int, error)
	// Seal drops the reservations left and returns the committed total,
	// which no later Commit changes.
	Seal(ctx context.Context, id [32]byte) (*big.Int, error)
	// Finish records the closed session: captured in total, void transaction.
	Finish(ctx context.Context, id [32]byte, captured *big.Int, voidTx string) error
	// Closed reads what Finish recorded; ok is false until then.
	Closed(ctx context.Context, id [32]byte) (captured *big.Int, voidTx string, ok bool, err error)
	// States reads the status and committed total of several sessions at
	// once (status "" when unknown).
	States(ctx context.Context, ids [][32]byte) ([]SharedState, error)
	// Rearm puts back what this instance knows of a session after the store
	// lost data: the session itself when it is gone (from rec, with the
	// given status, nothing committed and a new Generation), then this
	// instance's committed debits (requestId → amount), each counted once
	// however many times it is re-armed. It returns the session's
	// generation and whether this call recreated it.
	Rearm(ctx context.Context, id [32]byte, rec *SessionRecord, status Status, debits map[string]*big.Int) (generation string, recreated bool, err error)
	// SetToken replaces the session's token hash on a recovery signed at
	// issuedAt (Unix seconds), once: a recovery not newer than the last one
	// is ErrSharedStale.
	SetToken(ctx context.Context, id [32]byte, tokenHash [32]byte, issuedAt uint64) error
}

// MovedSession is what an instance brings of a session that lived in its
// own ledger when it moves the session to a shared store.
type MovedSession struct {
	Status    Status
	Committed *big.Int
	// Requests are the requestIds already committed.
	Requests []string
	// Reserved are reservations in flight: requestId → amount.
	Reserved map[string]*big.Int
}

// SharedState is a session's status and committed total in the shared
// store, and its generation: "" until the store lost it and an instance
// put it back (Rearm); then every instance that spent it re-arms once for
// that generation.
type SharedState struct {
	Status     Status
	Committed  *big.Int
	Generation string
}

// Errors of a SharedSessions implementation.
var (
	ErrSharedUnknown   = errors.New("escrow: session unknown to the shared store")
	ErrSharedToken     = errors.New("escrow: session token does not match")
	ErrSharedClosed    = errors.New("escrow: session is not active")
	ErrSharedDuplicate = errors.New("escrow: requestId already used")
	ErrSharedBalance   = errors.New("escrow: session balance too low")
	ErrSharedStale     = errors.New("escrow: a newer token recovery was already accepted")
)

// sharedTimeout bounds one call to the shared store.
const sharedTimeout = 3 * time.Second

// reservationTTL is how long a shared reservation lives without a commit:
// longer than any request should take.
const reservationTTL = 10 * time.Minute
