package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddy-x402/x402/policies"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler is the `x402` HTTP handler: it puts a price on the requests its
// route matches. Unpaid requests get 402 with the payment requirements;
// paid ones are verified in-process, passed to the next handler with the
// verified payer in X-Payer, and settled when the answer is chargeable.
type Handler struct {
	RouteConfig

	// Profile names an `x402` app profile whose settings this handler
	// starts from; fields set here override it.
	Profile string `json:"profile,omitempty"`

	route  *paywall.Route
	logger *zap.Logger
	logs   *secretLog
}

// RouteConfig is the pricing and settlement of a route (also used for
// profiles).
type RouteConfig struct {
	// Name labels metrics and logs. Default: the Caddyfile matcher of the
	// route (`x402 /paid/* {…}` is named /paid/*), else the profile name,
	// else "default".
	Name string `json:"name,omitempty"`
	// Price per request: "0.01" means 0.01 of the token (USD for a USD
	// stablecoin), scaled by its decimals; "10000 units" is raw units.
	Price string `json:"price,omitempty"`
	// PayTo is the address paid. Required.
	PayTo string `json:"pay_to,omitempty"`
	// Schemes accepted, in order. Default: ["exact"].
	Schemes []string `json:"schemes,omitempty"`
	// Networks accepted (names as in the app's networks). Default: all.
	Networks []string `json:"networks,omitempty"`
	// Assets accepted by symbol or address. Default: every asset of each
	// accepted network.
	Assets []string `json:"assets,omitempty"`
	// Description and MimeType describe the resource in the 402.
	Description string `json:"description,omitempty"`
	MimeType    string `json:"mime_type,omitempty"`
	// MaxTimeout is the maxTimeoutSeconds advertised. Default: 60s.
	MaxTimeout caddy.Duration `json:"max_timeout,omitempty"`
	// Settle is when to settle: after (default), header or before.
	Settle string `json:"settle,omitempty"`
	// SettleDelay is the anti-race delay of `after`. Default: 300ms.
	SettleDelay caddy.Duration `json:"settle_delay,omitempty"`
	// SettleTimeout bounds a synchronous settlement (header, before).
	// Default: 30s.
	SettleTimeout caddy.Duration `json:"settle_timeout,omitempty"`
	// Chargeable lists response matchers; an upstream answer is charged
	// when any matches. Within a matcher, status and headers must both
	// match, and a matcher without status codes matches 2xx only. The
	// Caddyfile's `chargeable` lines form one matcher (status lines: any of
	// the codes; header lines: all of the fields). Default: status 2xx.
	Chargeable []caddyhttp.ResponseMatcher `json:"chargeable,omitempty"`
	// PayerHeader names the header carrying the verified payer upstream.
	// Default: X-Payer.
	PayerHeader string `json:"payer_header,omitempty"`
	// ResourceURL fixes the resource URL in requirements. Default: the
	// request URL.
	ResourceURL string `json:"resource_url,omitempty"`
	// ChargeHeader lets the upstream report the actual cost of an escrow
	// request (token units) in this response header, capped by the price;
	// the header is removed before the client sees it. Exact payments
	// always cost the price. Default: none.
	ChargeHeader string `json:"charge_header,omitempty"`
	// Upgrades says whether a paid request may switch protocols (WebSocket
	// and other 101 upgrades, CONNECT): "refuse" answers them 403
	// upgrade_not_allowed before the upstream sees them; "allow" settles
	// the payment before the 101 goes out, whatever the settle mode (a
	// failed settlement answers 402 instead), and the payment buys that one
	// connection. Default: "refuse".
	Upgrades string `json:"upgrades,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.x402", New: func() caddy.Module { return new(Handler) }}
}

// Provision builds the route's offers against the x402 app.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	h.logs = newSecretLog(ctx)
	appIface, err := ctx.App("x402")
	if err != nil {
		return fmt.Errorf("loading x402 app: %w", err)
	}
	app := appIface.(*App)
	cfg, err := app.routeConfig(h)
	if err == nil {
		err = app.planned.checkRoute(&cfg, false)
	}
	if err != nil {
		return fmt.Errorf("x402 route %s: %w", routeLabel(h, &cfg), err)
	}
	if cfg.Name == "" {
		cfg.Name = "default"
	}
	registerMetrics(ctx, h.logger)
	route, err := app.rt.buildRoute(&cfg)
	if err != nil {
		return fmt.Errorf("x402 route %s: %w", cfg.Name, err)
	}
	h.route = route
	return nil
}

// routeConfig is the handler's settings on top of its profile's.
func (a *App) routeConfig(h *Handler) (RouteConfig, error) {
	if h.Profile == "" {
		return h.RouteConfig, nil
	}
	p, ok := a.Profiles[h.Profile]
	if !ok || p == nil {
		return h.RouteConfig, fmt.Errorf("profile %q is not defined in the x402 app", h.Profile)
	}
	cfg := p.merge(h.RouteConfig)
	if cfg.Name == "" {
		cfg.Name = h.Profile
	}
	return cfg, nil
}

// routeLabel names a route in errors: its name, else its profile.
func routeLabel(h *Handler, cfg *RouteConfig) string {
	switch {
	case cfg.Name != "":
		return cfg.Name
	case h.Profile != "":
		return h.Profile
	}
	return "default"
}

// merge returns the profile's settings with the handler's non-empty fields
// on top.
func (p *RouteConfig) merge(o RouteConfig) RouteConfig {
	c := *p
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Name, o.Name)
	set(&c.Price, o.Price)
	set(&c.PayTo, o.PayTo)
	set(&c.Description, o.Description)
	set(&c.MimeType, o.MimeType)
	set(&c.Settle, o.Settle)
	set(&c.PayerHeader, o.PayerHeader)
	set(&c.ResourceURL, o.ResourceURL)
	set(&c.ChargeHeader, o.ChargeHeader)
	set(&c.Upgrades, o.Upgrades)
	if len(o.Schemes) > 0 {
		c.Schemes = o.Schemes
	}
	if len(o.Networks) > 0 {
		c.Networks = o.Networks
	}
	if len(o.Assets) > 0 {
		c.Assets = o.Assets
	}
	if len(o.Chargeable) > 0 {
		c.Chargeable = o.Chargeable
	}
	if o.MaxTimeout > 0 {
		c.MaxTimeout = o.MaxTimeout
	}
	if o.SettleDelay > 0 {
		c.SettleDelay = o.SettleDelay
	}
	if o.SettleTimeout > 0 {
		c.SettleTimeout = o.SettleTimeout
	}
	return c
}

// buildRoute turns a route config into a paywall route with one offer per
// accepted (scheme, network, asset).
func (rt *appRuntime) buildRoute(cfg *RouteConfig) (*paywall.Route, error) {
	if cfg.Price == "" {
		return nil, errors.New("price is required")
	}
	if cfg.PayTo == "" {
		return nil, errors.New("pay_to is required")
	}
	schemes := cfg.Schemes
	if len(schemes) == 0 {
		schemes = []string{facilitator.SchemeExact}
	}
	nets := rt.order
	if len(cfg.Networks) > 0 {
		nets = nil
		for _, name := range cfg.Networks {
			n := rt.lookupNetwork(name)
			if n == nil {
				return nil, fmt.Errorf("network %q is not configured in the x402 app", name)
			}
			nets = append(nets, n)
		}
	}
	maxTimeout := time.Duration(cfg.MaxTimeout)
	if maxTimeout <= 0 {
		maxTimeout = time.Minute
	}
	route := &paywall.Route{
		Name: cfg.Name, Description: cfg.Description, MimeType: cfg.MimeType, ResourceURL: cfg.ResourceURL,
		Mode: paywall.SettleMode(cfg.Settle), SettleDelay: time.Duration(cfg.SettleDelay), SettleTimeout: time.Duration(cfg.SettleTimeout),
		PayerHeader: cfg.PayerHeader, ChargeHeader: cfg.ChargeHeader, Upgrades: paywall.UpgradePolicy(cfg.Upgrades),
	}
	if len(cfg.Chargeable) > 0 {
		// A matcher without status codes still charges only 2xx answers:
		// `chargeable header X-Billable yes` must not charge a 503 that
		// carries the header.
		matchers := slices.Clone(cfg.Chargeable)
		for i := range matchers {
			if len(matchers[i].StatusCode) == 0 {
				matchers[i].StatusCode = []int{2}
			}
		}
		route.Chargeable = func(status int, hdr map[string][]string) bool {
			for i := range matchers {
				if matchers[i].Match(status, hdr) {
					return true
				}
			}
			return false
		}
	}
	for _, scheme := range schemes {
		for _, n := range nets {
			for _, as := range n.assets {
				if !assetWanted(cfg.Assets, as) {
					continue
				}
				units, err := policies.ParsePrice(cfg.Price, as.Decimals)
				if err != nil {
					return nil, err
				}
				req := facilitator.PaymentRequirements{
					Scheme: scheme, Network: n.id, Amount: units.String(), Asset: as.Address, PayTo: cfg.PayTo,
					MaxTimeoutSeconds: int(maxTimeout / time.Second), Extra: as.extra(),
				}
				var offer *paywall.Offer
				switch scheme {
				case facilitator.SchemeExact:
					if n.backend == nil && (cfg.Settle == "" || cfg.Settle == string(paywall.SettleAfter)) {
						err = fmt.Errorf("settle after serves before settling and must check payer balances, which needs an rpc for %s; add rpc to the network or use settle header", n.id)
						break
					}
					offer, err = paywall.NewExactOffer(req, as.Symbol, as.Decimals)
				case facilitator.SchemeEscrow:
					if n.escrow == nil {
						err = fmt.Errorf("scheme escrow is not available on %s (it needs the embedded facilitator and `escrow` in the network block)", n.id)
						break
					}
					offer, err = paywall.NewEscrowOffer(req, as.Name, as.Version, as.Symbol, as.Decimals, n.escrow)
				default:
					err = fmt.Errorf("scheme %q is not supported (want exact or escrow)", scheme)
				}
				if err != nil {
					return nil, err
				}
				route.Offers = append(route.Offers, offer)
			}
		}
	}
	if len(route.Offers) == 0 {
		return nil, errors.New("no network/asset matches its networks and assets")
	}
	if err := route.Init(rt.engine); err != nil {
		return nil, err
	}
	rt.logRoute(route)
	return route, nil
}

func (rt *appRuntime) lookupNetwork(name string) *network {
	if name == "dev" {
		for _, n := range rt.order {
			if n.dev {
				return n
			}
		}
		return nil
	}
	return rt.networks[facilitator.CAIP2(name)]
}

func assetWanted(wanted []string, as asset) bool {
	if len(wanted) == 0 {
		return true
	}
	for _, w := range wanted {
		if strings.EqualFold(w, as.Symbol) || strings.EqualFold(w, as.Address) {
			return true
		}
	}
	return false
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	serve := func(w http.ResponseWriter, r *http.Request) error {
		if reason, _ := caddyhttp.GetVar(r.Context(), ambiguousPathVar).(string); reason != "" {
			h.route.Refuse(w, r, http.StatusBadRequest, facilitator.Errorf(facilitator.CodeAmbiguousPath,
				"the request path cannot be read one way only (%s); send it plainly encoded", reason))
			return nil
		}
		return h.route.Serve(w, r, next.ServeHTTP)
	}
	if !carriesPayment(r) {
		return serve(w, r)
	}
	// Caddy would log the payment header (a signature or a session token)
	// and the token of an opening answer: accesslog.go logs it redacted.
	return h.logs.serve(w, r, serve)
}

var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
