package paywall

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// BalanceReader reads owner's balance of token on network (CAIP-2).
type BalanceReader func(ctx context.Context, network string, token, owner common.Address) (*big.Int, error)

// ErrFundsUnknown means a payer's balance could not be read and nothing is
// known about it: the paywall answers 503 rather than serve on trust.
var ErrFundsUnknown = errors.New("payer balance unavailable")

// DefaultFundsTTL is how long a balance reading is trusted.
const DefaultFundsTTL = 15 * time.Second

// maxFundsTTL keeps a reading younger than the shortest time between a
// settlement and its reservation's deadline (a minute past validBefore),
// so that a payer who keeps paying has a reading past the deadline by the
// time it comes: reservations end on readings, never on the clock alone.
const maxFundsTTL = 45 * time.Second

// Funds checks, before an "after"-mode payment is served, that the payer
// holds enough to settle it together with everything of theirs still
// waiting to settle. Without it a valid signature from an empty wallet
// would be served and fail to settle later: a free response.
//
// What is counted lives in an ExposureLedger: in memory for one instance,
// in the shared store for many, so that N instances never sell a payer's
// balance N times. A balance reading is kept in the ledger for TTL, so a
// repeat payer costs no RPC; a refresh that fails keeps deciding on the
// last reading (known payers are served while the RPC is down).
type Funds struct {
	read   BalanceReader
	ledger ExposureLedger
	ttl    time.Duration
	now    func() time.Time
	// lag: see ReserveOptions.Lag.
	lag time.Duration

	// reads coalesces concurrent chain reads of one payer.
	mu    sync.Mutex
	reads map[ExposureKey]*balanceRead

	// OnChange, when set, is told each amount this instance starts
	// counting (positive) or stops counting (negative), for metrics.
	OnChange func(k ExposureKey, delta *big.Int)
}

type balanceRead struct {
	done    chan struct{}
	reading *BalanceReading
	err     error
}

// NewFunds returns a funds check over read, counting in ledger (nil: a
// MemoryExposure of its own), with the given reading TTL (default
// DefaultFundsTTL, at most 45 s).
func NewFunds(read BalanceReader, ledger ExposureLedger, ttl time.Duration) *Funds {
	if ttl <= 0 {
		ttl = DefaultFundsTTL
	}
	ttl = min(ttl, maxFundsTTL)
	if ledger == nil {
		ledger = NewMemoryExposure()
	}
	return &Funds{read: read, ledger: ledger, ttl: ttl, now: time.Now, lag: DefaultSettledLag, reads: map[ExposureKey]*balanceRead{}}
}

// Reserve counts x against its payer's balance. It returns a function to
// call once with the final outcome: settled (the balance went down on
// chain) or not (nothing was charged).
func (f *Funds) Reserve(ctx context.Context, x *Exposure) (func(settled bool), error) {
	d, err := f.ledger.Reserve(ctx, x, ReserveOptions{TTL: f.ttl, Lag: f.lag})
	if errors.Is(err, ErrBalanceStale) {
		reading, rerr := f.readBalance(ctx, x.Key)
		if rerr == nil {
			d, err = f.ledger.Reserve(ctx, x, ReserveOptions{TTL: f.ttl, Lag: f.lag, Reading: reading})
		} else {
			d, err = f.ledger.Reserve(ctx, x, ReserveOptions{TTL: f.ttl, Lag: f.lag, AllowStale: true})
			if errors.Is(err, ErrBalanceStale) {
				return nil, fmt.Errorf("%w: %v", ErrFundsUnknown, rerr)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return nil, &InsufficientFunds{Available: d.Available, Amount: x.Amount}
	}
	if f.OnChange != nil {
		f.OnChange(x.Key, x.Amount)
	}
	return f.finisher(x.Key, x.ID, x.Amount), nil
}

// Finisher returns the outcome function of a reservation made before (by
// this or another process: a payment resumed from the journal).
func (f *Funds) Finisher(k ExposureKey, id [32]byte) func(settled bool) {
	return f.finisher(k, id, nil)
}

// finisher ends the reservation of id; amount, when this instance counted
// it, goes back out of OnChange.
func (f *Funds) finisher(k ExposureKey, id [32]byte, amount *big.Int) func(settled bool) {
	var once sync.Once
	return func(settled bool) {
		once.Do(func() {
			if f.OnChange != nil && amount != nil {
				f.OnChange(k, new(big.Int).Neg(amount))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			// A failed Finish leaves the amount counted until the
			// reservation expires: the payer may be refused for a while,
			// never oversold.
			_ = f.ledger.Finish(ctx, k, id, settled)
		})
	}
}

// readBalance reads the chain once for all concurrent callers of one payer.
func (f *Funds) readBalance(ctx context.Context, k ExposureKey) (*BalanceReading, error) {
	f.mu.Lock()
	r := f.reads[k]
	if r == nil {
		r = &balanceRead{done: make(chan struct{})}
		f.reads[k] = r
		f.mu.Unlock()
		start := f.now()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		bal, err := f.read(rctx, k.Network, k.Asset, k.Payer)
		cancel()
		if err == nil {
			r.reading = &BalanceReading{Balance: bal, Age: f.now().Sub(start)}
		}
		r.err = err
		f.mu.Lock()
		delete(f.reads, k)
		f.mu.Unlock()
		close(r.done)
	} else {
		f.mu.Unlock()
	}
	select {
	case <-r.done:
		return r.reading, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// InsufficientFunds is a payer who cannot cover the payment.
type InsufficientFunds struct {
	// Available is the balance left after the payments still counted.
	Available, Amount *big.Int
}

func (e *InsufficientFunds) Error() string {
	return fmt.Sprintf("payer's balance covers %s more after the payments still settling; this payment needs %s", e.Available, e.Amount)
}
