// Package redisstore keeps the paywall's replay guard in Redis, so that
// several Caddy instances behind one load balancer share it: a payment
// claimed by one instance is a replay on every other.
//
// A claim is one atomic command, SET <key> 1 NX PXAT <deadline>: of many
// concurrent claims of one payment, on any number of instances, exactly one
// creates the key. Keys are named x402:<namespace>:guard:<hex of the
// payment key> and expire on their own at the claim's deadline (a little
// past the authorization's validBefore), so Redis needs no sweeping and
// never holds a payment longer than it could be settled. Redis should run
// with an eviction policy that never drops these keys before they expire
// (noeviction or volatile-ttl with enough memory): when it is out of memory
// it refuses the write, and the paywall answers 503 instead of forgetting a
// live payment.
package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caddy-x402/x402/paywall"
	"github.com/redis/go-redis/v9"
)

// DefaultNamespace separates the keys of unrelated deployments sharing one
// Redis database.
const DefaultNamespace = "default"

// Options configure a Guard.
type Options struct {
	// URL is the Redis URL: redis://[user:password@]host:port/db,
	// rediss://… for TLS, or unix:///path/to/socket?db=N. Ignored when
	// Client is set.
	URL string
	// Client is an existing client to use instead of URL; the Guard does
	// not close it.
	Client redis.UniversalClient
	// Namespace goes into every key: x402:<namespace>:guard:<hex>. Default:
	// DefaultNamespace. Instances that must see each other's claims use the
	// same namespace.
	Namespace string
	// Timeout bounds each Redis command. Default: 2 s.
	Timeout time.Duration
}

// Guard is a paywall.ReplayGuard in Redis.
type Guard struct {
	rdb     redis.UniversalClient
	own     bool
	prefix  string
	timeout time.Duration
	now     func() time.Time
}

var _ paywall.ReplayGuard = (*Guard)(nil)

// New returns a Guard. It does not contact Redis: an unreachable server
// makes claims fail (the paywall answers 503) until it is back; use Ping to
// check at start.
func New(o Options) (*Guard, error) {
	ns := o.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	if strings.ContainsAny(ns, " \t\r\n:") {
		return nil, fmt.Errorf("redis store: namespace %q must not contain spaces or ':'", ns)
	}
	g := &Guard{rdb: o.Client, prefix: "x402:" + ns + ":guard:", timeout: o.Timeout, now: time.Now}
	if g.timeout <= 0 {
		g.timeout = 2 * time.Second
	}
	if g.rdb == nil {
		if o.URL == "" {
			return nil, errors.New("redis store: a URL is required (redis://host:port/db)")
		}
		opt, err := redis.ParseURL(o.URL)
		if err != nil {
			return nil, fmt.Errorf("redis store: %w", redactURLError(err, o.URL))
		}
		opt.ReadTimeout, opt.WriteTimeout = g.timeout, g.timeout
		opt.DialTimeout = g.timeout
		// The paywall answers 503 on a failed claim; retrying inside the
		// client would only hold the request longer.
		opt.MaxRetries = 1
		opt.DialerRetries = 1
		g.rdb, g.own = redis.NewClient(opt), true
	}
	return g, nil
}

// redactURLError keeps a password in the URL out of error messages.
func redactURLError(err error, url string) error {
	msg := err.Error()
	if i := strings.Index(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j >= 0 && j+3 < i {
			msg = strings.ReplaceAll(msg, url[j+3:i], "[redacted]")
		}
	}
	return errors.New(msg)
}

// Key is the Redis key of a payment key.
func (g *Guard) Key(key [32]byte) string {
	return g.prefix + hex.EncodeToString(key[:])
}

// Ping checks that Redis answers.
func (g *Guard) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if err := g.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis store: %w", err)
	}
	return nil
}

// Claim implements paywall.ReplayGuard: SET key 1 NX PXAT until. A claim
// whose deadline already passed holds nothing (the authorization can no
// longer be settled), as in paywall.MemoryGuard.
func (g *Guard) Claim(ctx context.Context, key [32]byte, until time.Time) error {
	if !until.After(g.now()) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	err := g.rdb.Do(ctx, "SET", g.Key(key), "1", "NX", "PXAT", until.UnixMilli()).Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return paywall.ErrReplay
	case strings.HasPrefix(err.Error(), "OOM "):
		return fmt.Errorf("%w: redis is out of memory: %v", paywall.ErrGuardFull, err)
	}
	return fmt.Errorf("redis store: claiming a payment: %w", err)
}

// Release implements paywall.ReplayGuard. Only the claimant releases (its
// upstream failed and nothing was charged), so a plain DEL is enough.
func (g *Guard) Release(ctx context.Context, key [32]byte) error {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if err := g.rdb.Del(ctx, g.Key(key)).Err(); err != nil {
		return fmt.Errorf("redis store: releasing a payment: %w", err)
	}
	return nil
}

// Len implements paywall.ReplayGuard: the number of live claims in this
// namespace, counted with SCAN (for the admin API; it costs one pass over
// the keyspace, bounded to maxLenScan keys and one second). It returns -1
// when Redis cannot be reached.
func (g *Guard) Len() int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n := 0
	var cursor uint64
	for {
		keys, next, err := g.rdb.Scan(ctx, cursor, g.prefix+"*", 1000).Result()
		if err != nil {
			return -1
		}
		n += len(keys)
		cursor = next
		if cursor == 0 || n >= maxLenScan {
			return n
		}
	}
}

const maxLenScan = 10_000_000

// Close closes the client when the Guard created it.
func (g *Guard) Close() error {
	if g.own {
		return g.rdb.Close()
	}
	return nil
}
