package caddymodule

import (
	"context"
	"math/big"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator/preflight"
	"github.com/ethereum/go-ethereum/common"
	"go.uber.org/zap"
)

// The runtime monitor watches what a running paywall depends on and says so
// once per change, in one structured line: each chain's RPC (down, back
// up) and the embedded facilitator's gas (low, empty, topped up); it also
// probes the replay guard's store for the store_up gauge. Its readings feed the gauges
// (metrics.go) and /x402/stats, so a scrape never waits on a chain or a
// store.

// monitorDeadline bounds one probe.
const monitorDeadline = 4 * time.Second

// monitorInterval is how often the monitor probes (monitor_interval).
func (a *App) monitorInterval() time.Duration {
	if a.MonitorInterval > 0 {
		return time.Duration(a.MonitorInterval)
	}
	return 10 * time.Second
}

// monitor holds a runtime's latest readings.
type monitor struct {
	mu      sync.Mutex
	rpc     map[string]*reachability // by CAIP-2 network
	store   *reachability            // nil for the memory store
	gas     map[string]*gasReading   // by CAIP-2 network
	guardN  int                      // replay guard entries when counted in the background (Redis); -1 unknown
	guardAt time.Time
}

// reachability is an endpoint's state and since when.
type reachability struct {
	up    bool
	since time.Time
	err   string
}

// gasReading is the facilitator's balance on one network.
type gasReading struct {
	address common.Address
	balance *big.Int
	// left is about how many settlements the balance pays at the gas
	// price read with it (-1 unknown).
	left  int64
	state string // ok, low, empty
}

// startMonitor starts the runtime's monitor; it stops with the runtime.
func (rt *appRuntime) startMonitor() {
	rt.mon.rpc, rt.mon.gas, rt.mon.guardN = map[string]*reachability{}, map[string]*gasReading{}, -1
	go func() {
		t := time.NewTicker(rt.app.monitorInterval())
		defer t.Stop()
		for {
			rt.checkStore()
			rt.checkRPCs()
			rt.checkGas()
			rt.countGuard()
			select {
			case <-rt.stop:
				return
			case <-t.C:
			}
		}
	}()
}

// checkStore pings a shared store (Redis) for the store_up gauge; the
// memory store is always up. The Redis store logs its own transitions (its
// heartbeat sees them first), so this probe does not.
func (rt *appRuntime) checkStore() {
	p, ok := rt.store.(interface{ Ping(context.Context) error })
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), monitorDeadline)
	err := p.Ping(ctx)
	cancel()
	rt.mon.mu.Lock()
	if rt.mon.store == nil {
		rt.mon.store = &reachability{up: true, since: time.Now()}
	}
	rt.mon.store.set(err)
	rt.mon.mu.Unlock()
}

// checkRPCs asks each chain with an RPC for its latest header.
func (rt *appRuntime) checkRPCs() {
	for _, n := range rt.order {
		if n.backend == nil || n.dev {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), monitorDeadline)
		_, err := n.backend.HeaderByNumber(ctx, nil)
		cancel()
		rt.mon.mu.Lock()
		r := rt.mon.rpc[n.id]
		if r == nil {
			r = &reachability{up: true, since: time.Now()}
			rt.mon.rpc[n.id] = r
		}
		prev := *r
		changed := r.set(err)
		rt.mon.mu.Unlock()
		switch {
		case changed && err != nil:
			rt.log.Error("x402 network rpc unreachable: settlements wait and retry, and settle-after routes cannot check balances",
				zap.String("network", n.id), zap.String("error", redactRPC(err.Error(), n.rpcURL)))
		case changed:
			rt.log.Info("x402 network rpc reachable again", zap.String("network", n.id), zap.Duration("down_for", time.Since(prev.since).Round(time.Millisecond)))
		}
	}
}

// set records a probe's outcome; it reports whether the state changed.
func (r *reachability) set(err error) bool {
	up := err == nil
	r.err = ""
	if err != nil {
		r.err = err.Error()
	}
	if up == r.up {
		return false
	}
	r.up, r.since = up, time.Now()
	return true
}

// checkGas reads the embedded facilitator's balance on each network and
// logs when it becomes low (fewer than preflight.LowGasSettlements
// settlements at today's gas price), empty (not one), or enough again.
func (rt *appRuntime) checkGas() {
	for _, n := range rt.order {
		if n.exact == nil || n.backend == nil {
			continue
		}
		chain, ok := n.backend.(preflight.Chain)
		if !ok {
			continue
		}
		addr := n.exact.Address()
		ctx, cancel := context.WithTimeout(context.Background(), monitorDeadline)
		bal, err := chain.BalanceAt(ctx, addr, nil)
		var price *big.Int
		if err == nil {
			price, err = chain.SuggestGasPrice(ctx)
		}
		cancel()
		if err != nil {
			continue // the RPC check reports reachability
		}
		g := &gasReading{address: addr, balance: bal, left: -1, state: "ok"}
		perSettlement := new(big.Int).Mul(price, big.NewInt(preflight.SettlementGas))
		if perSettlement.Sign() > 0 {
			g.left = new(big.Int).Div(bal, perSettlement).Int64()
			switch {
			case g.left < 1:
				g.state = "empty"
			case g.left < preflight.LowGasSettlements:
				g.state = "low"
			}
		}
		rt.mon.mu.Lock()
		prev := rt.mon.gas[n.id]
		rt.mon.gas[n.id] = g
		rt.mon.mu.Unlock()
		if prev != nil && prev.state == g.state || prev == nil && g.state == "ok" {
			continue
		}
		fields := []zap.Field{zap.String("network", n.id), zap.String("facilitator", addr.Hex()),
			zap.String("balance_eth", formatWei(bal)), zap.Int64("settlements_left", g.left)}
		switch g.state {
		case "empty":
			rt.log.Error("x402 facilitator has no gas: every settlement fails until its key gets ETH (settle-after routes serve unpaid meanwhile)", fields...)
		case "low":
			rt.log.Warn("x402 facilitator gas is low: top up its key", fields...)
		default:
			rt.log.Info("x402 facilitator gas topped up", fields...)
		}
	}
}

// countGuard counts a shared guard's entries in the background (a Redis
// count is a SCAN: never at scrape time).
func (rt *appRuntime) countGuard() {
	if _, shared := rt.store.(interface{ Ping(context.Context) error }); !shared {
		return
	}
	n := rt.store.Len()
	rt.mon.mu.Lock()
	rt.mon.guardN, rt.mon.guardAt = n, time.Now()
	rt.mon.mu.Unlock()
}

// guardLen is the replay guard's size: counted now in memory, else the
// background count (-1 when unknown).
func (rt *appRuntime) guardLen() int {
	if _, shared := rt.store.(interface{ Ping(context.Context) error }); !shared {
		return rt.store.Len()
	}
	rt.mon.mu.Lock()
	defer rt.mon.mu.Unlock()
	return rt.mon.guardN
}

// storeType is the configured store, for logs and stats.
func (rt *appRuntime) storeType() string {
	if st := rt.app.Store; st != nil && st.Type != "" {
		return st.Type
	}
	return "memory"
}
