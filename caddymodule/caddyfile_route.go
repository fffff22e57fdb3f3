package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// parseHandlerDirective parses the `x402` directive:
//
//	x402 [<matcher>] [<profile>] [{
//		price <amount>              # "0.01" (token amount) or "10000 units"
//		pay_to <address>
//		scheme <exact|escrow>...
//		network <name>...
//		asset <symbol|address>...
//		description <text>
//		mime_type <type>
//		max_timeout <duration>
//		settle <after|header|before>
//		settle_delay <duration>
//		settle_timeout <duration>
//		chargeable status <code|Nxx>... | chargeable header <field> [<value>]
//		payer_header <name>
//		resource_url <url>
//		charge_header <name>        # escrow: upstream-reported cost, capped by price
//		upgrades allow|refuse       # WebSocket/CONNECT: settled before the 101, or refused (default)
//		name <label>
//	}]
func parseHandlerDirective(h httpcaddyfile.Helper) ([]httpcaddyfile.ConfigValue, error) {
	if !h.Next() {
		return nil, h.ArgErr()
	}
	// The matcher token names the route in errors and, when the route has
	// no name, in metrics and logs (`/paid/*`, `@api`).
	matcher := ""
	if h.NextArg() {
		if v := h.Val(); strings.HasPrefix(v, "/") || strings.HasPrefix(v, "@") {
			matcher = v
		}
		h.Prev()
	}
	matcherSet, err := h.ExtractMatcherSet()
	if err != nil {
		return nil, err
	}
	handler := &Handler{}
	h.Next() // directive name
	start := h.Line()
	lines := optionLines{}
	if h.NextArg() {
		handler.Profile = h.Val()
		if h.NextArg() {
			return nil, h.ArgErr()
		}
	}
	routeErr := func(err error) error {
		label := handler.Name
		if label == "" {
			label = matcher
		}
		if label == "" {
			label = handler.Profile
		}
		if label == "" {
			label = "*"
		}
		if site := siteLabel(h); site != "" {
			label += " on " + site
		}
		return lines.errAt(h.Dispenser, err.Error(), start, fmt.Errorf("x402 route %s: %w", label, err))
	}
	lines, err = parseRouteBlock(h.Dispenser, &handler.RouteConfig)
	if err != nil {
		return nil, err
	}
	if handler.Profile == "" && (handler.Price == "" || handler.PayTo == "") {
		return nil, routeErr(errors.New("price and pay_to are required (or name a profile)"))
	}
	if handler.Name == "" {
		handler.Name = matcher
	}
	if err := checkRouteAtAdapt(h, handler); err != nil {
		return nil, routeErr(err)
	}
	return h.NewRoute(withPricedPath(matcherSet), handler), nil
}

// checkRouteAtAdapt runs the offline checks of a route against the x402
// global option of the same Caddyfile.
func checkRouteAtAdapt(h httpcaddyfile.Helper, handler *Handler) error {
	opt, _ := h.Option("x402").(httpcaddyfile.App)
	if opt.Value == nil {
		return errors.New("no x402 global option configures the networks (add `x402 { network … }` to the global options)")
	}
	var app App
	if err := json.Unmarshal(opt.Value, &app); err != nil {
		return fmt.Errorf("reading the x402 global option: %w", err)
	}
	p, err := app.plan()
	if err != nil {
		// The global option's own mistake; it is reported with its own
		// context below, without this route's.
		return err
	}
	cfg, err := app.routeConfig(handler)
	if err != nil {
		return err
	}
	return p.checkRoute(&cfg, false)
}

// siteLabel is the site's addresses (":8080", "api.example.com") for error
// messages. httpcaddyfile.Helper keeps its server block unexported, so it is
// read by reflection; a Caddy release that renames it only loses the site
// from the message (TestConfigMistakes notices).
func siteLabel(h httpcaddyfile.Helper) string {
	keys := reflect.ValueOf(h).FieldByName("parentBlock").FieldByName("Keys")
	if !keys.IsValid() || keys.Kind() != reflect.Slice {
		return ""
	}
	var out []string
	for i := 0; i < keys.Len(); i++ {
		if t := keys.Index(i).FieldByName("Text"); t.IsValid() && t.Kind() == reflect.String {
			out = append(out, t.String())
		}
	}
	return strings.Join(out, ", ")
}

// parseRouteBlock parses route options; each may appear once, except
// chargeable (one matcher per line).
func parseRouteBlock(d *caddyfile.Dispenser, rc *RouteConfig) (optionLines, error) {
	seen := optionLines{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if _, dup := seen[opt]; dup && opt != "chargeable" {
			return nil, d.Errf("x402: duplicate option %q", opt)
		}
		seen[opt] = d.Line()
		seen[strings.TrimSuffix(opt, "s")] = d.Line() // schemes, networks, assets
		var err error
		switch opt {
		case "price":
			args := d.RemainingArgs()
			switch {
			case len(args) == 1:
				rc.Price = args[0]
			case len(args) == 2 && args[1] == "units":
				rc.Price = args[0] + " units"
			default:
				err = d.Errf("x402: price takes an amount (0.01) or `<n> units`, got %q", strings.Join(args, " "))
			}
		case "pay_to":
			err = oneArg(d, &rc.PayTo)
		case "scheme", "schemes":
			rc.Schemes, err = someArgs(d)
		case "network", "networks":
			rc.Networks, err = someArgs(d)
		case "asset", "assets":
			rc.Assets, err = someArgs(d)
		case "description":
			err = oneArg(d, &rc.Description)
		case "mime_type":
			err = oneArg(d, &rc.MimeType)
		case "max_timeout":
			err = durationArg(d, &rc.MaxTimeout)
		case "settle":
			if err = oneArg(d, &rc.Settle); err == nil && rc.Settle != "after" && rc.Settle != "header" && rc.Settle != "before" {
				err = d.Errf("x402: settle %q: want after, header or before", rc.Settle)
			}
		case "settle_delay":
			err = durationArg(d, &rc.SettleDelay)
		case "settle_timeout":
			err = durationArg(d, &rc.SettleTimeout)
		case "chargeable":
			var m caddyhttp.ResponseMatcher
			if m, err = parseChargeable(d); err == nil {
				rc.Chargeable = mergeChargeable(rc.Chargeable, m)
			}
		case "payer_header":
			err = oneArg(d, &rc.PayerHeader)
		case "resource_url":
			err = oneArg(d, &rc.ResourceURL)
		case "charge_header":
			err = oneArg(d, &rc.ChargeHeader)
		case "upgrades":
			if err = oneArg(d, &rc.Upgrades); err == nil && rc.Upgrades != "allow" && rc.Upgrades != "refuse" {
				err = d.Errf("x402: upgrades %q: want allow or refuse", rc.Upgrades)
			}
		case "name":
			err = oneArg(d, &rc.Name)
		default:
			err = d.Errf("x402: unknown option %q", opt)
		}
		if err != nil {
			return nil, err
		}
	}
	return seen, nil
}

// mergeChargeable adds one `chargeable` line to the route's single
// matcher: status lines add codes (any of them), header lines add fields
// (all of them), and status and headers must both match. A route with only
// header lines still charges 2xx answers only (see buildRoute).
func mergeChargeable(ms []caddyhttp.ResponseMatcher, m caddyhttp.ResponseMatcher) []caddyhttp.ResponseMatcher {
	if len(ms) == 0 {
		return []caddyhttp.ResponseMatcher{m}
	}
	merged := ms[0]
	merged.StatusCode = append(merged.StatusCode, m.StatusCode...)
	for field, values := range m.Headers {
		if merged.Headers == nil {
			merged.Headers = http.Header{}
		}
		merged.Headers[field] = append(merged.Headers[field], values...)
	}
	return []caddyhttp.ResponseMatcher{merged}
}

// parseChargeable reads `status <codes>` or `header <field> [<value>]`
// through Caddy's own response matcher parser.
func parseChargeable(d *caddyfile.Dispenser) (caddyhttp.ResponseMatcher, error) {
	tokens := []caddyfile.Token{{Text: "@chargeable", File: d.File(), Line: d.Line()}}
	for d.NextArg() {
		tokens = append(tokens, d.Token())
	}
	if len(tokens) < 3 {
		return caddyhttp.ResponseMatcher{}, d.Err("x402: chargeable needs `status <codes>` or `header <field> [<value>]`")
	}
	matchers := map[string]caddyhttp.ResponseMatcher{}
	if err := caddyhttp.ParseNamedResponseMatcher(caddyfile.NewDispenser(tokens), matchers); err != nil {
		return caddyhttp.ResponseMatcher{}, err
	}
	return matchers["@chargeable"], nil
}
