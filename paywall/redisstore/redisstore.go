// Package redisstore is the paywall's shared store in Redis (paywall.Store):
// several Caddy instances behind one load balancer share the replay set (a
// payment claimed by one instance is a replay on every other) and the funds
// exposure of "after"-mode payers (N instances never sell one balance N
// times). It runs on one Redis server, a Sentinel set or a Redis Cluster.
//
// # Keys
//
// A namespace's keys are split into Partitions parts; each part has its own
// hash tag, so that each decision's keys sit in one hash slot (a Cluster
// runs every script on one node) while the parts spread over the nodes:
//
//	x402:{<ns>:<p>}:gen                        the part's generation marker (hash)
//	x402:{<ns>:<p>}:c:<payment key hex>        a claim (expires at its deadline)
//	x402:{<ns>:<p>}:f:<network>:<asset>:<payer>:h|e|s  a payer's funds exposure
//
// A claim is one Lua script: check the generation marker, then SET NX PXAT.
//
// # Store loss
//
// Redis can lose what it held: FLUSHALL, a restart without persistence (or
// with the last second of AOF lost), a Sentinel or Cluster failover whose
// asynchronous replication had not shipped the last writes. A lost claim
// would let its payment buy a second response. Every decision script
// therefore checks, in the same atomic step, the part's generation marker:
// it must exist, name the generation this instance joined, and have been
// written on the server that runs the script (the marker records the
// server's run_id; a restarted or promoted server has another one, even
// when the marker was replicated or persisted long ago). When the check
// fails, the instance leaves the generation and claims in that part are
// refused (paywall.ErrStoreRecovering: 503 + Retry-After) until recovery
// ends; see recovery.go for how the instances recover together.
//
// Redis must not evict these keys before they expire: run it with
// maxmemory-policy noeviction. When it is out of memory it refuses the
// write and the paywall answers 503 instead of forgetting a live payment.
// The heartbeat checks it: with a maxmemory and another policy, claims are
// refused until the policy is noeviction; keys evicted since a generation
// began (INFO evicted_keys, recorded in the marker) end it like any loss.
package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddy-x402/x402/paywall"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// DefaultNamespace separates the keys of unrelated deployments sharing one
// Redis database.
const DefaultNamespace = "default"

// Partitions is the number of parts (hash tags) of a namespace.
const Partitions = 16

// Options configure a Store. Exactly one of URL, Sentinel, Cluster or
// Client says where Redis is.
type Options struct {
	// URL is one Redis server: redis://[user:password@]host:port/db,
	// rediss://… for TLS, or unix:///path/to/socket?db=N.
	URL string
	// Sentinel is a Sentinel-managed primary with replicas.
	Sentinel *SentinelOptions
	// Cluster lists seed nodes (host:port) of a Redis Cluster.
	Cluster []string
	// Username and Password authenticate to the data nodes of a Sentinel
	// set or a Cluster (a URL carries its own; these override it).
	Username, Password string
	// DB is the database of a Sentinel-managed primary. Default: 0.
	DB int
	// TLS connects to Sentinel and Cluster nodes with TLS (a URL says it
	// with rediss://).
	TLS bool
	// Client is an existing client to use instead; the Store does not
	// close it.
	Client redis.UniversalClient
	// Namespace goes into every key. Default: DefaultNamespace. Instances
	// that must see each other's claims use the same namespace.
	Namespace string
	// Timeout bounds each Redis command. Default: 2 s.
	Timeout time.Duration
	// Recovery tunes the store-loss recovery.
	Recovery RecoveryOptions
	// Logger; default: none.
	Logger *zap.Logger
	// Observer receives recovery events (metrics); default: none.
	Observer paywall.StoreObserver
}

// SentinelOptions locate a primary through Redis Sentinel.
type SentinelOptions struct {
	// MasterName is the name the sentinels monitor (sentinel monitor
	// <name> …).
	MasterName string
	// Addrs are sentinels, host:port.
	Addrs []string
	// Username and Password authenticate to the sentinels themselves.
	Username, Password string
}

// Store is a paywall.Store in Redis.
type Store struct {
	rdb     redis.UniversalClient
	own     bool
	ns      string
	timeout time.Duration
	now     func() time.Time
	log     *zap.Logger
	obs     paywall.StoreObserver

	// inst names this process's store in the generation markers.
	inst  string
	rec   RecoveryOptions
	parts [Partitions]partition
	// tags and markers are each part's key prefix and marker key.
	tags, markers [Partitions]string

	source   func() (*paywall.RearmSet, error)
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	started  atomic.Bool
	stopOnce sync.Once

	mu    sync.Mutex
	peers []string // other instances seen alive at the last heartbeat
	down  bool     // the last heartbeat failed (logged once)

	// evicting is set while Redis may evict keys (its maxmemory-policy):
	// claims are refused with it.
	evicting atomic.Pointer[evictingError]
}

type partition struct {
	// gen is the generation this instance joined and re-armed in this
	// part; nil while it has none (claims are refused).
	gen atomic.Pointer[string]
	// recovering: the generation is not ready yet.
	recovering atomic.Bool
	// last is the last generation this instance re-armed into.
	last atomic.Pointer[string]
}

var _ paywall.Store = (*Store)(nil)

// New returns a Store. It does not contact Redis; claims are refused until
// Start has joined the store's current generation (see Start).
func New(o Options) (*Store, error) {
	ns := o.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	if strings.ContainsAny(ns, " \t\r\n:{}") {
		return nil, fmt.Errorf("redis store: namespace %q must not contain spaces, ':', '{' or '}'", ns)
	}
	s := &Store{rdb: o.Client, ns: ns, timeout: o.Timeout, now: time.Now, log: o.Logger, obs: o.Observer,
		rec: o.Recovery.withDefaults(), kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if s.timeout <= 0 {
		s.timeout = 2 * time.Second
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	s.inst = hex.EncodeToString(id[:])
	for p := range Partitions {
		s.tags[p] = fmt.Sprintf("x402:{%s:%x}:", ns, p)
		s.markers[p] = s.tags[p] + "gen"
	}
	if s.rdb == nil {
		rdb, err := newClient(o, s.timeout)
		if err != nil {
			return nil, err
		}
		s.rdb, s.own = rdb, true
	}
	return s, nil
}

// newClient connects to one server, a Sentinel set or a Cluster.
func newClient(o Options, timeout time.Duration) (redis.UniversalClient, error) {
	forms := 0
	for _, set := range []bool{o.URL != "", o.Sentinel != nil, len(o.Cluster) > 0} {
		if set {
			forms++
		}
	}
	switch {
	case forms == 0:
		return nil, errors.New("redis store: a URL (redis://host:port/db), a sentinel set or cluster nodes are required")
	case forms > 1:
		return nil, errors.New("redis store: give one of a URL, a sentinel set or cluster nodes")
	}
	var tlsConfig *tls.Config
	if o.TLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	// The paywall answers 503 on a failed claim; retrying inside the client
	// would only hold the request longer.
	switch {
	case o.URL != "":
		opt, err := redis.ParseURL(o.URL)
		if err != nil {
			return nil, fmt.Errorf("redis store: %w", redactURLError(err, o.URL))
		}
		if o.Username != "" {
			opt.Username = o.Username
		}
		if o.Password != "" {
			opt.Password = o.Password
		}
		opt.ReadTimeout, opt.WriteTimeout, opt.DialTimeout = timeout, timeout, timeout
		opt.MaxRetries, opt.DialerRetries = 1, 1
		return redis.NewClient(opt), nil
	case o.Sentinel != nil:
		if o.Sentinel.MasterName == "" || len(o.Sentinel.Addrs) == 0 {
			return nil, errors.New("redis store: a sentinel set needs the master name and at least one sentinel address")
		}
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: o.Sentinel.MasterName, SentinelAddrs: o.Sentinel.Addrs,
			SentinelUsername: o.Sentinel.Username, SentinelPassword: o.Sentinel.Password,
			Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: tlsConfig,
			ReadTimeout: timeout, WriteTimeout: timeout, DialTimeout: timeout, MaxRetries: 1, DialerRetries: 1,
		}), nil
	default:
		if o.DB != 0 {
			return nil, errors.New("redis store: a cluster has only database 0")
		}
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: o.Cluster, Username: o.Username, Password: o.Password, TLSConfig: tlsConfig,
			ReadTimeout: timeout, WriteTimeout: timeout, DialTimeout: timeout, MaxRetries: 1, DialerRetries: 1,
		}), nil
	}
}

// redactURLError keeps a password in the URL out of error messages.
func redactURLError(err error, url string) error {
	msg := err.Error()
	if i := strings.LastIndex(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j >= 0 && j+3 < i {
			msg = strings.ReplaceAll(msg, url[j+3:i], "[redacted]")
		}
	}
	return errors.New(msg)
}

// Client is the store's Redis client (escrow sessions share it).
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Namespace is the store's namespace.
func (s *Store) Namespace() string { return s.ns }

// tag is the hash-tagged key prefix of part p.
func (s *Store) tag(p int) string { return s.tags[p] }

func (s *Store) marker(p int) string { return s.markers[p] }

// partOf is the part of a payment key (keys are hashes: uniform).
func partOf(key [32]byte) int { return int(key[0] & (Partitions - 1)) }

// Key is the Redis key of a payment's claim.
func (s *Store) Key(key [32]byte) string {
	tag := s.tags[partOf(key)]
	b := make([]byte, 0, len(tag)+2+64)
	b = append(append(b, tag...), "c:"...)
	return string(hex.AppendEncode(b, key[:]))
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis store: %w", err)
	}
	return nil
}

// Len implements paywall.ReplayGuard: the number of live claims in this
// namespace, counted with SCAN on every primary (for the admin API; one
// pass over the keyspace, bounded to maxLenScan keys and one second). It
// returns -1 when Redis cannot be reached.
func (s *Store) Len() int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	pattern := "x402:{" + s.ns + ":*}:c:*"
	var n atomic.Int64
	count := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, 1000).Result()
			if err != nil {
				return err
			}
			cursor = next
			if n.Add(int64(len(keys))) >= maxLenScan || cursor == 0 {
				return nil
			}
		}
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return count(ctx, c) })
	} else {
		err = count(ctx, s.rdb)
	}
	if err != nil {
		return -1
	}
	return int(n.Load())
}

const maxLenScan = 10_000_000

// Close stops the recovery loop, takes this instance out of the liveness
// lists (a stopped instance is not waited for in a later recovery) and
// closes the client when the Store created it.
func (s *Store) Close() error {
	s.stopOnce.Do(func() {
		close(s.stop)
		if s.started.Load() {
			<-s.done
			ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
			for p := range Partitions {
				_ = s.rdb.HDel(ctx, s.marker(p), "h:"+s.inst).Err()
			}
			cancel()
		}
	})
	if s.own {
		return s.rdb.Close()
	}
	return nil
}

type nopObserver struct{}

func (nopObserver) StoreGeneration(bool)  {}
func (nopObserver) StoreRearmed(int, int) {}
func (nopObserver) StoreRecovering(int)   {}

// Sessions returns the escrow session store on the store's connection and
// namespace (keys x402:<ns>:escrow:{<session>}:…).
func (s *Store) Sessions() *Sessions {
	return &Sessions{rdb: s.rdb, prefix: "x402:" + s.ns + ":escrow:", timeout: s.timeout, now: time.Now}
}
