package paywall

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"go.uber.org/zap"
)

// RearmSet is what this instance must put back into a shared store that
// lost data, so that none of its payments buys a second response anywhere
// and its payers' served-not-settled amounts stay counted.
type RearmSet struct {
	// Claims are the payments this instance served or is serving, each
	// until its deadline.
	Claims []RearmClaim
	// Exposures are its "after"-mode payments served and not yet settled.
	Exposures []*Exposure
}

// RearmClaim is one payment to hold in the replay guard until Until.
type RearmClaim struct {
	Key   [32]byte
	Until time.Time
}

// RearmSet lists what this instance must put back after a store loss: the
// journal's spent and pending payments (Journal.Spent) and the claims in
// flight that the journal does not hold yet (claimed, upstream not
// answered), with the exposures of the journal's queued payments and of
// the requests in flight.
func (e *Engine) RearmSet() (*RearmSet, error) {
	now := e.now()
	set := &RearmSet{}
	seen := map[[32]byte]bool{}
	if e.Journal != nil {
		spent, err := e.Journal.Spent(now)
		if err != nil {
			return nil, fmt.Errorf("journal: listing spent payments: %w", err)
		}
		for id, deadline := range spent {
			var key [32]byte
			if b, err := hex.DecodeString(id); err == nil && len(b) == 32 {
				copy(key[:], b)
				set.Claims = append(set.Claims, RearmClaim{Key: key, Until: deadline})
				seen[key] = true
			}
		}
		pending, err := e.Journal.Pending()
		if err != nil {
			return nil, fmt.Errorf("journal: listing pending payments: %w", err)
		}
		for _, en := range pending {
			if x := queuedExposure(en); x != nil && x.Until.After(now) {
				set.Exposures = append(set.Exposures, x)
				seen[x.ID] = true
			}
		}
	}
	e.live.each(now, func(key [32]byte, l liveClaim) {
		set.Claims = append(set.Claims, RearmClaim{Key: key, Until: l.until})
		if l.exposure != nil && !seen[key] {
			set.Exposures = append(set.Exposures, l.exposure)
		}
	})
	return set, nil
}

// queuedExposure is the reservation of a journaled "after"-mode exact
// payment that waits for its settlement (nil for anything else).
func queuedExposure(en *Entry) *Exposure {
	if en.Scheme != facilitator.SchemeExact || en.State != StateQueued {
		return nil
	}
	var p facilitator.PaymentPayload
	var ep evm.ExactPayload
	if json.Unmarshal(en.Payload, &p) != nil || json.Unmarshal(p.Payload, &ep) != nil || ep.Authorization == nil {
		return nil
	}
	a, err := ep.Authorization.Parse()
	if err != nil {
		return nil
	}
	asset, err := evm.ParseAddress(en.Requirements.Asset)
	if err != nil {
		return nil
	}
	key, err := hex.DecodeString(en.ID)
	if err != nil || len(key) != 32 {
		return nil
	}
	x := &Exposure{Key: ExposureKey{Network: en.Requirements.Network, Asset: asset, Payer: a.From}, Amount: a.Value.ToBig(), Until: en.Deadline}
	copy(x.ID[:], key)
	return x
}

// ExposureRestorer is an ExposureLedger that can take back reservations of
// payments already served (after a restart), whatever the balance.
type ExposureRestorer interface {
	Restore(x *Exposure)
}

// RestoreExposures counts the journal's queued "after"-mode payments in
// the funds ledger again when it is an in-process one that a restart
// emptied (a shared store keeps them, or re-arms them itself after a
// loss). It returns how many it restored.
func (e *Engine) RestoreExposures() (int, error) {
	if e.Journal == nil || e.Funds == nil {
		return 0, nil
	}
	r, ok := e.Funds.ledger.(ExposureRestorer)
	if !ok {
		return 0, nil
	}
	pending, err := e.Journal.Pending()
	if err != nil {
		return 0, fmt.Errorf("journal: listing pending payments: %w", err)
	}
	n := 0
	now := e.now()
	for _, en := range pending {
		if x := queuedExposure(en); x != nil && x.Until.After(now) {
			r.Restore(x)
			n++
		}
	}
	return n, nil
}

// liveClaims are the payments this process claimed and has not finished:
// between the claim and the journal's record the journal does not know
// them, so a store loss in that window is covered from here. Sharded like
// the memory guard, so requests do not share one lock.
type liveClaims struct {
	shards [16]liveShard
}

type liveShard struct {
	mu sync.Mutex
	m  map[[32]byte]liveClaim
}

type liveClaim struct {
	until    time.Time
	exposure *Exposure // the funds reservation, once made
}

func (l *liveClaims) shard(key [32]byte) *liveShard { return &l.shards[key[1]&15] }

func (l *liveClaims) add(key [32]byte, until time.Time) {
	s := l.shard(key)
	s.mu.Lock()
	if s.m == nil {
		s.m = map[[32]byte]liveClaim{}
	}
	s.m[key] = liveClaim{until: until}
	s.mu.Unlock()
}

func (l *liveClaims) expose(key [32]byte, x *Exposure) {
	s := l.shard(key)
	s.mu.Lock()
	if c, ok := s.m[key]; ok {
		c.exposure = x
		s.m[key] = c
	}
	s.mu.Unlock()
}

func (l *liveClaims) remove(key [32]byte) {
	s := l.shard(key)
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

// each calls fn for every live claim and forgets those past their
// deadline (a settlement that gave up on them leaves nothing to guard).
func (l *liveClaims) each(now time.Time, fn func([32]byte, liveClaim)) {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for k, c := range s.m {
			if !c.until.After(now) {
				delete(s.m, k)
				continue
			}
			fn(k, c)
		}
		s.mu.Unlock()
	}
}

// Len is the number of claims in flight.
func (l *liveClaims) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// replayIncident reports a payment that bought a second response: the
// settlement of this request found the authorization used by another
// request's transaction. Nothing is charged for this request.
func (e *Engine) replayIncident(network, payer string, resp facilitator.SettleResponse) {
	e.logger().Error("x402 replay incident: a payment was served twice; its authorization was settled for another request, this response is unpaid",
		zap.String("network", network), zap.String("payer", payer), zap.String("transaction", resp.Transaction))
	e.observer().ReplayIncident(network)
}
