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

// Funds checks, before an "after"-mode payment is served, that the payer
// holds enough to settle it together with everything of theirs still
// waiting to settle. Without it a valid signature from an empty wallet
// would be served and fail to settle later: a free response.
//
// Balances are cached per (network, token, payer) for TTL, so a repeat
// payer costs no RPC; a refresh that fails keeps using the last known
// balance (verification keeps serving known payers while the RPC is down).
type Funds struct {
	read BalanceReader
	ttl  time.Duration
	now  func() time.Time

	mu sync.Mutex
	m  map[fundsKey]*payerFunds
}

type fundsKey struct {
	network      string
	token, payer common.Address
}

type payerFunds struct {
	balance     *big.Int
	fetched     time.Time
	outstanding *big.Int // accepted, not yet settled
}

// NewFunds returns a funds check over read with the given cache TTL
// (default 15 s).
func NewFunds(read BalanceReader, ttl time.Duration) *Funds {
	if ttl <= 0 {
		ttl = 15 * time.Second
	}
	return &Funds{read: read, ttl: ttl, now: time.Now, m: map[fundsKey]*payerFunds{}}
}

// Reserve counts amount against the payer's balance. It returns a release
// function to call once with the final outcome: settled (the balance went
// down on chain) or not (nothing was charged).
func (f *Funds) Reserve(ctx context.Context, network string, token, payer common.Address, amount *big.Int) (func(settled bool), error) {
	k := fundsKey{network, token, payer}
	f.mu.Lock()
	pf := f.m[k]
	stale := pf == nil || f.now().Sub(pf.fetched) > f.ttl
	f.mu.Unlock()
	if stale {
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		bal, err := f.read(rctx, network, token, payer)
		cancel()
		f.mu.Lock()
		if pf = f.m[k]; err == nil {
			if pf == nil {
				pf = &payerFunds{outstanding: new(big.Int)}
				f.m[k] = pf
			}
			pf.balance, pf.fetched = bal, f.now()
		}
		f.mu.Unlock()
		if pf == nil {
			return nil, fmt.Errorf("%w: %v", ErrFundsUnknown, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	need := new(big.Int).Add(pf.outstanding, amount)
	if pf.balance.Cmp(need) < 0 {
		return nil, &InsufficientFunds{Balance: new(big.Int).Set(pf.balance), Pending: new(big.Int).Set(pf.outstanding), Amount: amount}
	}
	pf.outstanding = need
	var once sync.Once
	return func(settled bool) {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			pf.outstanding.Sub(pf.outstanding, amount)
			if settled {
				pf.balance = new(big.Int).Sub(pf.balance, amount)
			}
			if pf.outstanding.Sign() == 0 && f.now().Sub(pf.fetched) > f.ttl {
				delete(f.m, k) // idle and stale: forget the payer
			}
		})
	}, nil
}

// InsufficientFunds is a payer who cannot cover the payment.
type InsufficientFunds struct {
	Balance, Pending, Amount *big.Int
}

func (e *InsufficientFunds) Error() string {
	return fmt.Sprintf("payer holds %s with %s still settling; this payment needs %s more", e.Balance, e.Pending, e.Amount)
}
