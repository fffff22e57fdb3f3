package paywall

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
)

func guardKey(n uint64) [32]byte {
	var in [8]byte
	binary.BigEndian.PutUint64(in[:], n)
	return evm.Keccak256(in[:])
}

func TestMemoryGuardReplayAndRelease(t *testing.T) {
	g := NewMemoryGuard(10, time.Hour)
	defer g.Close()
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	if err := g.Claim(ctx, guardKey(1), until); err != nil {
		t.Fatal(err)
	}
	if err := g.Claim(ctx, guardKey(1), until); !errors.Is(err, ErrReplay) {
		t.Fatalf("second claim: %v, want ErrReplay", err)
	}
	if err := g.Release(ctx, guardKey(1)); err != nil {
		t.Fatal(err)
	}
	if err := g.Release(ctx, guardKey(1)); err != nil { // twice is harmless
		t.Fatal(err)
	}
	if g.Len() != 0 {
		t.Fatalf("Len %d after release, want 0", g.Len())
	}
	if err := g.Claim(ctx, guardKey(1), until); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
}

// The whole capacity is usable (keys are spread over shards unevenly), and
// not one claim more; expired claims make room again.
func TestMemoryGuardCapacity(t *testing.T) {
	const capacity = 5000
	g := NewMemoryGuard(capacity, time.Hour)
	defer g.Close()
	now := time.Unix(1_700_000_000, 0)
	g.now = func() time.Time { return now }
	ctx := context.Background()
	for i := uint64(0); i < capacity; i++ {
		if err := g.Claim(ctx, guardKey(i), now.Add(time.Minute)); err != nil {
			t.Fatalf("claim %d of %d: %v", i+1, capacity, err)
		}
	}
	if g.Len() != capacity {
		t.Fatalf("Len %d, want %d", g.Len(), capacity)
	}
	if err := g.Claim(ctx, guardKey(capacity), now.Add(time.Minute)); !errors.Is(err, ErrGuardFull) {
		t.Fatalf("claim beyond capacity: %v, want ErrGuardFull", err)
	}
	// A live claim is never evicted to make room: it is still refused.
	if err := g.Claim(ctx, guardKey(7), now.Add(time.Minute)); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay at capacity: %v, want ErrReplay", err)
	}
	_ = g.Release(ctx, guardKey(3))
	if err := g.Claim(ctx, guardKey(capacity), now.Add(time.Minute)); err != nil {
		t.Fatalf("claim after a release at capacity: %v", err)
	}
	// Once the claims expire, the shard a new key falls in is swept.
	now = now.Add(2 * time.Minute)
	if err := g.Claim(ctx, guardKey(capacity+1), now.Add(time.Minute)); err != nil {
		t.Fatalf("claim after expiry: %v", err)
	}
	if err := g.Claim(ctx, guardKey(5), now.Add(time.Minute)); err != nil {
		t.Fatalf("expired key claimed again: %v", err)
	}
	if g.Len() > capacity {
		t.Fatalf("Len %d exceeds capacity %d", g.Len(), capacity)
	}
}

func TestMemoryGuardConcurrentClaimsOneWinner(t *testing.T) {
	g := NewMemoryGuard(0, time.Hour)
	defer g.Close()
	until := time.Now().Add(time.Minute)
	for key := uint64(0); key < 50; key++ {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := g.Claim(context.Background(), guardKey(key), until)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, ErrReplay):
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("key %d claimed %d times, want once", key, wins.Load())
		}
	}
	if g.Len() != 50 {
		t.Fatalf("Len %d, want 50", g.Len())
	}
}
