package caddymodule

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddy-x402/x402/paywall/redisstore"
	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

func guardFor(t *testing.T, st *StoreConfig) (paywall.Store, error) {
	t.Helper()
	rt := &appRuntime{app: &App{Store: st}, log: zap.NewNop()}
	g, err := rt.newStore(caddy.NewReplacer())
	t.Cleanup(func() {
		if c, ok := g.(interface{ Close() error }); ok {
			_ = c.Close()
		}
		_ = rt.Destruct()
	})
	return g, err
}

// Store configuration mistakes are reported at provisioning, clearly, and
// never with a Redis password in them.
func TestStoreConfigErrors(t *testing.T) {
	t.Setenv("X402_TEST_REDIS_PW", "redis://:hunter2@[::1/0")
	for _, tc := range []struct {
		name string
		st   *StoreConfig
		want string
	}{
		{"unknown type", &StoreConfig{Type: "etcd"}, `unknown store type (want memory or redis)`},
		{"redis without url", &StoreConfig{Type: "redis"}, "a URL is required"},
		{"unset env", &StoreConfig{Type: "redis", URL: "{env.X402_TEST_UNSET_VAR}"}, "environment variable"},
		{"unset password env", &StoreConfig{Type: "redis", Cluster: []string{"127.0.0.1:1"}, Password: "{env.X402_TEST_UNSET_VAR}"}, "password"},
		{"bad scheme", &StoreConfig{Type: "redis", URL: "http://127.0.0.1:6379"}, "x402 redis store"},
		{"bad url hides password", &StoreConfig{Type: "redis", URL: "{env.X402_TEST_REDIS_PW}"}, "x402 redis store"},
		{"bad namespace", &StoreConfig{Type: "redis", URL: "redis://127.0.0.1:1/0", Namespace: "a:b"}, "namespace"},
		{"memory with url", &StoreConfig{Type: "memory", URL: "redis://x"}, "takes no URL"},
		{"two forms", &StoreConfig{Type: "redis", URL: "redis://127.0.0.1:1/0", Cluster: []string{"127.0.0.1:2"}}, "one of"},
		{"sentinel without master", &StoreConfig{Type: "redis", Sentinel: &SentinelConfig{Addrs: []string{"127.0.0.1:1"}}}, "master name"},
		{"cluster with db", &StoreConfig{Type: "redis", Cluster: []string{"127.0.0.1:1"}, DB: 3}, "database 0"},
		{"journal off", nil, "needs the journal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.st == nil {
				rt := &appRuntime{app: &App{Store: &StoreConfig{Type: "redis", URL: "redis://:hunter2@127.0.0.1:1/0"}, Journal: "off"}, log: zap.NewNop()}
				_, err = rt.newStore(caddy.NewReplacer())
			} else {
				_, err = guardFor(t, tc.st)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

// `store redis {env.…}` expands the placeholders (URL and password), uses
// the namespace, joins the store's generation when started, and an
// unreachable Redis does not stop the start (claims fail with 503 instead).
func TestStoreRedis(t *testing.T) {
	r := testsvc.StartRedis(t, "--requirepass", "s3cret-pw")
	t.Setenv("X402_TEST_REDIS_URL", r.URL(2))
	t.Setenv("X402_TEST_REDIS_PASSWORD", "s3cret-pw")
	g, err := guardFor(t, &StoreConfig{Type: "redis", URL: "{env.X402_TEST_REDIS_URL}", Password: "{env.X402_TEST_REDIS_PASSWORD}", Namespace: "t"})
	if err != nil {
		t.Fatal(err)
	}
	rg := g.(*redisstore.Store)
	ctx := context.Background()
	if err := rg.Start(ctx, func() (*paywall.RearmSet, error) { return &paywall.RearmSet{}, nil }); err != nil {
		t.Fatal(err)
	}
	var k [32]byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		// A fresh Redis: the first generation waits its join window.
		err := rg.Claim(ctx, k, time.Now().Add(time.Minute))
		if err == nil {
			break
		}
		if !errors.Is(err, paywall.ErrStoreRecovering) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := rg.Claim(ctx, k, time.Now().Add(time.Minute)); !errors.Is(err, paywall.ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	if !strings.HasPrefix(rg.Key(k), "x402:{t:0}:c:") {
		t.Fatalf("key %q", rg.Key(k))
	}
	// A wrong password (every form) is refused without the password in the
	// error.
	for _, st := range []*StoreConfig{
		{Type: "redis", URL: "redis://:wr0ng-pw@" + r.Addr + "/0"},
		{Type: "redis", URL: r.URL(0), Password: "wr0ng-pw"},
		{Type: "redis", Sentinel: &SentinelConfig{Master: "m", Addrs: []string{r.Addr}, Password: "wr0ng-pw"}, Password: "wr0ng-pw"},
		{Type: "redis", Cluster: []string{r.Addr}, Password: "wr0ng-pw"},
	} {
		bad, err := guardFor(t, st)
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = bad.(*redisstore.Store).Start(sctx, func() (*paywall.RearmSet, error) { return &paywall.RearmSet{}, nil })
		cancel()
		if err == nil || strings.Contains(err.Error(), "wr0ng-pw") {
			t.Fatalf("start with a wrong password: %v", err)
		}
	}
	down, err := guardFor(t, &StoreConfig{Type: "redis", URL: "redis://127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t)) + "/0"})
	if err != nil {
		t.Fatalf("unreachable redis must not fail provisioning: %v", err)
	}
	if err := down.Claim(ctx, k, time.Now().Add(time.Minute)); err == nil || errors.Is(err, paywall.ErrReplay) {
		t.Fatalf("claim on unreachable redis: %v", err)
	}
}

// The memory guard is shared by the runtimes of successive configs: a
// payment claimed under the old config is a replay under a new one that
// changed the x402 app, and destroying the old runtime leaves the guard
// working for the new one.
func TestMemoryStoreSurvivesAppReload(t *testing.T) {
	// A capacity of its own: the in-process Caddy of the integration tests
	// may hold the default one.
	capacity := 900_000 + int(time.Now().UnixNano()%99_999)
	old := &appRuntime{app: &App{GuardCapacity: capacity}, log: zap.NewNop()}
	g1, err := old.newStore(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if !old.guardFresh {
		t.Fatal("the first runtime did not create the guard")
	}
	var k [32]byte
	k[0] = 0x42
	until := time.Now().Add(time.Minute)
	if err := g1.Claim(ctx, k, until); err != nil {
		t.Fatal(err)
	}
	next := &appRuntime{app: &App{GuardCapacity: capacity, QueueCapacity: 7}, log: zap.NewNop()}
	g2, err := next.newStore(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if next.guardFresh {
		t.Fatal("the new runtime got a new guard instead of the shared one")
	}
	if err := g2.Claim(ctx, k, until); !errors.Is(err, paywall.ErrReplay) {
		t.Fatalf("claim under the new config: %v, want ErrReplay", err)
	}
	_ = old.Destruct()
	var k2 [32]byte
	k2[0] = 0x43
	if err := g2.Claim(ctx, k2, until); err != nil {
		t.Fatalf("guard after the old runtime left: %v", err)
	}
	if err := g2.Claim(ctx, k2, until); !errors.Is(err, paywall.ErrReplay) {
		t.Fatalf("guard after the old runtime left: %v", err)
	}
	_ = next.Destruct()
	// A new capacity is a new guard, flagged so the runtime re-arms it
	// from the journal.
	other := &appRuntime{app: &App{GuardCapacity: capacity + 1}, log: zap.NewNop()}
	if _, err := other.newStore(caddy.NewReplacer()); err != nil || !other.guardFresh {
		t.Fatalf("new capacity: fresh=%v err=%v", other.guardFresh, err)
	}
	_ = other.Destruct()
}
