package escrow

import (
	"context"
	"errors"
	"math/big"
	"time"
)

// SharedSessions keeps the spending of sessions consistent across several
// instances (Redis, in paywall/redisstore): a session opened on one Caddy
// can be spent from all of them, reservations are atomic over all of them
// (no overdraft, no requestId served twice), and committed use is counted
// in one place. Only the session's operator (the instance that opened it,
// holding its key) captures and voids; a close received elsewhere is
// recorded and carried out by that instance's capture worker.
//
// Reservations expire (ttl) so that an instance that dies mid-request does
// not lock a session's balance forever.
type SharedSessions interface {
	// Publish stores a newly opened session.
	Publish(ctx context.Context, id [32]byte, rec *SessionRecord) error
	// Load returns a session's record, or nil when unknown.
	Load(ctx context.Context, id [32]byte) (*SessionRecord, error)
	// Reserve holds amount for requestID; errors: ErrSharedClosed,
	// ErrSharedDuplicate, ErrSharedBalance, ErrSharedUnknown.
	Reserve(ctx context.Context, id [32]byte, requestID string, amount *big.Int, ttl time.Duration) error
	// Commit turns the reservation into committed use of actual (0: none)
	// and returns the remaining balance.
	Commit(ctx context.Context, id [32]byte, requestID string, actual *big.Int) (*big.Int, error)
	// Release drops the reservation.
	Release(ctx context.Context, id [32]byte, requestID string) error
	// Committed is the session's committed use over all instances.
	Committed(ctx context.Context, id [32]byte) (*big.Int, error)
	// SetStatus and Status share the lifecycle (closing, closed).
	SetStatus(ctx context.Context, id [32]byte, st Status) error
	Status(ctx context.Context, id [32]byte) (Status, error)
}

// Errors of a SharedSessions implementation.
var (
	ErrSharedUnknown   = errors.New("escrow: session unknown to the shared store")
	ErrSharedClosed    = errors.New("escrow: session is not active")
	ErrSharedDuplicate = errors.New("escrow: requestId already used")
	ErrSharedBalance   = errors.New("escrow: session balance too low")
)

// sharedTimeout bounds one call to the shared store.
const sharedTimeout = 3 * time.Second

// reservationTTL is how long a shared reservation lives without a commit:
// longer than any request should take.
const reservationTTL = 10 * time.Minute
