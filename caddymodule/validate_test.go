package caddymodule

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// Config mistakes that can be known offline fail `caddy adapt` (and so
// `caddy validate` and `caddy run`) with one message naming the site, the
// route and the field, and the token's line. Each message is compared
// whole: it is what an operator reads.
func TestConfigMistakes(t *testing.T) {
	const pay = "\t\tpay_to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n"
	global := func(opts string) string {
		return "{\n\tx402 {\n" + opts + "\t}\n}\n"
	}
	dev := global("\t\tnetwork dev\n")
	route := func(matcher, body string) string {
		return dev + ":8080 {\n\t@api path /api/*\n\tx402 " + matcher + "{\n" + body + "\t}\n}\n"
	}
	const sepolia = "\t\tnetwork base-sepolia {\n\t\t\trpc {env.RPC}\n\t\t}\n\t\tfacilitator embedded {\n\t\t\tkey_file /run/secrets/k\n\t\t}\n"
	for _, tc := range []struct{ name, src, want string }{
		{"price precision", route("/paid/* ", "\t\tprice 0.0000001\n"+pay),
			`x402 route /paid/* on :8080: price "0.0000001": more than 6 decimal places (the token's precision); write it in units instead, at Caddyfile:9`},
		{"price zero", route("/paid/* ", "\t\tprice 0\n"+pay),
			`x402 route /paid/* on :8080: price "0": must be more than zero (leave the route unpriced to make it free), at Caddyfile:9`},
		{"price not a number", route("/paid/* ", "\t\tprice ten\n"+pay),
			`x402 route /paid/* on :8080: price "ten": not a non-negative decimal number, at Caddyfile:9`},
		{"pay_to malformed", route("/paid/* ", "\t\tprice 0.01\n\t\tpay_to 0x7099\n"),
			`x402 route /paid/* on :8080: pay_to "0x7099": not a 0x-prefixed 20-byte hex address, at Caddyfile:10`},
		{"pay_to zero address", route("/paid/* ", "\t\tprice 0.01\n\t\tpay_to 0x0000000000000000000000000000000000000000\n"),
			`x402 route /paid/* on :8080: pay_to 0x0000000000000000000000000000000000000000: the zero address cannot be paid (tokens refuse transfers to it); give your payout address, at Caddyfile:10`},
		{"missing pay_to", route("/paid/* ", "\t\tprice 0.01\n"),
			`x402 route /paid/* on :8080: price and pay_to are required (or name a profile), at Caddyfile:9`},
		{"unknown scheme", route("/paid/* ", "\t\tprice 0.01\n"+pay+"\t\tscheme upto\n"),
			`x402 route /paid/* on :8080: scheme "upto" is not supported (want exact or escrow), at Caddyfile:11`},
		{"unknown network on route", route("@api ", "\t\tprice 0.01\n"+pay+"\t\tnetwork base\n"),
			`x402 route @api on :8080: network "base" is not configured in the x402 app (configured: dev), at Caddyfile:11`},
		{"unknown asset on route", route("/paid/* ", "\t\tprice 0.01\n"+pay+"\t\tasset DAI\n"),
			`x402 route /paid/* on :8080: asset "DAI" is not configured on dev, at Caddyfile:11`},
		{"unknown profile", route("/paid/* gold ", ""),
			`x402 route /paid/* on :8080: profile "gold" is not defined in the x402 app, at Caddyfile:8`},
		{"max_timeout below a second", route("/paid/* ", "\t\tprice 0.01\n"+pay+"\t\tmax_timeout 500ms\n"),
			`x402 route /paid/* on :8080: max_timeout 500ms: less than one second (it is advertised in whole seconds), at Caddyfile:11`},
		{"bad payer_header", route("/paid/* ", "\t\tprice 0.01\n"+pay+"\t\tpayer_header \"X Payer\"\n"),
			`x402 route /paid/* on :8080: payer_header "X Payer" is not a valid header name, at Caddyfile:11`},
		{"relative resource_url", route("/paid/* ", "\t\tprice 0.01\n"+pay+"\t\tresource_url /paid/x\n"),
			`x402 route /paid/* on :8080: resource_url "/paid/x": want a URL starting with http:// or https:// (or a placeholder such as {env.VAR}), at Caddyfile:11`},
		{"charge_header on exact", route("/paid/* ", "\t\tprice 0.01\n"+pay+"\t\tscheme exact\n\t\tcharge_header X-Charge\n"),
			`x402 route /paid/* on :8080: charge_header "X-Charge": only escrow payments can be metered (exact ones always cost the price); add scheme escrow or remove it, at Caddyfile:12`},
		{"named route keeps its name", route("/paid/* ", "\t\tname premium\n\t\tprice 0.01\n"+pay+"\t\tscheme exact exact\n"),
			`x402 route premium on :8080: scheme "exact" is given twice, at Caddyfile:12`},
		{"escrow where it is off", global(sepolia) + "api.example.com {\n\tx402 /s/* {\n\t\tprice 0.01\n" + pay + "\t\tscheme escrow\n\t}\n}\n",
			`x402 route /s/* on api.example.com: scheme escrow on base-sepolia: escrow is not enabled on this network (add escrow { … } to its network block), at Caddyfile:15`},
		{"settle after without rpc", global("\t\tnetwork base\n\t\tfacilitator remote https://f.example\n") + ":8080 {\n\tx402 {\n\t\tprice 0.01\n" + pay + "\t}\n}\n",
			`x402 route * on :8080: settle after on base serves before settling and must check payer balances, which needs the network's rpc; add rpc to the network or use settle header, at Caddyfile:8`},
		{"unknown network", global("\t\tnetwork base-sepolai\n") + ":8080 {\n\trespond ok\n}\n",
			`x402 network "base-sepolai": unknown network (use dev, a v1 name such as base-sepolia, or eip155:<chainId>), at Caddyfile:3`},
		{"network twice", global("\t\tnetwork base-sepolia {\n\t\t\trpc {env.RPC}\n\t\t}\n\t\tnetwork eip155:84532 {\n\t\t\trpc {env.RPC}\n\t\t}\n\t\tfacilitator remote https://f.example\n"),
			`x402 network eip155:84532 is configured twice, at Caddyfile:6`},
		{"rpc on dev", global("\t\tnetwork dev {\n\t\t\trpc http://127.0.0.1:8545\n\t\t}\n"),
			`x402 network dev: rpc does not apply (the dev chain is embedded; rpc_listen exposes it), at Caddyfile:3`},
		{"rpc not a URL", global("\t\tnetwork base {\n\t\t\trpc localhost:8545\n\t\t}\n\t\tfacilitator remote https://f.example\n"),
			`x402 network base: rpc "localhost:8545": want a URL starting with http://, https://, ws:// or wss:// (or a placeholder such as {env.VAR}), at Caddyfile:3`},
		{"asset address malformed", global("\t\tnetwork base {\n\t\t\trpc {env.RPC}\n\t\t\tasset 0x1234\n\t\t}\n\t\tfacilitator remote https://f.example\n"),
			`x402 network base: asset address "0x1234" is not a 0x-prefixed 20-byte hex address, at Caddyfile:3`},
		{"asset without domain", global("\t\tnetwork base {\n\t\t\trpc {env.RPC}\n\t\t\tasset 0x1111111111111111111111111111111111111111\n\t\t}\n\t\tfacilitator remote https://f.example\n"),
			`x402 network base: asset 0x1111111111111111111111111111111111111111: name and version (the token's EIP-712 domain) are required, at Caddyfile:3`},
		{"unknown asset symbol", global("\t\tnetwork base {\n\t\t\trpc {env.RPC}\n\t\t\tasset DAI\n\t\t}\n\t\tfacilitator remote https://f.example\n"),
			`x402 network base: asset "DAI": give a token address (or USDC), at Caddyfile:3`},
		{"embedded without key", global("\t\tnetwork base-sepolia {\n\t\t\trpc {env.RPC}\n\t\t}\n"),
			`x402 network base-sepolia: the embedded facilitator needs a key to settle (facilitator embedded { key_file <path> } or { key {env.X402_FACILITATOR_KEY} }), at Caddyfile:3`},
		{"inline key", global("\t\tnetwork dev\n\t\tfacilitator embedded {\n\t\t\tkey 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n\t\t}\n"),
			`x402 facilitator key: an inline private key ends up in Caddy's JSON config (admin API, autosave.json); use key_file <path> (mode 0600) or key {env.X402_FACILITATOR_KEY}, or add allow_inline_key for a throwaway test key, at Caddyfile:5`},
		{"remote url not http", global("\t\tnetwork dev\n\t\tfacilitator remote ftp://f.example\n"),
			`x402 facilitator remote: url "ftp://f.example": want a URL starting with http:// or https:// (or a placeholder such as {env.VAR}), at Caddyfile:4`},
		{"escrow contract malformed", global("\t\tnetwork dev {\n\t\t\tescrow {\n\t\t\t\tcontract 0xabc\n\t\t\t\tcollector 0x1111111111111111111111111111111111111111\n\t\t\t}\n\t\t}\n"),
			`x402 network dev escrow: contract "0xabc": not a 0x-prefixed 20-byte hex address, at Caddyfile:3`},
		{"escrow deposits reversed", global("\t\tnetwork dev {\n\t\t\tescrow {\n\t\t\t\tmin_deposit 5\n\t\t\t\tmax_deposit 1\n\t\t\t}\n\t\t}\n"),
			`x402 network dev escrow: min_deposit 5 is more than max_deposit 1, at Caddyfile:3`},
		{"escrow margins", global("\t\tnetwork dev {\n\t\t\tescrow {\n\t\t\t\tserve_margin 1m\n\t\t\t\tcapture_margin 2m\n\t\t\t}\n\t\t}\n"),
			`x402 network dev escrow: capture_margin 2m0s must be shorter than serve_margin 1m0s (use stops before the final capture), at Caddyfile:3`},
		{"escrow without contract elsewhere", global("\t\tnetwork eip155:1 {\n\t\t\trpc {env.RPC}\n\t\t\tasset USDC\n\t\t\tescrow\n\t\t}\n" + "\t\tfacilitator embedded {\n\t\t\tkey {env.K}\n\t\t}\n"),
			`x402 network eip155:1 escrow: contract and collector are required on eip155:1 (known defaults exist only for base and base-sepolia), at Caddyfile:3`},
		{"store type", global("\t\tnetwork dev\n\t\tstore mongo\n"),
			`x402 store "mongo": unknown store type (want memory or redis), at Caddyfile:4`},
		{"store memory with url", global("\t\tnetwork dev\n\t\tstore memory redis://127.0.0.1:6379\n"),
			`x402 store memory takes no URL or namespace, at Caddyfile:4`},
		{"store redis url", global("\t\tnetwork dev\n\t\tstore redis http://user:secret@127.0.0.1:6379\n"),
			`x402 store redis: url "http://user:xxxxx@127.0.0.1:6379": want a URL starting with redis://, rediss:// or unix:// (or a placeholder such as {env.VAR}), at Caddyfile:4`},
		{"profile price", global("\t\tnetwork dev\n\t\tprofile std {\n\t\t\tprice 0.0000001\n\t\t}\n"),
			`x402 profile "std": price "0.0000001": more than 6 decimal places (the token's precision); write it in units instead, at Caddyfile:4`},
		{"duplicate option", route("/paid/* ", "\t\tprice 0.01\n\t\tprice 0.02\n"+pay),
			`x402: duplicate option "price", at Caddyfile:10`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := adapt(t, tc.src)
			if err == nil {
				t.Fatal("adapted without error")
			}
			got := strings.TrimPrefix(err.Error(), "parsing caddyfile tokens for 'x402': ")
			if got != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// A JSON config skips the Caddyfile checks; provisioning runs the same
// checks before opening anything and names the route (its name, which the
// Caddyfile sets to the matcher when none is given).
func TestProvisionErrorsNameTheRoute(t *testing.T) {
	dir := t.TempDir()
	src := fmt.Sprintf("{\n\tadmin off\n\tx402 {\n\t\tnetwork dev\n\t\tjournal %s/j.db\n\t\tescrow_ledger %s/e.db\n\t}\n}\n:8080 {\n\tx402 /paid/* {\n\t\tprice 0.01\n\t\tpay_to %s\n\t}\n}\n", dir, dir, payee)
	for _, tc := range []struct{ name, from, to, want string }{
		{"price", `"price":"0.01"`, `"price":"0.0000001"`, `x402 route /paid/*: price "0.0000001": more than 6 decimal places (the token's precision); write it in units instead`},
		{"pay_to without name", `"name":"/paid/*","pay_to":"` + payee + `"`, `"pay_to":"0x0000000000000000000000000000000000000000"`, `x402 route default: pay_to 0x0000000000000000000000000000000000000000: the zero address cannot be paid`},
		{"app network", `"name":"dev"`, `"name":"base-sepolai"`, `x402 network "base-sepolai": unknown network`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), map[string]any{"filename": "Caddyfile"})
			if err != nil {
				t.Fatal(err)
			}
			js := string(out)
			if !strings.Contains(js, tc.from) {
				t.Fatalf("%s not in %s", tc.from, js)
			}
			js = strings.Replace(js, tc.from, tc.to, 1)
			var cfg *caddy.Config
			if err := json.Unmarshal([]byte(js), &cfg); err != nil {
				t.Fatal(err)
			}
			err = caddy.Validate(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
