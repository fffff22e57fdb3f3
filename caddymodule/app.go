// Package caddymodule is the Caddy glue of caddy-x402: the `x402` app
// (global option: networks, facilitator, store, price profiles), the `x402`
// handler directive, the `x402_facilitator` handler, metrics, the admin API
// and the `caddy x402` commands. It translates configuration and calls the
// Caddy-free packages paywall and facilitator, which hold the protocol.
package caddymodule

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the `x402` app: what every priced route shares. Its runtime (chain
// connections, embedded facilitators, replay guard, settlement queue, the
// dev chain) lives in a process-wide pool keyed by this configuration, so a
// config reload that keeps it reuses the runtime and loses nothing, and a
// reload that changes it lets the old runtime drain its queue first.
type App struct {
	// Networks are the chains payments may use.
	Networks []*NetworkConfig `json:"networks,omitempty"`
	// Facilitator says who verifies on-chain details and settles: the
	// embedded one (default) or remote facilitators.
	Facilitator *FacilitatorConfig `json:"facilitator,omitempty"`
	// Store holds the replay set and the funds exposure. Default: memory.
	Store *StoreConfig `json:"store,omitempty"`
	// Profiles are named route settings that x402 handlers can reuse
	// (`x402 /path/* <profile>`), so many priced routes need not repeat a
	// whole block.
	Profiles map[string]*RouteConfig `json:"profiles,omitempty"`
	// SettleWorkers is how many settlements run at once. Default: 1024
	// when a network batches settlements (each waits for its batch and
	// block), else 8.
	SettleWorkers int `json:"settle_workers,omitempty"`
	// QueueCapacity bounds settlements waiting or in flight; past it paid
	// requests get 503 with Retry-After. Default: 10000.
	QueueCapacity int `json:"queue_capacity,omitempty"`
	// GuardCapacity bounds live payments remembered by the memory replay
	// guard; past it paid requests get 503. Default: 1000000.
	GuardCapacity int `json:"guard_capacity,omitempty"`
	// MaxValidity is the longest authorization window accepted (now →
	// validBefore). Default: 2h.
	MaxValidity caddy.Duration `json:"max_validity,omitempty"`
	// DrainTimeout bounds how long a stopping runtime keeps settling its
	// queue. Default: 30s.
	DrainTimeout caddy.Duration `json:"drain_timeout,omitempty"`
	// Journal is the file that makes served payments survive a crash or a
	// restart (bbolt). Default: x402/journal-<facilitator address>.db in
	// Caddy's data directory (a temporary directory for the keyless dev
	// chain, x402/journal.db with a remote facilitator); "off" keeps
	// payments in memory only.
	Journal string `json:"journal,omitempty"`
	// EscrowLedger is the file of escrow sessions and their committed use
	// (bbolt). Default: x402/escrow-<facilitator address>.db in Caddy's
	// data directory (a temporary directory for the keyless dev chain).
	EscrowLedger string `json:"escrow_ledger,omitempty"`
	// MonitorInterval is how often the runtime probes each chain's RPC, the
	// replay guard's store and the facilitator's gas, logging each change
	// once and feeding the gauges. Default: 10s.
	MonitorInterval caddy.Duration `json:"monitor_interval,omitempty"`

	rt      *appRuntime
	planned *appPlan
	key     string
	logger  *zap.Logger
}

// NetworkConfig is one chain.
type NetworkConfig struct {
	// Name is `dev` (the embedded chain), a v1 name such as base-sepolia,
	// or a CAIP-2 id such as eip155:84532.
	Name string `json:"name"`
	// RPC is the chain's JSON-RPC URL (placeholders such as {env.RPC} are
	// expanded). Not used for `dev`. Without it verification is offline only
	// and settlement needs a remote facilitator.
	RPC string `json:"rpc,omitempty"`
	// Assets accepted on this chain. Default: the network's USDC (or the
	// dev chain's test USDC).
	Assets []*AssetConfig `json:"assets,omitempty"`
	// ChainID of the dev chain. Default: 1337. Only for `dev`.
	ChainID uint64 `json:"chain_id,omitempty"`
	// RPCListen exposes the dev chain's JSON-RPC on this loopback address
	// (e.g. 127.0.0.1:8545) for wallets and scripts. Only for `dev`.
	RPCListen string `json:"rpc_listen,omitempty"`
	// Simulate runs an eth_call of each exact payment when verifying through
	// the facilitator API. Default: off.
	Simulate bool `json:"simulate,omitempty"`
	// ReceiptTimeout bounds the wait for a settlement receipt before the
	// answer becomes settlement_pending. Default: 60s.
	ReceiptTimeout caddy.Duration `json:"receipt_timeout,omitempty"`
	// Batch configures batched exact settlement (many payments in one
	// Multicall3 aggregate3 transaction). Default: batched, with the
	// defaults of BatchConfig; {"off": true} settles one by one.
	Batch *BatchConfig `json:"batch,omitempty"`
	// ReplaceAfter is how many blocks a settlement transaction may stay
	// pending before it is replaced with the same nonce and a higher fee
	// (tip and fee cap +12.5 %, or 2 x base fee + tip). Default: 3.
	ReplaceAfter uint64 `json:"replace_after,omitempty"`
	// MaxFeePerGas caps the fee cap of every settlement transaction and
	// replacement: "<n>" or "<n> wei", or "<x> gwei". A transaction whose
	// replacement would need more stays pending (logged, counted in
	// caddy_x402_transactions_stuck_max_fee_total). Default: "1000 gwei".
	MaxFeePerGas string `json:"max_fee_per_gas,omitempty"`
	// Escrow enables escrow sessions on this network (always on for dev).
	Escrow *EscrowConfig `json:"escrow,omitempty"`
	// SkipChecks skips the on-chain start-up checks of this network (chain
	// id, asset code and EIP-712 domain, escrow code, facilitator gas),
	// for starts without access to the chain (air-gapped); a warning is
	// logged at every start. Default: false (checks run on every network
	// with an rpc except dev).
	SkipChecks bool `json:"skip_checks,omitempty"`
}

// AssetConfig is a token. `USDC` alone selects the network's known USDC.
type AssetConfig struct {
	// Symbol is shown to people, e.g. USDC.
	Symbol string `json:"symbol,omitempty"`
	// Address of the token contract; empty with Symbol USDC = known USDC.
	Address string `json:"address,omitempty"`
	// Name and Version are the token's EIP-712 domain; required for
	// unknown tokens.
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	// Decimals of the token. Default: 6.
	Decimals int `json:"decimals,omitempty"`
}

// FacilitatorConfig selects the facilitator.
type FacilitatorConfig struct {
	// Mode is `embedded` (default) or `remote`.
	Mode string `json:"mode,omitempty"`
	// Key is the embedded facilitator's hex private key as a runtime
	// placeholder such as {env.X402_FACILITATOR_KEY}, expanded at start so
	// the secret never sits in the JSON config (which the admin API shows
	// and autosave.json stores). A key written inline is refused unless
	// AllowInlineKey is set. The key pays gas for settlements.
	Key string `json:"key,omitempty"`
	// KeyFile is a file holding the hex private key (0x optional,
	// surrounding whitespace ignored). It must not be readable by group or
	// others (mode 0600 or 0400), else the start is refused.
	KeyFile string `json:"key_file,omitempty"`
	// AllowInlineKey accepts a key written inline in Key (a throwaway test
	// key only: it stays in the JSON config, the admin API and
	// autosave.json). A warning is logged at every start. Default: false.
	AllowInlineKey bool `json:"allow_inline_key,omitempty"`
	// URLs of remote facilitators, tried in order (remote mode).
	URLs []string `json:"urls,omitempty"`
	// Headers added to every remote call, e.g. Authorization (placeholders
	// expanded; never logged).
	Headers map[string]string `json:"headers,omitempty"`
	// Timeout of a remote settle call. Default: 60s.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// StoreConfig selects the shared state of payment decisions (the replay
// set and the funds exposure of "after"-mode payers): in memory, for one
// instance, or in Redis, shared by every instance on the same Redis and
// namespace. A Redis store is one server (URL), a Sentinel set or a
// Cluster; it needs the journal (see App.Journal) to recover from a loss of
// Redis data.
type StoreConfig struct {
	// Type is `memory` (default: one instance) or `redis`.
	Type string `json:"type,omitempty"`
	// URL of one Redis server: redis://[user:password@]host:port/db,
	// rediss://… for TLS, unix:///path?db=N; placeholders such as
	// {env.REDIS_URL} are expanded. Not with Sentinel or Cluster.
	URL string `json:"url,omitempty"`
	// Sentinel locates the primary through Redis Sentinel.
	Sentinel *SentinelConfig `json:"sentinel,omitempty"`
	// Cluster lists seed nodes (host:port) of a Redis Cluster;
	// placeholders are expanded.
	Cluster []string `json:"cluster,omitempty"`
	// Username and Password authenticate to the data nodes of a Sentinel
	// set or a Cluster (and override a URL's); use a placeholder such as
	// {env.REDIS_PASSWORD}. Default: none.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// DB is the database of a Sentinel-managed primary. Default: 0.
	DB int `json:"db,omitempty"`
	// TLS connects to Sentinel and Cluster nodes with TLS (a URL says it
	// with rediss://). Default: off.
	TLS bool `json:"tls,omitempty"`
	// Namespace separates deployments sharing one Redis: keys are
	// x402:{<namespace>:<part>}:…. Default: "default".
	Namespace string `json:"namespace,omitempty"`
	// RecoveryTimeout bounds the recovery after Redis lost data: paid
	// requests get 503 until every live instance has put its payments back
	// or this much time has passed. Default: 15s.
	RecoveryTimeout caddy.Duration `json:"recovery_timeout,omitempty"`
}

// SentinelConfig is a Sentinel-managed Redis primary.
type SentinelConfig struct {
	// Master is the name the sentinels monitor.
	Master string `json:"master"`
	// Addrs are the sentinels (host:port); placeholders are expanded.
	Addrs []string `json:"addrs"`
	// Username and Password authenticate to the sentinels (placeholders
	// expanded). Default: none.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "x402", New: func() caddy.Module { return new(App) }}
}

// Provision loads (or builds) the shared runtime for this configuration.
func (a *App) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	planned, err := a.plan()
	if err != nil {
		return err
	}
	a.planned = planned
	if fc := a.Facilitator; fc != nil && fc.Key != "" && !isPlaceholder(fc.Key) {
		a.logger.Warn("x402 facilitator key is written inline (allow_inline_key): it is in Caddy's JSON config, the admin API and autosave.json; use it only for a throwaway test key")
	}
	key, err := a.runtimeKey()
	if err != nil {
		return err
	}
	a.key = key
	val, loaded, err := runtimes.LoadOrNew(key, func() (caddy.Destructor, error) {
		return newAppRuntime(a, a.logger)
	})
	if err != nil {
		return fmt.Errorf("starting x402 runtime: %w", err)
	}
	a.rt = val.(*appRuntime)
	if loaded {
		a.logger.Debug("reusing x402 runtime across config reload")
	}
	return nil
}

// Validate implements caddy.Validator; the offline checks ran first thing
// in Provision (before any file, chain or store was opened).
func (a *App) Validate() error { return nil }

// Start implements caddy.App.
func (a *App) Start() error { return nil }

// Stop implements caddy.App. The runtime keeps running until Cleanup drops
// the last reference (a reload overlaps the old and new configs).
func (a *App) Stop() error { return nil }

// Cleanup releases this config's reference to the runtime; the last one
// drains the settlement queue and stops the chain connections.
func (a *App) Cleanup() error {
	if a.key == "" {
		return nil
	}
	_, err := runtimes.Delete(a.key)
	return err
}

// runtimeKey hashes what shapes the runtime (not the profiles, which only
// handlers read), so that identical runtime settings share one runtime.
func (a *App) runtimeKey() (string, error) {
	shape := *a
	shape.Profiles = nil
	b, err := json.Marshal(shape)
	if err != nil {
		return "", fmt.Errorf("hashing x402 config: %w", err)
	}
	sum := sha256.Sum256(b)
	return "x402:" + hex.EncodeToString(sum[:8]), nil
}

// runtimes holds the live runtimes across config reloads.
var runtimes = caddy.NewUsagePool()

func (a *App) drainTimeout() time.Duration {
	if a.DrainTimeout > 0 {
		return time.Duration(a.DrainTimeout)
	}
	return 30 * time.Second
}

var errNoNetworks = errors.New("x402: configure at least one network (e.g. `network dev` in the x402 global option)")

var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.Validator    = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)

var _ = context.Background
