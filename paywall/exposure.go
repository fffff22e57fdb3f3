package paywall

import (
	"context"
	"math/big"
	"sync"
	"time"

	"github.com/caddy-x402/x402/policies"
)

// MemoryExposure is the in-process ExposureLedger. Per payer it keeps the
// last balance reading and the reservations counted against it; the
// decision is policies.DecideFunds, as in the Redis store's script.
type MemoryExposure struct {
	now func() time.Time

	mu     sync.Mutex
	payers map[ExposureKey]*payerExposure
	// ttl is the longest reading TTL asked for: a payer with nothing
	// counted and a reading older than that is forgotten.
	ttl   time.Duration
	calls int // Reserve calls since the last sweep of idle payers
}

type payerExposure struct {
	balance *big.Int  // nil until the first reading
	readAt  time.Time // when the reading was taken
	pending *big.Int
	settled *big.Int
	entries map[[32]byte]*exposureEntry
	// nextExpiry is the earliest Until of the entries (zero: none), so
	// that expired entries are looked for only when one is due.
	nextExpiry time.Time
	// lastUntil is the latest Until counted: ForgetAfter past it the
	// payer is forgotten, reading included.
	lastUntil time.Time
}

// ForgetAfter is how long past the last deadline of its reservations a
// payer's state (reservations and balance reading alike) is kept; then the
// next decision needs a fresh reading. The Redis store's keys expire the
// same way.
const ForgetAfter = time.Minute

type exposureEntry struct {
	amount    *big.Int
	until     time.Time
	settled   bool
	settledAt time.Time
}

// NewMemoryExposure returns an empty ledger.
func NewMemoryExposure() *MemoryExposure {
	return &MemoryExposure{now: time.Now, payers: map[ExposureKey]*payerExposure{}}
}

var _ ExposureLedger = (*MemoryExposure)(nil)

// Reserve implements ExposureLedger.
func (m *MemoryExposure) Reserve(_ context.Context, x *Exposure, o ReserveOptions) (policies.FundsDecision, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ttl = max(m.ttl, o.TTL)
	if m.calls++; m.calls >= idleSweepEvery {
		m.sweepIdle(now)
	}
	p := m.payers[x.Key]
	if p != nil && p.forgotten(now) {
		p = nil
	}
	if p == nil {
		p = &payerExposure{pending: new(big.Int), settled: new(big.Int), entries: map[[32]byte]*exposureEntry{}}
		m.payers[x.Key] = p
	}
	if o.Reading != nil {
		p.read(o.Reading, now, o.Lag)
	}
	p.expire(o.Lag)
	if p.balance == nil || (!o.AllowStale && o.Reading == nil && now.Sub(p.readAt) > o.TTL) {
		if len(p.entries) == 0 && p.balance == nil {
			delete(m.payers, x.Key)
		}
		return policies.FundsDecision{}, ErrBalanceStale
	}
	d := policies.DecideFunds(policies.FundsState{Balance: p.balance, Pending: p.pending, Settled: p.settled}, policies.FundsRequest{Amount: x.Amount})
	if _, dup := p.entries[x.ID]; dup {
		d.Allowed = true
		return d, nil
	}
	if !d.Allowed {
		return d, nil
	}
	p.add(x)
	return d, nil
}

// add counts x as pending.
func (p *payerExposure) add(x *Exposure) {
	p.entries[x.ID] = &exposureEntry{amount: new(big.Int).Set(x.Amount), until: x.Until}
	p.pending.Add(p.pending, x.Amount)
	if p.nextExpiry.IsZero() || x.Until.Before(p.nextExpiry) {
		p.nextExpiry = x.Until
	}
	if x.Until.After(p.lastUntil) {
		p.lastUntil = x.Until
	}
}

// forgotten: ForgetAfter has passed since the last deadline counted.
func (p *payerExposure) forgotten(now time.Time) bool {
	return !p.lastUntil.IsZero() && !now.Before(p.lastUntil.Add(ForgetAfter))
}

// Finish implements ExposureLedger.
func (m *MemoryExposure) Finish(_ context.Context, k ExposureKey, id [32]byte, settled bool) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.payers[k]
	if p == nil {
		return nil
	}
	e := p.entries[id]
	if e == nil || e.settled {
		return nil
	}
	p.pending.Sub(p.pending, e.amount)
	if settled {
		e.settled, e.settledAt = true, now
		p.settled.Add(p.settled, e.amount)
	} else {
		delete(p.entries, id)
	}
	if len(p.entries) == 0 && now.Sub(p.readAt) > m.ttl {
		delete(m.payers, k) // idle and stale: forget the payer
	}
	return nil
}

// idleSweepEvery is how many reservations pass between sweeps of payers
// with nothing counted and a stale reading.
const idleSweepEvery = 4096

func (m *MemoryExposure) sweepIdle(now time.Time) {
	m.calls = 0
	for k, p := range m.payers {
		if p.forgotten(now) || (len(p.entries) == 0 && now.Sub(p.readAt) > m.ttl) {
			delete(m.payers, k)
		}
	}
}

// read stores a reading (unless a newer one is stored) and forgets the
// settlements it reflects.
func (p *payerExposure) read(r *BalanceReading, now time.Time, lag time.Duration) {
	at := now.Add(-r.Age)
	if p.balance != nil && !at.After(p.readAt) {
		return
	}
	p.balance, p.readAt = new(big.Int).Set(r.Balance), at
	reflected := at.Add(-lag)
	for id, e := range p.entries {
		if e.settled && e.settledAt.Before(reflected) {
			p.settled.Sub(p.settled, e.amount)
			delete(p.entries, id)
		}
	}
}

// expire drops the reservations whose deadline the stored reading covers:
// taken at least lag after it, the reading shows whatever settlement
// happened before the deadline (none can happen after). The clock alone
// does not expire a reservation: on a reading older than its deadline (the
// chain cannot be read now, and an older reading is decided on), a
// payment settled after that reading would be sold a second time.
func (p *payerExposure) expire(lag time.Duration) {
	if p.balance == nil {
		return
	}
	covered := p.readAt.Add(-lag)
	if p.nextExpiry.IsZero() || covered.Before(p.nextExpiry) {
		return
	}
	p.nextExpiry = time.Time{}
	for id, e := range p.entries {
		if !covered.Before(e.until) {
			if e.settled {
				p.settled.Sub(p.settled, e.amount)
			} else {
				p.pending.Sub(p.pending, e.amount)
			}
			delete(p.entries, id)
			continue
		}
		if p.nextExpiry.IsZero() || e.until.Before(p.nextExpiry) {
			p.nextExpiry = e.until
		}
	}
}

// Restore implements ExposureRestorer: x was served before a restart and
// still waits for its settlement, so it counts whatever the balance.
func (m *MemoryExposure) Restore(x *Exposure) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.payers[x.Key]
	if p == nil {
		p = &payerExposure{pending: new(big.Int), settled: new(big.Int), entries: map[[32]byte]*exposureEntry{}}
		m.payers[x.Key] = p
	}
	if _, dup := p.entries[x.ID]; dup {
		return
	}
	p.add(x)
}
