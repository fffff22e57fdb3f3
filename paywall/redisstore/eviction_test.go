package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall"
	"github.com/redis/go-redis/v9"
)

// Managed Redis services often default to maxmemory-policy volatile-lru:
// under memory pressure they evict keys that have a TTL, i.e. claims, and
// never the generation markers, which have none. An evicted claim would
// let its payment buy a second response with no sign of a loss.

// fillUntilEvicted writes another application's cache keys (with a TTL)
// until Redis has evicted every one of keys.
func fillUntilEvicted(t *testing.T, rdb *redis.Client, s *Store, keys [][32]byte) {
	t.Helper()
	ctx := context.Background()
	val := strings.Repeat("x", 4096)
	for i := 0; ; i++ {
		if i == 200_000 {
			t.Fatal("200,000 cache keys written and the claims are still there")
		}
		if err := rdb.Set(ctx, fmt.Sprintf("cache:%d", i), val, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if i%500 != 0 {
			continue
		}
		left := 0
		for _, k := range keys {
			if n, _ := rdb.Exists(ctx, s.Key(k)).Result(); n == 1 {
				left++
			}
		}
		if left == 0 {
			return
		}
	}
}

func evictedKeys(t *testing.T, rdb *redis.Client) int {
	t.Helper()
	info, err := rdb.Info(context.Background(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(info, "evicted_keys:")
	n, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(rest, "\n", 2)[0]))
	return n
}

// Redis switched to an evicting policy while instances serve: they stop
// taking claims within a heartbeat, whatever Redis then evicts, and once it
// runs with noeviction again they re-arm: no payment is served twice.
func TestEvictingRedisRefusesClaims(t *testing.T) {
	r := testsvc.StartRedis(t)
	a := startInstance(t, Options{URL: r.URL(0), Namespace: "evict"})
	var keys [][32]byte
	for i := range 200 {
		keys = append(keys, spread(i%Partitions, i))
		a.j.serve(t, a.s, keys[i])
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.ConfigSet(ctx, "maxmemory", "8mb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ConfigSet(ctx, "maxmemory-policy", "volatile-lru").Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.s.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the store still takes claims 10 s after Redis started evicting")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fillUntilEvicted(t, rdb, a.s, keys)
	for _, k := range append(keys, spread(1, 5000)) {
		err := a.s.Claim(ctx, k, time.Now().Add(time.Minute))
		if err == nil || errors.Is(err, paywall.ErrReplay) || !strings.Contains(err.Error(), "maxmemory-policy volatile-lru") {
			t.Fatalf("claim while Redis evicts: %v, want a refusal naming maxmemory-policy volatile-lru", err)
		}
	}
	if _, err := a.s.Reserve(ctx, exposure(payer(1), 1, "1"), paywall.ReserveOptions{TTL: time.Minute}); err == nil {
		t.Fatal("a funds reservation was taken while Redis evicts")
	}
	// The operator sets noeviction and gives Redis room again.
	for _, kv := range [][2]string{{"maxmemory-policy", "noeviction"}, {"maxmemory", "0"}} {
		if err := rdb.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	waitReady(t, a.s, 15*time.Second)
	if n := mustNotServe(t, a.s, keys); n != len(keys) {
		t.Fatalf("%d of %d evicted payments are replays after the re-arm", n, len(keys))
	}
}

// Evictions between two heartbeats (the policy set to evict and back
// before any instance looked) still end the generation: the marker
// recorded how many keys the server had evicted when it started.
func TestEvictionsBetweenHeartbeatsStartANewGeneration(t *testing.T) {
	r := testsvc.StartRedis(t)
	// No background heartbeat during the test: the test heartbeats itself.
	a := &instance{j: newJournal(), c: &counter{}}
	s, err := New(Options{URL: r.URL(0), Namespace: "evicted", Observer: a.c, Recovery: RecoveryOptions{Heartbeat: time.Hour, Join: 200 * time.Millisecond, Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a.s = s
	ctx := context.Background()
	if err := s.Start(ctx, a.j.source); err != nil {
		t.Fatal(err)
	}
	heartbeatUntilReady := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !s.Ready() {
			if time.Now().After(deadline) {
				t.Fatal("not ready within 10 s")
			}
			time.Sleep(50 * time.Millisecond)
			_ = s.tick(ctx)
		}
	}
	heartbeatUntilReady()
	var keys [][32]byte
	for i := range 200 {
		keys = append(keys, spread(i%Partitions, i))
		a.j.serve(t, a.s, keys[i])
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	for _, kv := range [][2]string{{"maxmemory", "8mb"}, {"maxmemory-policy", "volatile-lru"}} {
		if err := rdb.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	fillUntilEvicted(t, rdb, a.s, keys)
	for _, kv := range [][2]string{{"maxmemory-policy", "noeviction"}, {"maxmemory", "0"}} {
		if err := rdb.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if evictedKeys(t, rdb) == 0 {
		t.Fatal("nothing evicted; the test shows nothing")
	}
	// volatile-lru kept the markers (no TTL): only the eviction count
	// tells the loss.
	for p := range Partitions {
		if n, _ := rdb.Exists(ctx, s.marker(p)).Result(); n != 1 {
			t.Fatalf("marker of part %d evicted; the test shows nothing", p)
		}
	}
	created := a.c.created.Load()
	if err := a.s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	if a.c.created.Load() == created {
		t.Fatal("a heartbeat after evictions did not start a new generation")
	}
	heartbeatUntilReady()
	if n := mustNotServe(t, a.s, keys); n != len(keys) {
		t.Fatalf("%d of %d evicted payments are replays after the re-arm", n, len(keys))
	}
}
