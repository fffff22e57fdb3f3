package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/remote"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddy-x402/x402/paywall/redisstore"
	"github.com/caddy-x402/x402/policies"
	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// newStore builds the shared state the store config asks for: in memory
// (one instance), or in Redis, shared by every instance that uses the same
// Redis and namespace. Placeholders in the Redis settings (e.g.
// {env.REDIS_PASSWORD}) are expanded here, so secrets stay out of the JSON
// config. The engine closes the store when the runtime is destroyed; a
// Redis store starts recovering (startStore) once the engine exists.
func (rt *appRuntime) newStore(repl *caddy.Replacer) (paywall.Store, error) {
	st := rt.app.Store
	if st == nil || st.Type == "" || st.Type == "memory" {
		if st != nil && (st.URL != "" || st.Namespace != "" || st.Sentinel != nil || len(st.Cluster) > 0) {
			return nil, fmt.Errorf("x402 store memory takes no URL, sentinel, cluster or namespace")
		}
		return rt.sharedMemoryStore()
	}
	if st.Type != "redis" {
		return nil, fmt.Errorf("x402 store %q: unknown store type (want memory or redis)", st.Type)
	}
	if rt.app.Journal == "off" {
		return nil, errStoreNeedsJournal
	}
	o, err := redisOptions(st, repl)
	if err != nil {
		return nil, err
	}
	o.Logger, o.Observer = rt.log, storeObserver{}
	o.Recovery.Timeout = time.Duration(st.RecoveryTimeout)
	s, err := redisstore.New(o)
	if err != nil {
		return nil, fmt.Errorf("x402 %w", err)
	}
	return s, nil
}

// errStoreNeedsJournal refuses `store redis` with `journal off`.
var errStoreNeedsJournal = errors.New("x402 store redis needs the journal: after Redis loses data (a flush, a restart, a failover) each instance puts back the payments it served from its journal; with `journal off` they would buy a second response (remove `journal off`)")

// redisOptions turns the store config into redisstore options, expanding
// placeholders. Errors never include a password.
func redisOptions(st *StoreConfig, repl *caddy.Replacer) (redisstore.Options, error) {
	expand := func(field, v string) (string, error) {
		if v == "" {
			return "", nil
		}
		out, err := repl.ReplaceOrErr(v, true, true)
		if err != nil {
			return "", fmt.Errorf("x402 store redis %s: %w (is the environment variable set?)", field, err)
		}
		return out, nil
	}
	o := redisstore.Options{Namespace: st.Namespace, DB: st.DB, TLS: st.TLS}
	var err error
	if o.URL, err = expand("URL", st.URL); err != nil {
		return o, err
	}
	if o.Username, err = expand("username", st.Username); err != nil {
		return o, err
	}
	if o.Password, err = expand("password", st.Password); err != nil {
		return o, err
	}
	for _, a := range st.Cluster {
		v, err := expand("cluster address", a)
		if err != nil {
			return o, err
		}
		o.Cluster = append(o.Cluster, v)
	}
	if sc := st.Sentinel; sc != nil {
		o.Sentinel = &redisstore.SentinelOptions{MasterName: sc.Master}
		if o.Sentinel.Username, err = expand("sentinel username", sc.Username); err != nil {
			return o, err
		}
		if o.Sentinel.Password, err = expand("sentinel password", sc.Password); err != nil {
			return o, err
		}
		for _, a := range sc.Addrs {
			v, err := expand("sentinel address", a)
			if err != nil {
				return o, err
			}
			o.Sentinel.Addrs = append(o.Sentinel.Addrs, v)
		}
	}
	if o.URL == "" && o.Sentinel == nil && len(o.Cluster) == 0 {
		return o, errors.New("x402 store redis: a URL is required (store redis redis://127.0.0.1:6379/0), or a sentinel or cluster block")
	}
	return o, nil
}

// startStore starts a Redis store's recovery loop: it joins the store's
// current generation, putting back what this instance's journal holds as
// spent (the re-arm every start does), and heartbeats from then on. When
// Redis cannot be reached, the instance starts anyway: paid requests get
// 503 until it answers (never a payment served unguarded).
func (rt *appRuntime) startStore(s *redisstore.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Start(ctx, rt.engine.RearmSet); err != nil {
		rt.log.Warn("x402 store redis not ready at start; paid requests get 503 until it is, retrying in the background", zap.Error(err))
	}
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

// memStores holds the in-memory store of this process, shared by the
// runtimes of successive configs: a reload that changes the x402 app builds
// a new runtime while the old one is still serving, and a store of its own
// would not know the payments served before (they could buy a second
// response) nor the payers' amounts still settling. Keyed by capacity; a
// new capacity gets a new store, which the runtime re-arms from the
// journal.
var memStores = caddy.NewUsagePool()

type pooledMemoryStore struct{ paywall.MemoryStore }

// Destruct implements caddy.Destructor: the last runtime using the store
// is gone.
func (p pooledMemoryStore) Destruct() error { return p.MemoryGuard.Close() }

// sharedStore is the pooled store seen without Close, so that Engine.Close
// of one runtime does not stop the store under the next one.
type sharedStore struct{ s paywall.MemoryStore }

var _ paywall.Store = sharedStore{}

func (s sharedStore) Claim(ctx context.Context, key [32]byte, until time.Time) error {
	return s.s.Claim(ctx, key, until)
}
func (s sharedStore) Release(ctx context.Context, key [32]byte) error { return s.s.Release(ctx, key) }
func (s sharedStore) Len() int                                        { return s.s.Len() }
func (s sharedStore) Reserve(ctx context.Context, x *paywall.Exposure, o paywall.ReserveOptions) (policies.FundsDecision, error) {
	return s.s.Reserve(ctx, x, o)
}
func (s sharedStore) Finish(ctx context.Context, k paywall.ExposureKey, id [32]byte, settled bool) error {
	return s.s.Finish(ctx, k, id, settled)
}
func (s sharedStore) Restore(x *paywall.Exposure) { s.s.Restore(x) }

// sharedMemoryStore takes a reference to the process's memory store of the
// configured capacity; Destruct gives it back.
func (rt *appRuntime) sharedMemoryStore() (paywall.Store, error) {
	capacity := rt.app.GuardCapacity
	if capacity <= 0 {
		capacity = paywall.DefaultGuardCapacity
	}
	key := fmt.Sprintf("memory:%d", capacity)
	val, loaded, err := memStores.LoadOrNew(key, func() (caddy.Destructor, error) {
		return pooledMemoryStore{paywall.NewMemoryStore(capacity, 0)}, nil
	})
	if err != nil {
		return nil, err
	}
	rt.guardKey, rt.guardFresh = key, !loaded
	return sharedStore{val.(pooledMemoryStore).MemoryStore}, nil
}
