package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator/server"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(FacilitatorHandler{})
	httpcaddyfile.RegisterHandlerDirective("x402_facilitator", parseFacilitatorDirective)
	httpcaddyfile.RegisterDirectiveOrder("x402_facilitator", httpcaddyfile.Before, "respond")
}

// FacilitatorHandler is the `x402_facilitator` handler: it serves the x402
// facilitator API (GET /supported, POST /verify, POST /settle, GET /health)
// backed by this Caddy's x402 app, so one Caddy can settle for other
// resource servers (ours or the official SDKs').
type FacilitatorHandler struct {
	// Prefix under which the API is mounted, e.g. /facilitator. Default: none.
	Prefix string `json:"prefix,omitempty"`
	// AuthHeader and AuthValue require a credential on every call but
	// /health, e.g. Authorization and "Bearer {env.FACILITATOR_TOKEN}"
	// (placeholders expanded at provision; compared in constant time).
	AuthHeader string `json:"auth_header,omitempty"`
	AuthValue  string `json:"auth_value,omitempty"`
	// MaxBodyBytes caps request bodies. Default: 64 KiB.
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`

	srv *server.Server
}

// CaddyModule returns the Caddy module information.
func (FacilitatorHandler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.x402_facilitator", New: func() caddy.Module { return new(FacilitatorHandler) }}
}

// Provision builds the API server over the app's facilitator router.
func (f *FacilitatorHandler) Provision(ctx caddy.Context) error {
	appIface, err := ctx.App("x402")
	if err != nil {
		return fmt.Errorf("loading x402 app: %w", err)
	}
	app := appIface.(*App)
	opts := []server.Option{server.WithLogger(ctx.Logger()), server.WithSettleTimeout(3 * time.Minute)}
	if f.Prefix != "" {
		opts = append(opts, server.WithPrefix(f.Prefix))
	}
	if f.MaxBodyBytes > 0 {
		opts = append(opts, server.WithMaxBodyBytes(f.MaxBodyBytes))
	}
	if f.AuthHeader != "" {
		v, err := caddy.NewReplacer().ReplaceOrErr(f.AuthValue, true, true)
		if err != nil {
			return fmt.Errorf("x402_facilitator auth value: %w", err)
		}
		opts = append(opts, server.WithAuth(f.AuthHeader, v))
	}
	f.srv = server.New(app.rt.apiRouter, opts...)
	return nil
}

// ServeHTTP implements caddyhttp.MiddlewareHandler: requests under the
// prefix are answered; others go on to the next handler.
func (f *FacilitatorHandler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if p := f.srv.Prefix(); p != "" && r.URL.Path != p && !strings.HasPrefix(r.URL.Path, strings.TrimSuffix(p, "/")+"/") {
		return next.ServeHTTP(w, r)
	}
	f.srv.ServeHTTP(w, r)
	return nil
}

// parseFacilitatorDirective parses:
//
//	x402_facilitator [<matcher>] [{
//		prefix <path>
//		auth <header> <value>
//		max_body <bytes>
//	}]
//
// The usual way to mount it under a path is Caddy's handle_path, which
// strips the prefix: `handle_path /facilitator/* { x402_facilitator }`.
func parseFacilitatorDirective(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	f := &FacilitatorHandler{}
	h.Next()
	if h.NextArg() {
		return nil, h.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := h.Nesting(); h.NextBlock(nesting); {
		opt := h.Val()
		if seen[opt] {
			return nil, h.Errf("x402_facilitator: duplicate option %q", opt)
		}
		seen[opt] = true
		switch opt {
		case "prefix":
			if !h.AllArgs(&f.Prefix) {
				return nil, h.ArgErr()
			}
		case "auth":
			if !h.AllArgs(&f.AuthHeader, &f.AuthValue) {
				return nil, h.ArgErr()
			}
		case "max_body":
			var n int
			if err := intArg(h.Dispenser, &n); err != nil {
				return nil, err
			}
			f.MaxBodyBytes = int64(n)
		default:
			return nil, h.Errf("x402_facilitator: unknown option %q", opt)
		}
	}
	return f, nil
}

var (
	_ caddy.Provisioner           = (*FacilitatorHandler)(nil)
	_ caddyhttp.MiddlewareHandler = (*FacilitatorHandler)(nil)
)
