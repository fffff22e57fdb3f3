package caddymodule

import (
	"context"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/preflight"
	"github.com/caddy-x402/x402/policies"
	"github.com/ethereum/go-ethereum/common"
	"go.uber.org/zap"
)

// On-chain start-up checks (facilitator/preflight) of every network with an
// rpc, except the embedded dev chain: the chain id, each asset's code and
// EIP-712 domain, the escrow contracts' code when escrow is on, and the
// facilitator key's gas. They run at provision time, so `caddy run` and
// `caddy validate` refuse a mismatch with one line naming the network and
// the field to change. An rpc that does not answer is not a mismatch: the
// runtime starts with its paywall gate closed (priced routes answer 503
// with Retry-After), and the checks retry in the background until they
// pass; readiness (x402_health ready) stays false meanwhile.

// startCheckTimeout bounds the start-up checks of one network at provision
// time; an rpc slower than this is treated as unreachable (retried in the
// background).
const startCheckTimeout = 5 * time.Second

// Background re-check interval: it starts at recheckMin and doubles up to
// recheckMax.
const (
	recheckMin = time.Second
	recheckMax = 30 * time.Second
)

// chainChecks is the state of a runtime's on-chain checks.
type chainChecks struct {
	mu      sync.Mutex
	pending map[string]*pendingCheck // by CAIP-2 id: networks not checked yet
	lastErr map[string]string        // last failure logged per network
}

// pendingCheck is a network whose checks must still pass.
type pendingCheck struct {
	n      *network
	chain  preflight.Chain
	cfg    preflight.Config
	reason string // why it is not passed yet (for readiness and logs)
}

// preflightConfig is what the checks compare for network n; gasPayer is
// the embedded facilitator's address (nil when settlement is remote).
func (rt *appRuntime) preflightConfig(nc *NetworkConfig, n *network, gasPayer *common.Address) (preflight.Config, error) {
	cfg := preflight.Config{Network: n.id, ChainID: n.chainID, GasPayer: gasPayer}
	for _, as := range n.assets {
		addr, err := evm.ParseAddress(as.Address)
		if err != nil {
			return cfg, fmt.Errorf("x402 network %s: asset address %w", nc.Name, err)
		}
		cfg.Assets = append(cfg.Assets, preflight.Asset{Address: addr, Name: as.Name, Version: as.Version})
	}
	if nc.Escrow != nil && gasPayer != nil {
		contract, collector, err := escrowDeployment(nc, n, rt.devEscrow)
		if err != nil {
			return cfg, err
		}
		esc, err1 := evm.ParseAddress(contract)
		col, err2 := evm.ParseAddress(collector)
		if err1 != nil || err2 != nil {
			return cfg, fmt.Errorf("x402 network %s: escrow contract and collector must be addresses", nc.Name)
		}
		cfg.Escrow = &preflight.Escrow{Contract: esc, Collector: col}
	}
	return cfg, nil
}

// checkNetwork runs the start-up checks of one network: a mismatch is an
// error (refuse to start); an unreachable rpc leaves the network pending.
func (rt *appRuntime) checkNetwork(nc *NetworkConfig, n *network, gasPayer *common.Address) error {
	switch {
	case n.dev:
		return nil
	case n.backend == nil:
		rt.log.Info("x402 network has no rpc: on-chain start-up checks skipped (the remote facilitator checks the chain)", zap.String("network", n.id))
		return nil
	case nc.SkipChecks:
		rt.log.Warn("x402 network: on-chain start-up checks skipped (skip_checks); a wrong chain, token, escrow or key shows only when payments fail",
			zap.String("network", n.id))
		return nil
	}
	cfg, err := rt.preflightConfig(nc, n, gasPayer)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startCheckTimeout)
	defer cancel()
	chain, ok := n.backend.(preflight.Chain)
	if !ok {
		return fmt.Errorf("x402 network %s: its rpc client cannot read balances (internal error)", nc.Name)
	}
	report, err := preflight.Run(ctx, chain, cfg)
	if err != nil {
		reason := redactRPC(err.Error(), n.rpcURL)
		rt.log.Warn("x402 network: rpc unreachable at start; priced routes answer 503 until the on-chain checks pass (retrying in the background)",
			zap.String("network", n.id), zap.String("error", reason))
		if rt.checks.pending == nil {
			rt.checks.pending, rt.checks.lastErr = map[string]*pendingCheck{}, map[string]string{}
		}
		rt.checks.pending[n.id] = &pendingCheck{n: n, chain: chain, cfg: cfg, reason: reason}
		return nil
	}
	if err := report.Err(); err != nil {
		return fmt.Errorf("x402 network %s: %w", nc.Name, err)
	}
	rt.logReport(n, report)
	return nil
}

// logReport logs what a passed check found worth saying.
func (rt *appRuntime) logReport(n *network, r preflight.Report) {
	for _, w := range r.Warnings {
		rt.log.Warn("x402 network: "+w, zap.String("network", n.id))
	}
	fields := []zap.Field{zap.String("network", n.id), zap.Uint64("chain_id", n.chainID)}
	if r.GasBalance != nil {
		fields = append(fields, zap.String("facilitator_gas_eth", formatWei(r.GasBalance)))
	}
	if len(r.Notes) > 0 {
		fields = append(fields, zap.Strings("notes", r.Notes))
	}
	rt.log.Info("x402 network: on-chain start-up checks passed", fields...)
}

// startRechecks closes the gate while networks are pending and re-checks
// them in the background until all pass or the runtime stops.
func (rt *appRuntime) startRechecks() {
	reason, pending := rt.pendingReason()
	if !pending {
		return
	}
	rt.gate.Close(reason)
	go rt.recheckUntilPassed()
}

// pendingReason joins the reasons of the pending networks.
func (rt *appRuntime) pendingReason() (string, bool) {
	rt.checks.mu.Lock()
	defer rt.checks.mu.Unlock()
	if len(rt.checks.pending) == 0 {
		return "", false
	}
	var parts []string
	for id, p := range rt.checks.pending {
		parts = append(parts, fmt.Sprintf("x402 network %s: on-chain checks not passed: %s", id, p.reason))
	}
	return strings.Join(parts, "; "), true
}

func (rt *appRuntime) recheckUntilPassed() {
	wait := recheckMin
	for {
		t := time.NewTimer(wait)
		select {
		case <-rt.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if rt.recheckOnce() {
			rt.gate.Open()
			rt.log.Info("x402: on-chain start-up checks passed; priced routes are open")
			return
		}
		reason, _ := rt.pendingReason()
		rt.gate.Close(reason)
		if wait *= 2; wait > recheckMax {
			wait = recheckMax
		}
	}
}

// recheckOnce runs the checks of every pending network; it reports whether
// none is left. A mismatch found now (the rpc came back and disagrees) is
// logged at error level once per distinct message and stays pending: the
// configuration must change, and the routes stay closed until it does.
func (rt *appRuntime) recheckOnce() bool {
	rt.checks.mu.Lock()
	todo := make([]*pendingCheck, 0, len(rt.checks.pending))
	for _, p := range rt.checks.pending {
		todo = append(todo, p)
	}
	rt.checks.mu.Unlock()
	for _, p := range todo {
		ctx, cancel := context.WithTimeout(context.Background(), startCheckTimeout)
		report, err := preflight.Run(ctx, p.chain, p.cfg)
		cancel()
		var reason string
		switch {
		case err != nil: // unreachable
			reason = redactRPC(err.Error(), p.n.rpcURL)
		case report.Err() != nil:
			reason = "configuration does not match the chain: " + report.Err().Error()
		}
		rt.checks.mu.Lock()
		if reason == "" {
			delete(rt.checks.pending, p.n.id)
			rt.checks.mu.Unlock()
			rt.logReport(p.n, report)
			continue
		}
		p.reason = reason
		changed := rt.checks.lastErr[p.n.id] != reason
		rt.checks.lastErr[p.n.id] = reason
		rt.checks.mu.Unlock()
		if changed && report.Err() != nil {
			rt.log.Error("x402 network: "+report.Err().Error()+"; priced routes stay closed (503) until the configuration is fixed",
				zap.String("network", p.n.id))
		} else if changed {
			rt.log.Warn("x402 network: rpc still unreachable; priced routes answer 503 until the on-chain checks pass",
				zap.String("network", p.n.id), zap.String("error", reason))
		}
	}
	rt.checks.mu.Lock()
	defer rt.checks.mu.Unlock()
	return len(rt.checks.pending) == 0
}

// redactRPC removes an rpc URL's path, query and credentials (where API
// keys live) from a message, keeping its scheme and host.
func redactRPC(msg, rpcURL string) string {
	if rpcURL == "" {
		return msg
	}
	u, err := url.Parse(rpcURL)
	if err != nil || u.Host == "" {
		return strings.ReplaceAll(msg, rpcURL, "<rpc>")
	}
	return strings.ReplaceAll(msg, rpcURL, u.Scheme+"://"+u.Host)
}

// formatWei shows an amount of wei in ETH.
func formatWei(w *big.Int) string { return policies.FormatUnits(w, 18) }
