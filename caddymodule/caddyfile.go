package caddymodule

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("x402", parseGlobalOption)
	httpcaddyfile.RegisterDirective("x402", parseHandlerDirective)
	// After authentication, before everything that could answer or rewrite
	// the request (handle, route, respond, reverse_proxy, file_server…), so
	// neither a terminal handler nor a `handle` block can bypass the paywall.
	httpcaddyfile.RegisterDirectiveOrder("x402", httpcaddyfile.After, "forward_auth")
}

// parseGlobalOption parses the `x402` global option into the x402 app:
//
//	x402 {
//		network <dev|name|eip155:id> {
//			rpc <url>
//			asset <USDC|address> [{ name <eip712 name>; version <v>; decimals <n>; symbol <s> }]
//			chain_id <id>          # dev only
//			rpc_listen <host:port> # dev only
//			simulate
//			skip_checks            # no on-chain start-up checks (air-gapped start)
//			receipt_timeout <duration>
//			batch off | batch [{ size <n>; wait <duration>; multicall3 <addr> }]
//			replace_after <blocks>
//			max_fee_per_gas <n> [wei|gwei]
//			escrow [{ contract <addr>; collector <addr>; min_deposit <price>; max_deposit <price>;
//			          min_session <d>; max_session <d>; serve_margin <d>; capture_margin <d>;
//			          capture_threshold <price>; capture_interval <d>; capture_workers <n>;
//			          close_wait <d>; recovery_window <d>; alert_margin <d> }]
//		}
//		facilitator embedded [{ key_file <path> | key {env.VAR} [allow_inline_key] }]
//		facilitator remote <url>... [{ header <name> <value>; timeout <duration> }]
//		store memory
//		store redis [<url>] [{ namespace <name>; sentinel <master> <host:port>...; cluster <host:port>...;
//		          username <u>; password <p>; sentinel_username <u>; sentinel_password <p>; db <n>; tls;
//		          recovery_timeout <duration> }]
//		profile <name> { <route options, as in the x402 directive> }
//		settle_workers <n>
//		queue_capacity <n>
//		guard_capacity <n>
//		max_validity <duration>
//		drain_timeout <duration>
//		monitor_interval <duration>
//		journal <path|off>
//		escrow_ledger <path>
//	}
func parseGlobalOption(d *caddyfile.Dispenser, existing any) (any, error) {
	if existing != nil {
		return nil, d.Err("the x402 global option is given twice")
	}
	app := &App{}
	seen := map[string]bool{}
	lines := optionLines{} // where each option was written, for errors found later
	d.Next()               // "x402"
	start := d.Line()
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for d.NextBlock(0) {
		opt := d.Val()
		once := opt != "network" && opt != "profile"
		if once && seen[opt] {
			return nil, d.Errf("x402: duplicate option %q", opt)
		}
		seen[opt] = true
		lines[opt] = d.Line()
		if opt == "network" || opt == "profile" {
			if d.NextArg() {
				lines[opt+" "+d.Val()] = d.Line()
				d.Prev()
			}
		}
		switch opt {
		case "network":
			nc, err := parseNetwork(d)
			if err != nil {
				return nil, err
			}
			app.Networks = append(app.Networks, nc)
		case "facilitator":
			fc, err := parseFacilitator(d)
			if err != nil {
				return nil, err
			}
			app.Facilitator = fc
		case "store":
			args := d.RemainingArgs()
			if len(args) == 0 || len(args) > 2 {
				return nil, d.ArgErr()
			}
			app.Store = &StoreConfig{Type: args[0]}
			if len(args) == 2 {
				app.Store.URL = args[1]
			}
			if err := parseStoreBlock(d, app.Store); err != nil {
				return nil, err
			}
		case "profile":
			if !d.NextArg() {
				return nil, d.ArgErr()
			}
			name := d.Val()
			if app.Profiles[name] != nil {
				return nil, d.Errf("x402: profile %q is defined twice", name)
			}
			rc := &RouteConfig{}
			if _, err := parseRouteBlock(d, rc); err != nil {
				return nil, err
			}
			if app.Profiles == nil {
				app.Profiles = map[string]*RouteConfig{}
			}
			app.Profiles[name] = rc
		case "settle_workers":
			if err := intArg(d, &app.SettleWorkers); err != nil {
				return nil, err
			}
		case "queue_capacity":
			if err := intArg(d, &app.QueueCapacity); err != nil {
				return nil, err
			}
		case "guard_capacity":
			if err := intArg(d, &app.GuardCapacity); err != nil {
				return nil, err
			}
		case "max_validity":
			if err := durationArg(d, &app.MaxValidity); err != nil {
				return nil, err
			}
		case "drain_timeout":
			if err := durationArg(d, &app.DrainTimeout); err != nil {
				return nil, err
			}
		case "monitor_interval":
			if err := durationArg(d, &app.MonitorInterval); err != nil {
				return nil, err
			}
		case "journal":
			if err := oneArg(d, &app.Journal); err != nil {
				return nil, err
			}
		case "escrow_ledger":
			if err := oneArg(d, &app.EscrowLedger); err != nil {
				return nil, err
			}
		default:
			return nil, d.Errf("x402: unknown option %q", opt)
		}
	}
	if _, err := app.plan(); err != nil {
		return nil, lines.errAt(d, strings.TrimPrefix(err.Error(), "x402 "), start, err)
	}
	return httpcaddyfile.App{Name: "x402", Value: caddyconfigJSON(app)}, nil
}

func parseNetwork(d *caddyfile.Dispenser) (*NetworkConfig, error) {
	if !d.NextArg() {
		return nil, d.ArgErr()
	}
	nc := &NetworkConfig{Name: d.Val()}
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if opt != "asset" && seen[opt] {
			return nil, d.Errf("x402 network %s: duplicate option %q", nc.Name, opt)
		}
		seen[opt] = true
		switch opt {
		case "rpc":
			if !d.AllArgs(&nc.RPC) {
				return nil, d.ArgErr()
			}
		case "asset":
			ac, err := parseAsset(d)
			if err != nil {
				return nil, err
			}
			nc.Assets = append(nc.Assets, ac)
		case "chain_id":
			var s string
			if !d.AllArgs(&s) {
				return nil, d.ArgErr()
			}
			id, err := strconv.ParseUint(s, 10, 64)
			if err != nil || id == 0 {
				return nil, d.Errf("x402 network %s: chain_id %q is not a positive integer", nc.Name, s)
			}
			nc.ChainID = id
		case "rpc_listen":
			if !d.AllArgs(&nc.RPCListen) {
				return nil, d.ArgErr()
			}
		case "simulate":
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			nc.Simulate = true
		case "skip_checks":
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			if nc.Name == "dev" {
				return nil, d.Err("x402 network dev: skip_checks does not apply (the embedded dev chain is never checked)")
			}
			nc.SkipChecks = true
		case "receipt_timeout":
			if err := durationArg(d, &nc.ReceiptTimeout); err != nil {
				return nil, err
			}
		case "batch":
			if err := parseBatch(d, nc); err != nil {
				return nil, err
			}
		case "replace_after":
			if err := parseReplaceAfter(d, nc); err != nil {
				return nil, err
			}
		case "max_fee_per_gas":
			if err := parseMaxFee(d, nc); err != nil {
				return nil, err
			}
		case "escrow":
			ec, err := parseEscrow(d)
			if err != nil {
				return nil, err
			}
			nc.Escrow = ec
		default:
			return nil, d.Errf("x402 network %s: unknown option %q", nc.Name, opt)
		}
	}
	if nc.Name != "dev" && (nc.ChainID != 0 || nc.RPCListen != "") {
		return nil, d.Errf("x402 network %s: chain_id and rpc_listen only apply to the dev network", nc.Name)
	}
	return nc, nil
}

func parseAsset(d *caddyfile.Dispenser) (*AssetConfig, error) {
	if !d.NextArg() {
		return nil, d.ArgErr()
	}
	ac := &AssetConfig{}
	if v := d.Val(); strings.HasPrefix(strings.ToLower(v), "0x") {
		ac.Address = v
	} else {
		ac.Symbol = v
	}
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if seen[opt] {
			return nil, d.Errf("x402 asset: duplicate option %q", opt)
		}
		seen[opt] = true
		switch opt {
		case "name":
			if !d.AllArgs(&ac.Name) {
				return nil, d.ArgErr()
			}
		case "version":
			if !d.AllArgs(&ac.Version) {
				return nil, d.ArgErr()
			}
		case "symbol":
			if !d.AllArgs(&ac.Symbol) {
				return nil, d.ArgErr()
			}
		case "decimals":
			if err := intArg(d, &ac.Decimals); err != nil {
				return nil, err
			}
			if ac.Decimals < 0 || ac.Decimals > 36 {
				return nil, d.Errf("x402 asset: decimals %d out of range", ac.Decimals)
			}
		default:
			return nil, d.Errf("x402 asset: unknown option %q", opt)
		}
	}
	return ac, nil
}

func parseFacilitator(d *caddyfile.Dispenser) (*FacilitatorConfig, error) {
	if !d.NextArg() {
		return nil, d.ArgErr()
	}
	fc := &FacilitatorConfig{Mode: d.Val()}
	switch fc.Mode {
	case "embedded":
		if d.NextArg() {
			return nil, d.ArgErr()
		}
	case "remote":
		fc.URLs = d.RemainingArgs()
		if len(fc.URLs) == 0 {
			return nil, d.Err("x402 facilitator remote: give at least one URL")
		}
	default:
		return nil, d.Errf("x402 facilitator: unknown mode %q (want embedded or remote)", fc.Mode)
	}
	seen := map[string]bool{}
	lines := optionLines{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if opt != "header" && seen[opt] {
			return nil, d.Errf("x402 facilitator: duplicate option %q", opt)
		}
		seen[opt] = true
		lines[opt] = d.Line()
		switch {
		case opt == "key" && fc.Mode == "embedded":
			if !d.AllArgs(&fc.Key) {
				return nil, d.ArgErr()
			}
		case opt == "key_file" && fc.Mode == "embedded":
			if !d.AllArgs(&fc.KeyFile) {
				return nil, d.ArgErr()
			}
		case opt == "allow_inline_key" && fc.Mode == "embedded":
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			fc.AllowInlineKey = true
		case opt == "header" && fc.Mode == "remote":
			var name, value string
			if !d.AllArgs(&name, &value) {
				return nil, d.ArgErr()
			}
			if fc.Headers == nil {
				fc.Headers = map[string]string{}
			}
			if _, dup := fc.Headers[name]; dup {
				return nil, d.Errf("x402 facilitator: duplicate header %q", name)
			}
			fc.Headers[name] = value
		case opt == "timeout" && fc.Mode == "remote":
			if err := durationArg(d, &fc.Timeout); err != nil {
				return nil, err
			}
		default:
			return nil, d.Errf("x402 facilitator %s: unknown option %q", fc.Mode, opt)
		}
	}
	if err := fc.check(); err != nil {
		return nil, lines.errAt(d, strings.TrimPrefix(err.Error(), "x402 facilitator "), d.Line(), err)
	}
	return fc, nil
}

func caddyconfigJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func parseEscrow(d *caddyfile.Dispenser) (*EscrowConfig, error) {
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	ec := &EscrowConfig{}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if seen[opt] {
			return nil, d.Errf("x402 escrow: duplicate option %q", opt)
		}
		seen[opt] = true
		var err error
		switch opt {
		case "contract":
			err = oneArg(d, &ec.Contract)
		case "collector":
			err = oneArg(d, &ec.Collector)
		case "min_deposit":
			err = priceArg(d, &ec.MinDeposit)
		case "max_deposit":
			err = priceArg(d, &ec.MaxDeposit)
		case "capture_threshold":
			err = priceArg(d, &ec.CaptureThreshold)
		case "min_session":
			err = durationArg(d, &ec.MinSession)
		case "max_session":
			err = durationArg(d, &ec.MaxSession)
		case "serve_margin":
			err = durationArg(d, &ec.ServeMargin)
		case "capture_margin":
			err = durationArg(d, &ec.CaptureMargin)
		case "capture_interval":
			err = durationArg(d, &ec.CaptureInterval)
		case "capture_workers":
			err = intArg(d, &ec.CaptureWorkers)
		case "close_wait":
			err = durationArg(d, &ec.CloseWait)
		case "recovery_window":
			err = durationArg(d, &ec.RecoveryWindow)
		case "alert_margin":
			err = durationArg(d, &ec.AlertMargin)
		default:
			err = d.Errf("x402 escrow: unknown option %q", opt)
		}
		if err != nil {
			return nil, err
		}
	}
	return ec, nil
}
