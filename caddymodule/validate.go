package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddy-x402/x402/policies"
	"github.com/caddyserver/caddy/v2"
	"github.com/ethereum/go-ethereum/common"
)

// Offline configuration checks: every mistake that can be known without a
// chain, a store or a file. The Caddyfile adapter runs them (so `caddy
// adapt` and `caddy validate` name the site, the route and the field), and
// provisioning runs them again before any I/O, for configs written in JSON.
// On-chain checks (chain id, token code and domain, escrow code, gas) need
// the RPC and run when the runtime starts.

// appPlan is what the app's configuration says about its networks, known
// without starting anything: enough to check routes against.
type appPlan struct {
	embedded bool
	networks []*plannedNetwork
}

// plannedNetwork is a configured network before it is connected.
type plannedNetwork struct {
	name   string // as configured
	id     string // CAIP-2
	dev    bool
	rpc    bool
	escrow bool
	assets []asset
}

// plan checks the app's own settings and returns its networks.
func (a *App) plan() (*appPlan, error) {
	if len(a.Networks) == 0 {
		return nil, errNoNetworks
	}
	p := &appPlan{}
	fc := a.Facilitator
	if fc == nil {
		fc = &FacilitatorConfig{}
	}
	if err := fc.check(); err != nil {
		return nil, err
	}
	p.embedded = fc.Mode == "" || fc.Mode == "embedded"
	hasKey := fc.Key != "" || fc.KeyFile != ""
	seen := map[string]bool{}
	for _, nc := range a.Networks {
		if nc == nil {
			return nil, errors.New("x402: a network entry is empty")
		}
		pn, err := nc.plan()
		if err != nil {
			return nil, err
		}
		if seen[pn.id] {
			return nil, fmt.Errorf("x402 network %s is configured twice", pn.id)
		}
		seen[pn.id] = true
		if nc.Escrow != nil && !p.embedded {
			return nil, fmt.Errorf("x402 network %s: escrow needs the embedded facilitator (it is the sessions' operator)", nc.Name)
		}
		if p.embedded && !pn.dev && pn.rpc && !hasKey {
			return nil, fmt.Errorf("x402 network %s: the embedded facilitator needs a key to settle (facilitator embedded { key_file <path> } or { key {env.X402_FACILITATOR_KEY} })", nc.Name)
		}
		p.networks = append(p.networks, pn)
	}
	if err := a.Store.check(); err != nil {
		return nil, err
	}
	if a.Store != nil && a.Store.Type == "redis" && a.Journal == "off" {
		return nil, errStoreNeedsJournal
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"settle_workers", a.SettleWorkers}, {"queue_capacity", a.QueueCapacity}, {"guard_capacity", a.GuardCapacity}} {
		if f.v < 0 {
			return nil, fmt.Errorf("x402 %s %d: must not be negative", f.name, f.v)
		}
	}
	if err := nonNegative("max_validity", time.Duration(a.MaxValidity)); err != nil {
		return nil, fmt.Errorf("x402 %w", err)
	}
	if err := nonNegative("drain_timeout", time.Duration(a.DrainTimeout)); err != nil {
		return nil, fmt.Errorf("x402 %w", err)
	}
	if err := nonNegative("monitor_interval", time.Duration(a.MonitorInterval)); err != nil {
		return nil, fmt.Errorf("x402 %w", err)
	}
	names := make([]string, 0, len(a.Profiles))
	for name := range a.Profiles {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		prof := a.Profiles[name]
		if prof == nil {
			return nil, fmt.Errorf("x402 profile %q is empty", name)
		}
		if err := p.checkRoute(prof, true); err != nil {
			return nil, fmt.Errorf("x402 profile %q: %w", name, err)
		}
	}
	return p, nil
}

// plan resolves one network offline.
func (nc *NetworkConfig) plan() (*plannedNetwork, error) {
	pn := &plannedNetwork{name: nc.Name, dev: nc.Name == "dev", rpc: nc.RPC != "", escrow: nc.Escrow != nil}
	n := &network{dev: pn.dev}
	if pn.dev {
		if nc.RPC != "" {
			return nil, errors.New("x402 network dev: rpc does not apply (the dev chain is embedded; rpc_listen exposes it)")
		}
		id := nc.ChainID
		if id == 0 {
			id = devchain.DefaultChainID
		}
		pn.id, pn.rpc, pn.escrow = fmt.Sprintf("eip155:%d", id), true, true
		n.assets = []asset{{Symbol: "USDC", Address: devchain.DevTokenAddress.Hex(), Name: "USD Coin", Version: "2", Decimals: 6}}
	} else {
		pn.id = facilitator.CAIP2(nc.Name)
		if pn.id == "" {
			return nil, fmt.Errorf("x402 network %q: unknown network (use dev, a v1 name such as base-sepolia, or eip155:<chainId>)", nc.Name)
		}
		if nc.ChainID != 0 || nc.RPCListen != "" {
			return nil, fmt.Errorf("x402 network %s: chain_id and rpc_listen only apply to the dev network", nc.Name)
		}
		if err := checkURL(nc.RPC, "http", "https", "ws", "wss"); err != nil {
			return nil, fmt.Errorf("x402 network %s: rpc %w", nc.Name, err)
		}
	}
	n.id = pn.id
	if err := nonNegative("receipt_timeout", time.Duration(nc.ReceiptTimeout)); err != nil {
		return nil, fmt.Errorf("x402 network %s: %w", nc.Name, err)
	}
	if err := nc.checkSettlement(); err != nil {
		return nil, fmt.Errorf("x402 network %s: %w", nc.Name, err)
	}
	if len(nc.Assets) == 0 {
		if pn.dev {
			pn.assets = n.assets
		} else {
			u, ok := facilitator.USDC(pn.id)
			if !ok {
				return nil, fmt.Errorf("x402 network %s: no known USDC; configure an asset with address, name and version", nc.Name)
			}
			pn.assets = []asset{{Symbol: u.Symbol, Address: u.Address, Name: u.Name, Version: u.Version, Decimals: u.Decimals}}
		}
	}
	for _, ac := range nc.Assets {
		if ac == nil {
			return nil, fmt.Errorf("x402 network %s: an asset entry is empty", nc.Name)
		}
		if ac.Decimals < 0 || ac.Decimals > 36 {
			return nil, fmt.Errorf("x402 network %s: asset decimals %d out of range (0 to 36)", nc.Name, ac.Decimals)
		}
		as, err := resolveAsset(n, ac)
		if err != nil {
			return nil, fmt.Errorf("x402 network %s: %w", nc.Name, err)
		}
		pn.assets = append(pn.assets, as)
	}
	if nc.Escrow != nil {
		if err := nc.Escrow.check(pn); err != nil {
			return nil, fmt.Errorf("x402 network %s escrow: %w", nc.Name, err)
		}
	}
	return pn, nil
}

// check validates escrow options: addresses, amounts in the network's first
// token, and durations that fit together.
func (ec *EscrowConfig) check(pn *plannedNetwork) error {
	for _, f := range []struct{ name, v string }{{"contract", ec.Contract}, {"collector", ec.Collector}} {
		if f.v == "" {
			continue
		}
		if err := checkAddress(f.v); err != nil {
			return fmt.Errorf("%s %w", f.name, err)
		}
	}
	if (ec.Contract == "") != (ec.Collector == "") {
		return errors.New("give both contract and collector, or neither")
	}
	if ec.Contract == "" && !pn.dev && pn.id != "eip155:8453" && pn.id != "eip155:84532" {
		return fmt.Errorf("contract and collector are required on %s (known defaults exist only for base and base-sepolia)", pn.id)
	}
	decimals := 6
	if len(pn.assets) > 0 {
		decimals = pn.assets[0].Decimals
	}
	amounts := map[string]string{"min_deposit": ec.MinDeposit, "max_deposit": ec.MaxDeposit, "capture_threshold": ec.CaptureThreshold}
	for _, name := range []string{"min_deposit", "max_deposit", "capture_threshold"} {
		if v := amounts[name]; v != "" {
			if _, err := policies.ParsePrice(v, decimals); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	if ec.MinDeposit != "" && ec.MaxDeposit != "" {
		lo, _ := policies.ParsePrice(ec.MinDeposit, decimals)
		hi, _ := policies.ParsePrice(ec.MaxDeposit, decimals)
		if lo.Cmp(hi) > 0 {
			return fmt.Errorf("min_deposit %s is more than max_deposit %s", ec.MinDeposit, ec.MaxDeposit)
		}
	}
	durations := []struct {
		name string
		v    time.Duration
	}{
		{"min_session", time.Duration(ec.MinSession)}, {"max_session", time.Duration(ec.MaxSession)},
		{"serve_margin", time.Duration(ec.ServeMargin)}, {"capture_margin", time.Duration(ec.CaptureMargin)},
		{"capture_interval", time.Duration(ec.CaptureInterval)}, {"close_wait", time.Duration(ec.CloseWait)},
		{"recovery_window", time.Duration(ec.RecoveryWindow)}, {"alert_margin", time.Duration(ec.AlertMargin)},
	}
	for _, d := range durations {
		if err := nonNegative(d.name, d.v); err != nil {
			return err
		}
	}
	orDefault := func(v caddy.Duration, def time.Duration) time.Duration {
		if v > 0 {
			return time.Duration(v)
		}
		return def
	}
	minS, maxS := orDefault(ec.MinSession, 10*time.Minute), orDefault(ec.MaxSession, 168*time.Hour)
	serve, capture := orDefault(ec.ServeMargin, 5*time.Minute), orDefault(ec.CaptureMargin, 2*time.Minute)
	switch {
	case minS > maxS:
		return fmt.Errorf("min_session %s is longer than max_session %s", minS, maxS)
	case capture >= serve:
		return fmt.Errorf("capture_margin %s must be shorter than serve_margin %s (use stops before the final capture)", capture, serve)
	case serve >= minS:
		return fmt.Errorf("serve_margin %s must be shorter than min_session %s (a shortest session could never be used)", serve, minS)
	case ec.AlertMargin > 0 && time.Duration(ec.AlertMargin) >= capture:
		return fmt.Errorf("alert_margin %s must be shorter than capture_margin %s (it alerts when the final capture is late)", time.Duration(ec.AlertMargin), capture)
	case ec.CaptureWorkers < 0:
		return fmt.Errorf("capture_workers %d must be positive", ec.CaptureWorkers)
	}
	return nil
}

// check validates the facilitator settings that need no file or network.
func (fc *FacilitatorConfig) check() error {
	switch fc.Mode {
	case "", "embedded":
		if len(fc.URLs) > 0 || len(fc.Headers) > 0 || fc.Timeout != 0 {
			return errors.New("x402 facilitator embedded: urls, headers and timeout apply to remote facilitators")
		}
		if fc.Key != "" && fc.KeyFile != "" {
			return errors.New("x402 facilitator: set key or key_file, not both")
		}
		if fc.Key != "" && !isPlaceholder(fc.Key) && !fc.AllowInlineKey {
			return errInlineKey
		}
	case "remote":
		if fc.Key != "" || fc.KeyFile != "" {
			return errors.New("x402 facilitator remote: key and key_file apply to the embedded facilitator")
		}
		if len(fc.URLs) == 0 {
			return errors.New("x402 facilitator remote: give at least one URL")
		}
		for _, u := range fc.URLs {
			if err := checkURL(u, "http", "https"); err != nil {
				return fmt.Errorf("x402 facilitator remote: url %w", err)
			}
		}
		for name := range fc.Headers {
			if !validHeaderName(name) {
				return fmt.Errorf("x402 facilitator remote: header %q is not a valid header name", name)
			}
		}
		if err := nonNegative("timeout", time.Duration(fc.Timeout)); err != nil {
			return fmt.Errorf("x402 facilitator remote: %w", err)
		}
	default:
		return fmt.Errorf("x402 facilitator mode %q: want embedded or remote", fc.Mode)
	}
	return nil
}

// errInlineKey refuses a private key written into the configuration.
var errInlineKey = errors.New("x402 facilitator key: an inline private key ends up in Caddy's JSON config (admin API, autosave.json); " +
	"use key_file <path> (mode 0600) or key {env.X402_FACILITATOR_KEY}, or add allow_inline_key for a throwaway test key")

// check validates the store settings (a nil store is the memory default).
func (st *StoreConfig) check() error {
	if st == nil {
		return nil
	}
	switch st.Type {
	case "", "memory":
		if st.URL != "" || st.Namespace != "" || st.Sentinel != nil || len(st.Cluster) > 0 || st.Username != "" || st.Password != "" {
			return errors.New("x402 store memory takes no URL or namespace")
		}
	case "redis":
		forms := 0
		for _, set := range []bool{st.URL != "", st.Sentinel != nil, len(st.Cluster) > 0} {
			if set {
				forms++
			}
		}
		switch {
		case forms == 0:
			return errors.New("x402 store redis: a URL is required (store redis redis://127.0.0.1:6379/0), or a sentinel or cluster block")
		case forms > 1:
			return errors.New("x402 store redis: give one of a URL, `sentinel <master> <host:port>...` or `cluster <host:port>...`")
		}
		if err := checkURL(st.URL, "redis", "rediss", "unix"); err != nil {
			return fmt.Errorf("x402 store redis: url %w", err)
		}
		if sc := st.Sentinel; sc != nil && (sc.Master == "" || len(sc.Addrs) == 0) {
			return errors.New("x402 store redis: sentinel needs the master name and at least one sentinel address (sentinel <master> <host:port>...)")
		}
		if len(st.Cluster) > 0 && st.DB != 0 {
			return errors.New("x402 store redis: a cluster has only database 0 (remove db)")
		}
		if st.DB < 0 {
			return fmt.Errorf("x402 store redis: db %d must not be negative", st.DB)
		}
		if strings.ContainsAny(st.Namespace, " \t\r\n:{}") {
			return fmt.Errorf("x402 store redis: namespace %q must not contain spaces, ':', '{' or '}'", st.Namespace)
		}
		if err := nonNegative("recovery_timeout", time.Duration(st.RecoveryTimeout)); err != nil {
			return fmt.Errorf("x402 store redis: %w", err)
		}
	default:
		return fmt.Errorf("x402 store %q: unknown store type (want memory or redis)", st.Type)
	}
	return nil
}

// checkRoute validates a route's settings against the app's networks. A
// profile (partial=true) may leave price and pay_to to its routes.
func (p *appPlan) checkRoute(rc *RouteConfig, partial bool) error {
	if !partial && rc.Price == "" {
		return errors.New("price is required")
	}
	if !partial && rc.PayTo == "" {
		return errors.New("pay_to is required")
	}
	if rc.PayTo != "" {
		if err := checkAddress(rc.PayTo); err != nil {
			return fmt.Errorf("pay_to %w", err)
		}
		if common.HexToAddress(rc.PayTo) == (common.Address{}) {
			return fmt.Errorf("pay_to %s: the zero address cannot be paid (tokens refuse transfers to it); give your payout address", rc.PayTo)
		}
	}
	switch rc.Settle {
	case "", string(paywall.SettleAfter), string(paywall.SettleHeader), string(paywall.SettleBefore):
	default:
		return fmt.Errorf("settle %q: want after, header or before", rc.Settle)
	}
	switch rc.Upgrades {
	case "", string(paywall.UpgradesAllow), string(paywall.UpgradesRefuse):
	default:
		return fmt.Errorf("upgrades %q: want allow or refuse", rc.Upgrades)
	}
	for _, d := range []struct {
		name string
		v    caddy.Duration
	}{{"max_timeout", rc.MaxTimeout}, {"settle_delay", rc.SettleDelay}, {"settle_timeout", rc.SettleTimeout}} {
		if err := nonNegative(d.name, time.Duration(d.v)); err != nil {
			return err
		}
	}
	if rc.MaxTimeout > 0 && time.Duration(rc.MaxTimeout) < time.Second {
		return fmt.Errorf("max_timeout %s: less than one second (it is advertised in whole seconds)", time.Duration(rc.MaxTimeout))
	}
	if rc.PayerHeader != "" && !validHeaderName(rc.PayerHeader) {
		return fmt.Errorf("payer_header %q is not a valid header name", rc.PayerHeader)
	}
	if rc.ChargeHeader != "" && !validHeaderName(rc.ChargeHeader) {
		return fmt.Errorf("charge_header %q is not a valid header name", rc.ChargeHeader)
	}
	if rc.ResourceURL != "" {
		if err := checkURL(rc.ResourceURL, "http", "https"); err != nil {
			return fmt.Errorf("resource_url %w", err)
		}
	}
	if err := checkChargeable(rc); err != nil {
		return err
	}
	schemes := rc.Schemes
	if len(schemes) == 0 {
		schemes = []string{facilitator.SchemeExact}
	}
	for i, s := range schemes {
		if s != facilitator.SchemeExact && s != facilitator.SchemeEscrow {
			return fmt.Errorf("scheme %q is not supported (want exact or escrow)", s)
		}
		if slices.Contains(schemes[:i], s) {
			return fmt.Errorf("scheme %q is given twice", s)
		}
	}
	if rc.ChargeHeader != "" && len(rc.Schemes) > 0 && !slices.Contains(rc.Schemes, facilitator.SchemeEscrow) {
		return fmt.Errorf("charge_header %q: only escrow payments can be metered (exact ones always cost the price); add scheme escrow or remove it", rc.ChargeHeader)
	}
	nets, err := p.routeNetworks(rc.Networks)
	if err != nil {
		return err
	}
	offers := 0
	for _, n := range nets {
		for _, as := range n.assets {
			if !assetWanted(rc.Assets, as) {
				continue
			}
			offers++
			if rc.Price != "" {
				if _, err := policies.ParsePrice(rc.Price, as.Decimals); err != nil {
					return err
				}
			}
		}
		if partial {
			continue
		}
		for _, s := range schemes {
			switch {
			case s == facilitator.SchemeEscrow && !p.embedded:
				return errors.New("scheme escrow needs the embedded facilitator (it is the sessions' operator)")
			case s == facilitator.SchemeEscrow && !n.escrow:
				return fmt.Errorf("scheme escrow on %s: escrow is not enabled on this network (add escrow { … } to its network block)", n.name)
			case s == facilitator.SchemeExact && !n.rpc && (rc.Settle == "" || rc.Settle == string(paywall.SettleAfter)):
				return fmt.Errorf("settle after on %s serves before settling and must check payer balances, which needs the network's rpc; add rpc to the network or use settle header", n.name)
			}
		}
	}
	for _, w := range rc.Assets {
		if !slices.ContainsFunc(nets, func(n *plannedNetwork) bool {
			return slices.ContainsFunc(n.assets, func(as asset) bool { return assetWanted([]string{w}, as) })
		}) {
			return fmt.Errorf("asset %q is not configured on %s", w, netNames(nets))
		}
	}
	if offers == 0 && !partial {
		return errors.New("no network/asset matches its networks and assets")
	}
	return nil
}

// routeNetworks resolves a route's network names (all when none are given).
func (p *appPlan) routeNetworks(names []string) ([]*plannedNetwork, error) {
	if len(names) == 0 {
		return p.networks, nil
	}
	var out []*plannedNetwork
	for _, name := range names {
		i := slices.IndexFunc(p.networks, func(n *plannedNetwork) bool {
			return (name == "dev" && n.dev) || (!n.dev && n.id == facilitator.CAIP2(name)) || (n.dev && n.id == name)
		})
		if i < 0 {
			return nil, fmt.Errorf("network %q is not configured in the x402 app (configured: %s)", name, netNames(p.networks))
		}
		out = append(out, p.networks[i])
	}
	return out, nil
}

func netNames(nets []*plannedNetwork) string {
	names := make([]string, len(nets))
	for i, n := range nets {
		names[i] = n.name
	}
	return strings.Join(names, ", ")
}

// checkChargeable validates the chargeable matchers: status codes are HTTP
// codes or classes (2 for 2xx), header names are header names.
func checkChargeable(rc *RouteConfig) error {
	for _, m := range rc.Chargeable {
		for _, code := range m.StatusCode {
			if !(code >= 1 && code <= 5) && !(code >= 100 && code <= 599) {
				return fmt.Errorf("chargeable status %d: not an HTTP status code or class (2xx)", code)
			}
		}
		for name := range m.Headers {
			if !validHeaderName(name) {
				return fmt.Errorf("chargeable header %q is not a valid header name", name)
			}
		}
	}
	return nil
}

// checkAddress checks a 0x-prefixed 20-byte hex address.
func checkAddress(s string) error {
	if _, err := evm.ParseAddress(s); err != nil {
		return fmt.Errorf("%q: not a 0x-prefixed 20-byte hex address", s)
	}
	return nil
}

// checkURL checks that s is a URL with one of the schemes, unless it is
// (or contains) a runtime placeholder, which is expanded at start.
func checkURL(s string, schemes ...string) error {
	if s == "" || strings.Contains(s, "{") {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || !slices.Contains(schemes, u.Scheme) || (u.Host == "" && u.Scheme != "unix") {
		list := strings.Join(schemes, ":// ") + "://"
		if i := strings.LastIndex(list, " "); i >= 0 {
			list = strings.ReplaceAll(list[:i], " ", ", ") + " or " + list[i+1:]
		}
		return fmt.Errorf("%q: want a URL starting with %s (or a placeholder such as {env.VAR})", redactURL(s), list)
	}
	return nil
}

// redactURL hides a password in a URL shown in an error.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// isPlaceholder reports whether a secret value is read at start from a
// runtime placeholder ({env.VAR}, {file./path}) rather than written inline.
func isPlaceholder(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && !strings.ContainsAny(s[1:len(s)-1], "{}")
}

func nonNegative(name string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s %s: must not be negative", name, d)
	}
	return nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c >= 0x7f || c <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", c) {
			return false
		}
	}
	return http.CanonicalHeaderKey(s) != ""
}
