package paywall

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Replay guard errors.
var (
	// ErrReplay means the payment was already claimed: one payment buys at
	// most one response.
	ErrReplay = errors.New("payment already used")
	// ErrGuardFull means the guard holds its maximum of live payments; the
	// paywall answers 503 rather than forget a live one (which would let it
	// be replayed).
	ErrGuardFull = errors.New("replay guard is full")
)

// ReplayGuard remembers claimed payments until their authorization expires.
// Claim is atomic: of many concurrent claims of one key exactly one wins.
// Implementations: MemoryGuard (one process), and a Redis one for clusters.
type ReplayGuard interface {
	// Claim records key until the given time, or fails with ErrReplay when a
	// live claim exists, or ErrGuardFull.
	Claim(ctx context.Context, key [32]byte, until time.Time) error
	// Release forgets key, so the same payment can be used again (the
	// upstream failed and nothing was charged).
	Release(ctx context.Context, key [32]byte) error
	// Len is the number of claims held (expired ones may still count until
	// swept).
	Len() int
}

const guardShards = 64

// MemoryGuard is an in-process ReplayGuard: 64 shards of maps from the
// 32-byte payment key to its expiry, swept in the background. It never
// evicts a live claim; at capacity it refuses new ones (ErrGuardFull).
//
// A claim costs about 50 bytes, so a million live payments fit in ~60 MiB.
// (golang-lru's expirable cache has one TTL for all entries and keeps each
// key three times; the paywall needs a per-payment expiry and a hard
// no-eviction rule, so the guard is this small map instead.)
type MemoryGuard struct {
	shards   [guardShards]guardShard
	perShard int
	now      func() time.Time
	stop     chan struct{}
	stopOnce sync.Once
}

type guardShard struct {
	mu sync.Mutex
	m  map[[32]byte]int64 // key → expiry (unix seconds)
}

// DefaultGuardCapacity is the default maximum of live claims.
const DefaultGuardCapacity = 1_000_000

// NewMemoryGuard returns a guard for up to capacity live claims (default
// DefaultGuardCapacity when <= 0) that sweeps expired claims every sweep
// interval (default 30 s). Close stops the sweeper.
func NewMemoryGuard(capacity int, sweep time.Duration) *MemoryGuard {
	if capacity <= 0 {
		capacity = DefaultGuardCapacity
	}
	if sweep <= 0 {
		sweep = 30 * time.Second
	}
	g := &MemoryGuard{perShard: (capacity + guardShards - 1) / guardShards, now: time.Now, stop: make(chan struct{})}
	for i := range g.shards {
		g.shards[i].m = make(map[[32]byte]int64)
	}
	go g.sweepLoop(sweep)
	return g
}

var _ ReplayGuard = (*MemoryGuard)(nil)

func (g *MemoryGuard) shard(key [32]byte) *guardShard {
	return &g.shards[key[0]&(guardShards-1)]
}

// Claim implements ReplayGuard.
func (g *MemoryGuard) Claim(_ context.Context, key [32]byte, until time.Time) error {
	now := g.now().Unix()
	s := g.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.m[key]; ok && exp > now {
		return ErrReplay
	}
	if len(s.m) >= g.perShard {
		s.sweep(now)
		if len(s.m) >= g.perShard {
			return ErrGuardFull
		}
	}
	s.m[key] = until.Unix()
	return nil
}

// Release implements ReplayGuard.
func (g *MemoryGuard) Release(_ context.Context, key [32]byte) error {
	s := g.shard(key)
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// Len implements ReplayGuard.
func (g *MemoryGuard) Len() int {
	n := 0
	for i := range g.shards {
		s := &g.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// Close stops the background sweeper.
func (g *MemoryGuard) Close() error {
	g.stopOnce.Do(func() { close(g.stop) })
	return nil
}

func (s *guardShard) sweep(now int64) {
	for k, exp := range s.m {
		if exp <= now {
			delete(s.m, k)
		}
	}
}

func (g *MemoryGuard) sweepLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			now := g.now().Unix()
			for i := range g.shards {
				s := &g.shards[i]
				s.mu.Lock()
				s.sweep(now)
				s.mu.Unlock()
			}
		}
	}
}
