package caddymodule

import (
	"context"
	"fmt"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/remote"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddy-x402/x402/paywall/redisstore"
	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// newGuard builds the replay guard the store config asks for: in memory
// (one instance), or in Redis, shared by every instance that uses the same
// Redis database and namespace. The Redis URL's placeholders (e.g.
// {env.REDIS_URL}) are expanded here, so a password stays out of the JSON
// config. The engine closes the guard when the runtime is destroyed.
func (rt *appRuntime) newGuard(repl *caddy.Replacer) (paywall.ReplayGuard, error) {
	st := rt.app.Store
	if st == nil || st.Type == "" || st.Type == "memory" {
		if st != nil && (st.URL != "" || st.Namespace != "") {
			return nil, fmt.Errorf("x402 store memory takes no URL or namespace")
		}
		return rt.sharedMemoryGuard()
	}
	if st.Type != "redis" {
		return nil, fmt.Errorf("x402 store %q: unknown store type (want memory or redis)", st.Type)
	}
	if st.URL == "" {
		return nil, fmt.Errorf("x402 store redis: a URL is required (store redis redis://127.0.0.1:6379/0)")
	}
	url, err := repl.ReplaceOrErr(st.URL, true, true)
	if err != nil {
		return nil, fmt.Errorf("x402 store redis URL: %w (is the environment variable set?)", err)
	}
	g, err := redisstore.New(redisstore.Options{URL: url, Namespace: st.Namespace})
	if err != nil {
		return nil, fmt.Errorf("x402 %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := g.Ping(ctx); err != nil {
		// Like an unreachable RPC: the instance starts, and paid requests
		// get 503 until Redis answers (never a payment served unguarded).
		rt.log.Warn("x402 store redis unreachable at start; paid requests get 503 until it answers", zap.Error(err))
	}
	return g, nil
}

// newRemote builds the remote facilitator client, expanding placeholders in
// URLs and header values at provision time so secrets stay out of the JSON.
func newRemote(repl *caddy.Replacer, fc *FacilitatorConfig, log *zap.Logger) (facilitator.Facilitator, error) {
	cfg := remote.Config{SettleTimeout: time.Duration(fc.Timeout), Logger: log}
	for _, u := range fc.URLs {
		v, err := repl.ReplaceOrErr(u, true, true)
		if err != nil {
			return nil, fmt.Errorf("x402 facilitator remote url: %w", err)
		}
		cfg.URLs = append(cfg.URLs, v)
	}
	for k, v := range fc.Headers {
		val, err := repl.ReplaceOrErr(v, true, true)
		if err != nil {
			return nil, fmt.Errorf("x402 facilitator remote header %s: %w", k, err)
		}
		if cfg.Headers == nil {
			cfg.Headers = map[string]string{}
		}
		cfg.Headers[k] = val
	}
	c, err := remote.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("x402 facilitator remote: %w", err)
	}
	return c, nil
}

// memGuards holds the in-memory replay guard of this process, shared by the
// runtimes of successive configs: a reload that changes the x402 app builds
// a new runtime while the old one is still serving, and a guard of its own
// would not know the payments served before (they could buy a second
// response). Keyed by capacity; a new capacity gets a new guard, which the
// runtime re-arms from the journal.
var memGuards = caddy.NewUsagePool()

type pooledMemoryGuard struct{ *paywall.MemoryGuard }

// Destruct implements caddy.Destructor: the last runtime using the guard is
// gone.
func (p pooledMemoryGuard) Destruct() error { return p.MemoryGuard.Close() }

// sharedGuard is the pooled guard seen only as a ReplayGuard, without
// Close, so that Engine.Close of one runtime does not stop the guard under
// the next one.
type sharedGuard struct{ g *paywall.MemoryGuard }

func (s sharedGuard) Claim(ctx context.Context, key [32]byte, until time.Time) error {
	return s.g.Claim(ctx, key, until)
}
func (s sharedGuard) Release(ctx context.Context, key [32]byte) error { return s.g.Release(ctx, key) }
func (s sharedGuard) Len() int                                        { return s.g.Len() }

// sharedMemoryGuard takes a reference to the process's memory guard of the
// configured capacity; Destruct gives it back.
func (rt *appRuntime) sharedMemoryGuard() (paywall.ReplayGuard, error) {
	capacity := rt.app.GuardCapacity
	if capacity <= 0 {
		capacity = paywall.DefaultGuardCapacity
	}
	key := fmt.Sprintf("memory:%d", capacity)
	val, loaded, err := memGuards.LoadOrNew(key, func() (caddy.Destructor, error) {
		return pooledMemoryGuard{paywall.NewMemoryGuard(capacity, 0)}, nil
	})
	if err != nil {
		return nil, err
	}
	rt.guardKey, rt.guardFresh = key, !loaded
	return sharedGuard{val.(pooledMemoryGuard).MemoryGuard}, nil
}
