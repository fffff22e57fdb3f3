// Package sidecar turns the sidecar container's environment (X402_*
// variables) into the Caddyfile it runs: the same configuration an
// operator would write, adapted by the same Caddyfile adapter, so the
// sidecar is a front door to the engine, not a second one. It is pure: no
// Caddy, no I/O; the x402env config adapter (caddymodule) and `caddy x402
// sidecar` call it.
//
// Values that may hold secrets (the RPC URL with its API key, the Redis URL
// with its password, the facilitator key, the remote facilitator's
// credentials) are not copied into the Caddyfile: it names them as {env.…}
// placeholders, expanded at start, so they never reach Caddy's JSON config.
package sidecar

// Var documents one environment variable of the sidecar.
type Var struct {
	Name    string
	Default string // "" when required or empty by default
	Doc     string
}

// Vars are every variable the sidecar reads, in the order the README
// lists them. Any other X402_* variable is an error (a misspelt name
// would otherwise be ignored).
var Vars = []Var{
	{"X402_UPSTREAM", "", "required: the API behind the sidecar, http://host:port (or https://)"},
	{"X402_ROUTES", "", `required: priced routes separated by ";", each "PATH PRICE [exact] [escrow] [settle=MODE]", e.g. "/v1/premium/* 0.01; /v1/bulk/* 0.10 escrow" (see below)`},
	{"X402_PAY_TO", "", "required: the payout address (0x…, 20 bytes)"},
	{"X402_NETWORK", "", "required: base, base-sepolia, eip155:CHAIN_ID, or dev (the embedded test chain)"},
	{"X402_RPC_URL", "", "the chain's JSON-RPC URL (required on a non-dev network with the embedded facilitator, or with settle=after); kept out of the JSON config"},
	{"X402_FACILITATOR_KEY_FILE", "", "file holding the embedded facilitator's hex private key, mode 0600 (pays gas for settlements)"},
	{"X402_FACILITATOR_KEY", "", "the embedded facilitator's hex private key itself (instead of a file); kept out of the JSON config"},
	{"X402_FACILITATOR_URL", "", "remote facilitators instead of the embedded one: URLs separated by spaces or commas"},
	{"X402_FACILITATOR_AUTH", "", "Authorization header value sent to the remote facilitators; kept out of the JSON config"},
	{"X402_ASSET", "USDC", "the token: USDC (the network's known USDC) or a token address"},
	{"X402_ASSET_NAME", "", "the token's EIP-712 name (required with a token address that is not a known USDC)"},
	{"X402_ASSET_VERSION", "", "the token's EIP-712 version (required with a token address that is not a known USDC)"},
	{"X402_ASSET_DECIMALS", "6", "the token's decimals (0 to 36)"},
	{"X402_SETTLE", "after", "default settle mode of the routes: after, header or before"},
	{"X402_DESCRIPTION", "", "description of the paid resources, shown in the 402"},
	{"X402_ESCROW_CONTRACT", "", "AuthCaptureEscrow address for escrow routes (default: Base's v1.0 on base and base-sepolia, ours on dev)"},
	{"X402_ESCROW_COLLECTOR", "", "its ERC3009PaymentCollector (given with X402_ESCROW_CONTRACT)"},
	{"X402_REDIS_URL", "", "redis://… or rediss://…: share the replay guard and escrow sessions between instances (default: in memory, one instance); kept out of the JSON config"},
	{"X402_REDIS_NAMESPACE", "default", "separates deployments sharing one Redis database"},
	{"X402_PORT", "8080", "port of the paid API (plain HTTP; TLS ends at your ingress)"},
	{"X402_HEALTH_PORT", "9402", "port of /live, /ready and /metrics, for probes and Prometheus; off disables it (and the image's HEALTHCHECK then fails)"},
	{"X402_SKIP_CHECKS", "false", "true skips the on-chain start-up checks (air-gapped start; logs a warning)"},
	{"X402_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"X402_ADMIN", "off", "Caddy's admin endpoint address (e.g. localhost:2019), or off"},
}

func defaultOf(name string) string {
	for _, v := range Vars {
		if v.Name == name {
			return v.Default
		}
	}
	return ""
}

func known(name string) bool {
	for _, v := range Vars {
		if v.Name == name {
			return true
		}
	}
	return false
}
