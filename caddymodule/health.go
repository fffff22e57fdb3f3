package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Health{})
	httpcaddyfile.RegisterHandlerDirective("x402_health", parseHealthDirective)
	httpcaddyfile.RegisterDirectiveOrder("x402_health", httpcaddyfile.Before, "respond")
}

// Health is the `x402_health` handler: liveness and readiness for
// orchestrators (Kubernetes probes, a container HEALTHCHECK, a load
// balancer). Put it on a site the probes reach (the pod IP, not only the
// admin endpoint on localhost):
//
//	:9402 {
//		handle /live {
//			x402_health live
//		}
//		handle /ready {
//			x402_health ready
//		}
//	}
//
// Live answers 200 whenever the server runs: a restart cures nothing that
// readiness reports. Ready answers 200 when the x402 runtime can take
// money: the on-chain start-up checks have passed, the replay guard's
// store answers, and no settlement has waited longer than
// MaxSettlementAge; otherwise 503 with the reasons (never secrets: rpc and
// store URLs are reduced to their host).
type Health struct {
	// Check is "live" or "ready". Default: ready.
	Check string `json:"check,omitempty"`
	// MaxSettlementAge: readiness fails while a settlement has been waiting
	// (or retrying) for longer than this. Default: 5m.
	MaxSettlementAge caddy.Duration `json:"max_settlement_age,omitempty"`

	app *App
}

// DefaultMaxSettlementAge is Health.MaxSettlementAge's default.
const DefaultMaxSettlementAge = 5 * time.Minute

// healthStoreTimeout bounds the replay guard's store ping of a readiness
// probe.
const healthStoreTimeout = time.Second

// CaddyModule returns the Caddy module information.
func (Health) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.x402_health", New: func() caddy.Module { return new(Health) }}
}

// Provision finds the x402 app whose runtime readiness reports on.
func (h *Health) Provision(ctx caddy.Context) error {
	switch h.Check {
	case "":
		h.Check = "ready"
	case "live", "ready":
	default:
		return fmt.Errorf("x402_health: check %q: want live or ready", h.Check)
	}
	if h.MaxSettlementAge < 0 {
		return fmt.Errorf("x402_health: max_settlement_age %s must not be negative", time.Duration(h.MaxSettlementAge))
	}
	if h.Check == "ready" {
		app, err := ctx.App("x402")
		if err != nil {
			return fmt.Errorf("x402_health: loading the x402 app: %w", err)
		}
		h.app = app.(*App)
	}
	return nil
}

// healthAnswer is the JSON body of a probe.
type healthAnswer struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons,omitempty"`
}

// ServeHTTP implements caddyhttp.MiddlewareHandler; it always answers.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	ans, code := healthAnswer{Status: "live"}, http.StatusOK
	if h.Check == "ready" {
		maxAge := time.Duration(h.MaxSettlementAge)
		if maxAge == 0 {
			maxAge = DefaultMaxSettlementAge
		}
		ans.Reasons = h.app.rt.notReady(r.Context(), maxAge)
		ans.Status = "ready"
		if len(ans.Reasons) > 0 {
			ans.Status, code = "not ready", http.StatusServiceUnavailable
		}
	}
	b, _ := json.Marshal(ans)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	_, err := w.Write(append(b, '\n'))
	return err
}

// notReady lists why the runtime cannot take money now (none: ready).
func (rt *appRuntime) notReady(ctx context.Context, maxAge time.Duration) []string {
	var reasons []string
	if reason, closed := rt.gate.Closed(); closed {
		reasons = append(reasons, reason)
	}
	if p, ok := rt.store.(interface{ Ping(context.Context) error }); ok {
		ctx, cancel := context.WithTimeout(ctx, healthStoreTimeout)
		err := p.Ping(ctx)
		cancel()
		if err != nil {
			reasons = append(reasons, "x402 store: the replay guard's store does not answer: "+err.Error())
		}
	}
	if q := rt.engine.Queue; q != nil {
		if age := q.OldestAge(); age > maxAge {
			reasons = append(reasons, fmt.Sprintf("x402 settlement queue: a settlement has waited %s (more than %s; %d waiting)", age.Round(time.Second), maxAge, q.Len()))
		}
	}
	return reasons
}

// parseHealthDirective parses `x402_health [live|ready] [{ max_settlement_age <d> }]`.
func parseHealthDirective(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	hh := &Health{}
	h.Next() // directive name
	if h.NextArg() {
		hh.Check = h.Val()
		if hh.Check != "live" && hh.Check != "ready" {
			return nil, h.Errf("x402_health: %q: want live or ready", hh.Check)
		}
		if h.NextArg() {
			return nil, h.ArgErr()
		}
	}
	for nesting := h.Nesting(); h.NextBlock(nesting); {
		switch h.Val() {
		case "max_settlement_age":
			if err := durationArg(h.Dispenser, &hh.MaxSettlementAge); err != nil {
				return nil, err
			}
			if hh.MaxSettlementAge == 0 {
				return nil, h.Err("x402_health: max_settlement_age must be positive")
			}
		default:
			return nil, h.Errf("x402_health: unknown option %q (want max_settlement_age)", h.Val())
		}
	}
	return hh, nil
}

var (
	_ caddy.Provisioner           = (*Health)(nil)
	_ caddyhttp.MiddlewareHandler = (*Health)(nil)
)
