package paywall

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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
// A claim costs about 100 bytes of heap: a million live payments take
// 96 MiB (BenchmarkMemoryGuardMillion).
// (golang-lru's expirable cache has one TTL for all entries and keeps each
// key three times; the paywall needs a per-payment expiry and a hard
// no-eviction rule, so the guard is this small map instead.)
type MemoryGuard struct {
	shards   [guardShards]guardShard
	capacity int64
	// live counts the claims held in all shards. The capacity is checked
	// against it rather than split per shard: with a per-shard cap the
	// fullest shard refused claims while the guard as a whole held 2 %
	// fewer than its capacity (keys are hashes, shards never fill evenly).
	live     atomic.Int64
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
	g := &MemoryGuard{capacity: int64(capacity), now: time.Now, stop: make(chan struct{})}
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
	if exp, ok := s.m[key]; ok {
		if exp > now {
			return ErrReplay
		}
		// An expired claim of the same key is renewed in place.
		s.m[key] = until.Unix()
		return nil
	}
	if g.live.Load() >= g.capacity {
		g.live.Add(-s.sweep(now))
		if g.live.Load() >= g.capacity {
			return ErrGuardFull
		}
	}
	s.m[key] = until.Unix()
	g.live.Add(1)
	return nil
}

// Release implements ReplayGuard.
func (g *MemoryGuard) Release(_ context.Context, key [32]byte) error {
	s := g.shard(key)
	s.mu.Lock()
	if _, ok := s.m[key]; ok {
		delete(s.m, key)
		g.live.Add(-1)
	}
	s.mu.Unlock()
	return nil
}

// Len implements ReplayGuard.
func (g *MemoryGuard) Len() int {
	return int(g.live.Load())
}

// Close stops the background sweeper.
func (g *MemoryGuard) Close() error {
	g.stopOnce.Do(func() { close(g.stop) })
	return nil
}

// sweep deletes the shard's expired claims and returns how many; the
// caller holds s.mu and subtracts them from the guard's live count.
func (s *guardShard) sweep(now int64) int64 {
	var n int64
	for k, exp := range s.m {
		if exp <= now {
			delete(s.m, k)
			n++
		}
	}
	return n
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
				g.live.Add(-s.sweep(now))
				s.mu.Unlock()
			}
		}
	}
}
