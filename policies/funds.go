package policies

import "math/big"

// FundsState is what the paywall counts against one payer's balance of one
// asset before it serves an "after"-mode payment (served first, settled
// later): the last balance reading and the amounts that reading does not
// yet reflect. All amounts are token units, never negative.
type FundsState struct {
	// Balance is the payer's balance in the last reading.
	Balance *big.Int
	// Pending is the total of payments served whose settlement has not
	// finished.
	Pending *big.Int
	// Settled is the total of payments settled after the reading was
	// taken: already gone from the chain balance, not yet from Balance.
	Settled *big.Int
}

// FundsRequest is one payment asking to be served before it settles. New
// limits (per-payer exposure caps) become fields here.
type FundsRequest struct {
	// Amount is the payment's value in token units.
	Amount *big.Int
}

// FundsDecision is the answer to a FundsRequest.
type FundsDecision struct {
	// Allowed says the payment may be served: the balance covers it on top
	// of everything counted already.
	Allowed bool
	// Available is Balance − Pending − Settled, or 0 when that is negative.
	Available *big.Int
}

// DecideFunds decides whether a payer may be served one more payment
// before settlement: allowed when Pending + Settled + Amount ≤ Balance.
// Without it a valid signature from a wallet that cannot pay would be
// served and fail to settle: a free response. The shared store's Lua
// script (paywall/redisstore) computes the same decision; a table test
// checks that both agree.
func DecideFunds(s FundsState, r FundsRequest) FundsDecision {
	counted := new(big.Int).Add(nz(s.Pending), nz(s.Settled))
	avail := new(big.Int).Sub(nz(s.Balance), counted)
	if avail.Sign() < 0 {
		avail.SetInt64(0)
	}
	return FundsDecision{Allowed: nz(r.Amount).Cmp(avail) <= 0, Available: avail}
}

var zero = new(big.Int)

func nz(x *big.Int) *big.Int {
	if x == nil {
		return zero
	}
	return x
}
