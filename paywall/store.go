package paywall

import (
	"context"
	"errors"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/policies"
	"github.com/ethereum/go-ethereum/common"
)

// Store is the shared state that decides whether a response may be
// served: the replay set (one payment, one response) and the funds exposure
// of "after"-mode payers (served, not yet settled). Every decision is one
// atomic step. Implementations: MemoryStore (one instance) and
// redisstore.Store (many instances on one Redis, Sentinel set or Cluster).
//
// A shared store can lose data (a flush, a restart without persistence, a
// failover that lost the last writes). Its implementation then refuses
// claims with ErrStoreRecovering until every live instance has put back,
// from its journal, what it served (see RearmSet).
type Store interface {
	ReplayGuard
	ExposureLedger
}

// ErrStoreRecovering means the shared store lost data and the instances
// are putting their spent payments back: the paywall answers 503 with
// Retry-After (a few seconds) rather than decide on an unknown replay state.
var ErrStoreRecovering = errors.New("the shared store is recovering from a data loss")

// ErrBalanceStale means the exposure ledger holds no balance reading of the
// payer fresh enough to decide on: read the chain and ask again with it.
var ErrBalanceStale = errors.New("no fresh balance reading")

// ExposureKey names one payer's funds in one asset on one network.
type ExposureKey struct {
	Network string // CAIP-2
	Asset   common.Address
	Payer   common.Address
}

// Exposure is one "after"-mode payment counted against its payer's balance
// from the moment it is served until its settlement ends.
type Exposure struct {
	Key ExposureKey
	// ID is the payment's replay key: one reservation per payment.
	ID [32]byte
	// Amount in token units.
	Amount *big.Int
	// Until is the payment's deadline, after which it can no longer be
	// settled: the reservation stops counting once a balance reading taken
	// Lag after it is stored (that reading shows the outcome), never on
	// the clock alone.
	Until time.Time
}

// BalanceReading is a balance read from the chain.
type BalanceReading struct {
	Balance *big.Int
	// Age is how long ago the read started (the ledger dates the reading
	// with its own clock minus Age, so instance clocks need not agree).
	Age time.Duration
}

// ReserveOptions tune one ExposureLedger.Reserve call.
type ReserveOptions struct {
	// Reading is a fresh balance to store and decide on; nil uses the
	// stored one.
	Reading *BalanceReading
	// TTL is how long a stored reading stays fresh.
	TTL time.Duration
	// AllowStale decides on a stored reading however old it is (the chain
	// cannot be read now); without any reading the answer stays
	// ErrBalanceStale.
	AllowStale bool
	// Lag is how much older than a settlement a reading must be dated
	// before the settlement counts as reflected in it (DefaultSettledLag).
	Lag time.Duration
}

// ExposureLedger counts served-not-settled payments against payer balances,
// atomically over every instance that shares it.
type ExposureLedger interface {
	// Reserve decides with policies.DecideFunds and, when allowed, counts
	// x until Finish, or until a reading stored covers x.Until. It returns ErrBalanceStale when it needs a
	// fresh reading, ErrStoreRecovering while the store recovers. Reserving
	// an id that is already counted changes nothing and is allowed.
	Reserve(ctx context.Context, x *Exposure, o ReserveOptions) (policies.FundsDecision, error)
	// Finish ends a reservation: settled (its amount stays counted until a
	// balance reading taken after the settlement replaces the stored one)
	// or released (nothing was charged). Unknown ids are ignored.
	Finish(ctx context.Context, k ExposureKey, id [32]byte, settled bool) error
}

// DefaultSettledLag is how much older than a settlement a balance reading
// must be dated before the settlement is taken as reflected in it: it
// covers RPC nodes behind a load balancer that serve a block or two late,
// and the time between a transaction's inclusion and its receipt here.
const DefaultSettledLag = 4 * time.Second

// MemoryStore is the in-process Store: a MemoryGuard and a MemoryExposure.
type MemoryStore struct {
	*MemoryGuard
	*MemoryExposure
}

var _ Store = MemoryStore{}

// NewMemoryStore returns an in-process store; capacity and sweep are the
// guard's (see NewMemoryGuard). Close stops its sweeper.
func NewMemoryStore(capacity int, sweep time.Duration) MemoryStore {
	return MemoryStore{MemoryGuard: NewMemoryGuard(capacity, sweep), MemoryExposure: NewMemoryExposure()}
}

// StoreObserver receives a shared store's recovery events (the Caddy
// module turns them into metrics).
type StoreObserver interface {
	// StoreGeneration: this instance entered a new generation of a part of
	// the store; created says it detected the loss and started it, else it
	// joined one another instance started.
	StoreGeneration(created bool)
	// StoreRearmed: this instance put back claims and funds exposures from
	// its journal and its requests in flight.
	StoreRearmed(claims, exposures int)
	// StoreRecovering: how many parts of the store refuse claims now
	// (waiting for a recovery to end, or for this instance to re-arm).
	StoreRecovering(parts int)
}
