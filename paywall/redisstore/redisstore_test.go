package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall"
	"github.com/redis/go-redis/v9"
)

// fastRecovery keeps store-loss recoveries short in tests.
var fastRecovery = RecoveryOptions{Heartbeat: 100 * time.Millisecond, Join: 300 * time.Millisecond, Timeout: 3 * time.Second}

// newGuard starts a store with nothing to re-arm and waits until it
// accepts claims.
func newGuard(t *testing.T, url, ns string) *Store {
	t.Helper()
	return startStore(t, Options{URL: url, Namespace: ns}, func() (*paywall.RearmSet, error) { return &paywall.RearmSet{}, nil })
}

// startStore starts a store over o (fast recovery unless o says otherwise)
// re-arming from source, and waits until it accepts claims.
func startStore(t *testing.T, o Options, source func() (*paywall.RearmSet, error)) *Store {
	t.Helper()
	if o.Recovery == (RecoveryOptions{}) {
		o.Recovery = fastRecovery
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Start(ctx, source); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s, 10*time.Second)
	return s
}

// waitReady polls until the store accepts claims in every part.
func waitReady(t *testing.T, s *Store, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !s.Ready() {
		if time.Now().After(deadline) {
			t.Fatalf("store not ready within %s", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func key(b byte) (k [32]byte) {
	k[0], k[31] = b, ^b
	return k
}

func TestClaimReplayRelease(t *testing.T) {
	r := testsvc.StartRedis(t)
	g := newGuard(t, r.URL(0), "")
	ctx := context.Background()
	if err := g.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Minute)
	if err := g.Claim(ctx, key(1), until); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	if err := g.Claim(ctx, key(1), until); !errors.Is(err, paywall.ErrReplay) {
		t.Fatalf("second claim: %v, want ErrReplay", err)
	}
	if err := g.Claim(ctx, key(2), until); err != nil {
		t.Fatalf("other key: %v", err)
	}
	if n := g.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
	// The key is namespaced and expires at the claim's deadline.
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	name := "x402:{default:1}:c:01" + strings.Repeat("00", 30) + "fe"
	if g.Key(key(1)) != name {
		t.Fatalf("key %q, want %q", g.Key(key(1)), name)
	}
	pttl, err := rdb.PTTL(ctx, name).Result()
	if err != nil || pttl <= 55*time.Second || pttl > time.Minute {
		t.Fatalf("PTTL %v (%v), want about 1m", pttl, err)
	}
	if err := g.Release(ctx, key(1)); err != nil {
		t.Fatal(err)
	}
	if err := g.Claim(ctx, key(1), until); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	// A deadline in the past holds nothing.
	if err := g.Claim(ctx, key(3), time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("past deadline: %v", err)
	}
	if n, _ := rdb.Exists(ctx, g.Key(key(3))).Result(); n != 0 {
		t.Fatal("a claim with a past deadline was stored")
	}
}

func TestClaimExpires(t *testing.T) {
	r := testsvc.StartRedis(t)
	g := newGuard(t, r.URL(0), "exp")
	ctx := context.Background()
	if err := g.Claim(ctx, key(9), time.Now().Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := g.Claim(ctx, key(9), time.Now().Add(time.Minute)); !errors.Is(err, paywall.ErrReplay) {
		t.Fatalf("before expiry: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := g.Claim(ctx, key(9), time.Now().Add(time.Minute))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("claim never expired: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Two guards (two instances, two connections) racing for the same keys:
// exactly one claim of each key wins.
func TestConcurrentClaimsAcrossInstances(t *testing.T) {
	r := testsvc.StartRedis(t)
	a, b := newGuard(t, r.URL(0), "race"), newGuard(t, r.URL(0), "race")
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	for i := range 50 {
		var wins, replays atomic.Int32
		var wg sync.WaitGroup
		for j := range 8 {
			g := a
			if j%2 == 1 {
				g = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch err := g.Claim(ctx, key(byte(i)), until); {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, paywall.ErrReplay):
					replays.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || replays.Load() != 7 {
			t.Fatalf("key %d: %d wins, %d replays; want 1 and 7", i, wins.Load(), replays.Load())
		}
	}
}

func TestNamespacesAreSeparate(t *testing.T) {
	r := testsvc.StartRedis(t)
	a, b := newGuard(t, r.URL(0), "a"), newGuard(t, r.URL(0), "b")
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	if err := a.Claim(ctx, key(5), until); err != nil {
		t.Fatal(err)
	}
	if err := b.Claim(ctx, key(5), until); err != nil {
		t.Fatalf("namespace b saw namespace a's claim: %v", err)
	}
	if a.Len() != 1 || b.Len() != 1 {
		t.Fatalf("Len a=%d b=%d, want 1 each", a.Len(), b.Len())
	}
}

// A full Redis (maxmemory, noeviction) refuses the write: ErrGuardFull, so
// the paywall answers 503 instead of forgetting a payment.
func TestOutOfMemoryIsGuardFull(t *testing.T) {
	r := testsvc.StartRedis(t)
	g := newGuard(t, r.URL(0), "")
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	if err := rdb.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	err := g.Claim(ctx, key(7), time.Now().Add(time.Minute))
	if !errors.Is(err, paywall.ErrGuardFull) {
		t.Fatalf("claim on a full redis: %v, want ErrGuardFull", err)
	}
}

// An unreachable Redis is an error (503 in the paywall), never a pass and
// never a replay.
func TestUnreachable(t *testing.T) {
	port := testsvc.FreePort(t)
	g, err := New(Options{URL: "redis://127.0.0.1:" + strconv.Itoa(port) + "/0", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx := context.Background()
	start := time.Now()
	err = g.Claim(ctx, key(1), time.Now().Add(time.Minute))
	if err == nil || errors.Is(err, paywall.ErrReplay) || errors.Is(err, paywall.ErrGuardFull) {
		t.Fatalf("claim with redis down: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("claim took %s with redis down", d)
	}
	if g.Ping(ctx) == nil {
		t.Fatal("Ping succeeded with redis down")
	}
	if g.Len() != -1 {
		t.Fatal("Len with redis down, want -1")
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "a URL"},
		{Options{URL: "redis://x", Cluster: []string{"a:1"}}, "one of"},
		{Options{Sentinel: &SentinelOptions{Addrs: []string{"a:1"}}}, "master name"},
		{Options{Cluster: []string{"a:1"}, DB: 2}, "database 0"},
		{Options{URL: "redis://127.0.0.1:1/0", Namespace: "a{b}"}, "namespace"},
		{Options{URL: "http://x"}, "redis store"},
		{Options{URL: "redis://u:s3cret@[bad/0"}, "redis store"},
		{Options{URL: "redis://127.0.0.1:1/0", Namespace: "a:b"}, "namespace"},
	} {
		_, err := New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.o, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}
