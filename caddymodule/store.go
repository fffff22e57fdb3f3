package caddymodule

import (
	"fmt"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/remote"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// newGuard builds the replay guard the store config asks for.
func (rt *appRuntime) newGuard() (paywall.ReplayGuard, error) {
	st := rt.app.Store
	if st == nil || st.Type == "" || st.Type == "memory" {
		return paywall.NewMemoryGuard(rt.app.GuardCapacity, 0), nil
	}
	return nil, fmt.Errorf("x402 store %q: unknown store type (want memory)", st.Type)
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
