package reliability

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/redis/go-redis/v9"
)

// TestStoreEvictionNeverServesTwice: two instances on one Redis serve and
// settle 12 payments; the operator then gives Redis a maxmemory with
// maxmemory-policy volatile-lru (the default of several managed Redis
// services), and another application's cache fills it until Redis has
// evicted every claim (the claims have a TTL, the generation markers have
// none: nothing else tells the loss). Within a heartbeat of the policy
// change both instances refuse paid requests (503, a log line naming the
// policy); every served header resent meanwhile is refused, the upstream
// is not called. Once Redis runs with noeviction again, the instances
// re-arm: every header is a replay on both, new payments are served, each
// charged once on chain.
func TestStoreEvictionNeverServesTwice(t *testing.T) {
	t.Parallel()
	r := testsvc.StartRedis(t)
	e := newEnv(t)
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], redis: r.URL(0)})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], redis: r.URL(0)})
	payerBefore := e.balance(e.payer.Address)
	ps := serveThrough(t, e, 12, a, b)
	e.waitBalance(bigInt(int64(len(ps))*price), 60*time.Second)

	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	ctx := context.Background()
	used := infoInt(t, rdb, "memory", "used_memory")
	config := func(kv ...string) {
		t.Helper()
		for k := 0; k < len(kv); k += 2 {
			if err := rdb.ConfigSet(ctx, kv[k], kv[k+1]).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	config("maxmemory", strconv.FormatInt(used+4<<20, 10), "maxmemory-policy", "volatile-lru")
	// Within a heartbeat both instances stop taking claims (on a version
	// that does not look, the wait ends after 5 s and the resend below
	// shows what follows).
	deadline := time.Now().Add(5 * time.Second)
	for metrics("caddy_x402_store_recovering_parts", a, b) != 32 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	claims := func() int64 {
		n := int64(0)
		iter := rdb.Scan(ctx, 0, "x402:{reliability:*}:c:*", 1000).Iterator()
		for iter.Next(ctx) {
			n++
		}
		return n
	}
	val := strings.Repeat("x", 4096)
	for k := 0; claims() > 0; k++ {
		if k == 100 {
			t.Fatal("100,000 cache keys written and claims are still there")
		}
		pipe := rdb.Pipeline()
		for n := range 1000 {
			pipe.Set(ctx, fmt.Sprintf("cache:%d:%d", k, n), val, time.Hour)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("every claim evicted (%d keys evicted)", infoInt(t, rdb, "stats", "evicted_keys"))
	hits := e.hits.Load()
	for k, p := range ps {
		for _, in := range []*instance{a, b} {
			status, code := send(t, in.url(fmt.Sprintf("/paid/evicted-%d", k)), p.header)
			if status == http.StatusOK {
				t.Errorf("payment %d served a second time by %s after its claim was evicted", k, in.o.name)
			} else if status != http.StatusServiceUnavailable || code != facilitator.CodeServiceBusy {
				t.Errorf("payment %d on %s while Redis evicts: %d %s, want 503 %s", k, in.o.name, status, code, facilitator.CodeServiceBusy)
			}
		}
	}
	if got := e.hits.Load() - hits; got != 0 {
		t.Fatalf("the upstream was called %d times by replays", got)
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, in := range []*instance{a, b} {
		if out := in.proc.Output(); !strings.Contains(out, `"maxmemory_policy":"volatile-lru"`) {
			t.Fatalf("%s logged no line naming the eviction policy\n%s", in.o.name, in.proc.Tail(4096))
		}
	}

	// The operator fixes Redis: noeviction, and room.
	config("maxmemory-policy", "noeviction", "maxmemory", "0")
	resendUntilRefused(t, e, ps, 60*time.Second, a, b)
	a.waitStoreReady(30 * time.Second)
	b.waitStoreReady(30 * time.Second)
	ps = append(ps, serveThrough(t, e, 4, a, b)...)
	e.waitBalance(bigInt(int64(len(ps))*price), 60*time.Second)
	time.Sleep(time.Second) // nothing settles twice after the last settlement
	e.checkSettled(payerBefore, ps)
}

// infoInt reads one integer field of a Redis INFO section.
func infoInt(t *testing.T, rdb *redis.Client, section, field string) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s %s: %q", section, field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return 0
}
