package escrow

import (
	"math/big"
	"time"
)

// Observer receives the operator's session metrics (caddymodule turns them
// into Prometheus series). It must not block.
type Observer interface {
	// Sessions reports, after each capture sweep, the sessions this
	// operator holds (those it opened) and the money in them.
	Sessions(network string, t Totals)
	// NearExpiry reports a session within AlertMargin of its
	// authorizationExpiry with uncaptured committed use (units): unless
	// captured before the expiry, the payer can reclaim it.
	NearExpiry(network, session string, uncaptured *big.Int, left time.Duration)
}

// Totals describe an operator's sessions. Amounts are token units.
type Totals struct {
	// ByStatus counts sessions per status.
	ByStatus map[Status]int
	// Deposited is the deposits of sessions not closed or failed; Used
	// what they committed; Captured what was captured of it.
	Deposited, Used, Captured *big.Int
	// NearExpiry is committed use not captured of sessions within
	// AlertMargin of their expiry.
	NearExpiry *big.Int
}

func newTotals() Totals {
	return Totals{ByStatus: map[Status]int{}, Deposited: new(big.Int), Used: new(big.Int), Captured: new(big.Int), NearExpiry: new(big.Int)}
}

func (t *Totals) add(st Status, deposit, committed, captured *big.Int) {
	t.ByStatus[st]++
	if st == StatusOpening || st == StatusActive || st == StatusClosing {
		t.Deposited.Add(t.Deposited, deposit)
		t.Used.Add(t.Used, committed)
		t.Captured.Add(t.Captured, captured)
	}
}

type nopObserver struct{}

func (nopObserver) Sessions(string, Totals)                            {}
func (nopObserver) NearExpiry(string, string, *big.Int, time.Duration) {}
