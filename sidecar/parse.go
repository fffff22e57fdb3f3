package sidecar

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
)

// Config is the sidecar's environment, checked.
type Config struct {
	Upstream    string // scheme://host:port
	Routes      []Route
	PayTo       string
	Network     string // as given: dev, base-sepolia, eip155:84532…
	RPC         bool   // X402_RPC_URL is set
	KeyFile     string
	KeyEnv      bool     // X402_FACILITATOR_KEY is set
	Remote      []string // remote facilitator URLs
	RemoteAuth  bool     // X402_FACILITATOR_AUTH is set
	Asset       string   // "" (the network's USDC) or a token address
	AssetName   string
	AssetVer    string
	Decimals    int
	Settle      string // default settle mode of the routes
	Description string
	EscrowAddrs [2]string // contract, collector ("" for the defaults)
	Escrow      bool      // some route accepts escrow
	Redis       bool      // X402_REDIS_URL is set
	Namespace   string
	Port        int
	HealthPort  int // 0: off
	SkipChecks  bool
	LogLevel    string // DEBUG, INFO, WARN or ERROR
	Admin       string // "off" or host:port
}

// Route is one priced route of X402_ROUTES.
type Route struct {
	Path    string
	Price   string // "0.01" or "10000 units"
	Schemes []string
	Settle  string
}

// Error lists every variable that is wrong, each naming the variable.
type Error struct{ Problems []string }

func (e *Error) Error() string { return strings.Join(e.Problems, "; ") }

// parser collects problems while reading the environment.
type parser struct {
	env      map[string]string
	problems []string
}

func (p *parser) get(name string) string {
	if v, ok := p.env[name]; ok {
		return strings.TrimSpace(v)
	}
	return defaultOf(name)
}

func (p *parser) set(name string) bool { return strings.TrimSpace(p.env[name]) != "" }

func (p *parser) fail(name, format string, args ...any) {
	p.problems = append(p.problems, name+": "+fmt.Sprintf(format, args...))
}

// Parse checks the sidecar's environment (X402_* variables; others are
// ignored) and returns its configuration, or an *Error naming every wrong
// variable. Values of secret variables are never quoted.
func Parse(env map[string]string) (*Config, error) {
	p := &parser{env: env}
	p.unknown()
	c := &Config{}
	c.Upstream = p.upstream()
	c.PayTo = p.payTo()
	c.Network = p.network()
	dev := c.Network == "dev"
	c.Decimals = p.decimals()
	c.Asset, c.AssetName, c.AssetVer = p.asset(c.Network, dev)
	if c.AssetName == "" && p.set("X402_ASSET_DECIMALS") && c.Decimals != 6 {
		p.fail("X402_ASSET_DECIMALS", "applies only with a token address and its EIP-712 domain in X402_ASSET (USDC has 6 decimals)")
	}
	c.Settle = p.settle()
	c.Routes = p.routes(c.Decimals, c.Settle)
	for _, r := range c.Routes {
		if contains(r.Schemes, facilitator.SchemeEscrow) {
			c.Escrow = true
		}
	}
	c.RPC = p.rpc(dev)
	c.KeyFile, c.KeyEnv, c.Remote, c.RemoteAuth = p.facilitator()
	c.EscrowAddrs = p.escrow(c, dev)
	c.Description = p.description()
	c.Redis, c.Namespace = p.redis()
	c.Port, c.HealthPort = p.ports()
	c.SkipChecks = p.boolean("X402_SKIP_CHECKS")
	if dev && c.SkipChecks {
		p.fail("X402_SKIP_CHECKS", "does not apply to X402_NETWORK=dev (the embedded chain is never checked)")
	}
	c.LogLevel = p.logLevel()
	c.Admin = p.admin()
	p.requirements(c, dev)
	if len(p.problems) > 0 {
		return nil, &Error{Problems: p.problems}
	}
	return c, nil
}

// unknown refuses X402_* names the sidecar does not read: a misspelt
// variable would otherwise be silently ignored.
func (p *parser) unknown() {
	var names []string
	for name := range p.env {
		if strings.HasPrefix(name, "X402_") && !known(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if s := suggest(name); s != "" {
			p.fail(name, "unknown variable (did you mean %s?)", s)
		} else {
			p.fail(name, "unknown variable (the sidecar's variables are listed in the README's Sidecar section)")
		}
	}
}

// suggest is the known variable closest to a misspelt one, if any is close.
func suggest(name string) string {
	squash := func(s string) string { return strings.ReplaceAll(strings.ToUpper(s), "_", "") }
	best, bestD := "", 4
	for _, v := range Vars {
		if squash(v.Name) == squash(name) {
			return v.Name
		}
		if d := distance(v.Name, name); d < bestD {
			best, bestD = v.Name, d
		}
	}
	return best
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func (p *parser) upstream() string {
	const name = "X402_UPSTREAM"
	v := p.get(name)
	if v == "" {
		p.fail(name, "required: the URL of the API behind the sidecar, e.g. http://127.0.0.1:3000")
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		p.fail(name, "%q: want http://host:port or https://host:port (no path)", v)
		return ""
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			p.fail(name, "%q: port %q is not between 1 and 65535", v, port)
			return ""
		}
	}
	return u.Scheme + "://" + u.Host
}

func (p *parser) payTo() string {
	const name = "X402_PAY_TO"
	v := p.get(name)
	if v == "" {
		p.fail(name, "required: the address that receives the payments (0x…)")
		return ""
	}
	a, err := evm.ParseAddress(v)
	if err != nil {
		p.fail(name, "%q is not a 0x-prefixed 20-byte hex address", v)
		return ""
	}
	if a == (common.Address{}) {
		p.fail(name, "%s is the zero address, which cannot be paid: give your payout address", v)
		return ""
	}
	return a.Hex()
}

func (p *parser) network() string {
	const name = "X402_NETWORK"
	v := p.get(name)
	switch {
	case v == "":
		p.fail(name, "required: base, base-sepolia, eip155:<chainId>, or dev for the embedded test chain")
	case v == "dev":
	case facilitator.CAIP2(v) == "":
		p.fail(name, "%q is not a known network (base, base-sepolia, eip155:<chainId>, or dev)", v)
		return ""
	}
	return v
}

func (p *parser) decimals() int {
	const name = "X402_ASSET_DECIMALS"
	v := p.get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 36 {
		p.fail(name, "%q is not a number of decimals between 0 and 36", v)
		return 6
	}
	return n
}

// asset resolves X402_ASSET (USDC or an address) and its EIP-712 domain.
func (p *parser) asset(network string, dev bool) (addr, name, version string) {
	v := p.get("X402_ASSET")
	name, version = p.get("X402_ASSET_NAME"), p.get("X402_ASSET_VERSION")
	for _, f := range []struct{ n, v string }{{"X402_ASSET_NAME", name}, {"X402_ASSET_VERSION", version}} {
		if f.v != "" && !plainText(f.v) {
			p.fail(f.n, "%q: only printable characters without quotes, backslashes or braces", f.v)
		}
	}
	if strings.EqualFold(v, "USDC") {
		if name != "" || version != "" {
			p.fail("X402_ASSET_NAME", "applies only with a token address in X402_ASSET (USDC's domain is known)")
		}
		if !dev && network != "" && facilitator.CAIP2(network) != "" {
			if _, ok := facilitator.USDC(network); !ok {
				p.fail("X402_ASSET", "no known USDC on %s: give the token's address (with X402_ASSET_NAME and X402_ASSET_VERSION)", network)
			}
		}
		return "", "", ""
	}
	a, err := evm.ParseAddress(v)
	if err != nil {
		p.fail("X402_ASSET", "%q: want USDC or a 0x-prefixed 20-byte token address", v)
		return "", "", ""
	}
	if dev {
		p.fail("X402_ASSET", "does not apply to X402_NETWORK=dev (its test USDC is used)")
		return "", "", ""
	}
	if name == "" || version == "" {
		if u, ok := facilitator.USDC(network); ok && strings.EqualFold(u.Address, a.Hex()) {
			return a.Hex(), "", ""
		}
		p.fail("X402_ASSET_NAME", "X402_ASSET_NAME and X402_ASSET_VERSION (the token's EIP-712 domain) are required with the token address %s", a.Hex())
	}
	return a.Hex(), name, version
}

// plainText is text safe to quote in a Caddyfile: printable, without
// quotes, backslashes or braces (which the Caddyfile would read as
// placeholders).
func plainText(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f || strings.ContainsRune("\"\\{}`", r) {
			return false
		}
	}
	return true
}

func (p *parser) settle() string {
	v := p.get("X402_SETTLE")
	switch v {
	case "after", "header", "before":
		return v
	}
	p.fail("X402_SETTLE", "%q: want after, header or before", v)
	return "after"
}

func (p *parser) rpc(dev bool) bool {
	const name = "X402_RPC_URL"
	if !p.set(name) {
		return false
	}
	if dev {
		p.fail(name, "does not apply to X402_NETWORK=dev (the chain is embedded)")
		return false
	}
	if !validURL(p.get(name), "http", "https", "ws", "wss") {
		p.fail(name, "want an http(s):// or ws(s):// URL (value not shown: it may hold an API key)")
	}
	return true
}

func (p *parser) facilitator() (keyFile string, keyEnv bool, remote []string, auth bool) {
	keyFile = p.get("X402_FACILITATOR_KEY_FILE")
	keyEnv = p.set("X402_FACILITATOR_KEY")
	urls := p.get("X402_FACILITATOR_URL")
	auth = p.set("X402_FACILITATOR_AUTH")
	n := 0
	for _, set := range []bool{keyFile != "", keyEnv, urls != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		p.fail("X402_FACILITATOR_KEY_FILE", "set one of X402_FACILITATOR_KEY_FILE, X402_FACILITATOR_KEY and X402_FACILITATOR_URL")
	}
	if keyFile != "" && !plainText(keyFile) {
		p.fail("X402_FACILITATOR_KEY_FILE", "%q: only printable characters without quotes, backslashes or braces", keyFile)
	}
	if keyEnv {
		k := strings.TrimPrefix(strings.TrimSpace(p.env["X402_FACILITATOR_KEY"]), "0x")
		if b, err := hex.DecodeString(k); err != nil || len(b) != 32 {
			p.fail("X402_FACILITATOR_KEY", "not a 32-byte hex private key (value not shown)")
		}
	}
	for _, u := range strings.FieldsFunc(urls, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !validURL(u, "http", "https") || !plainText(u) {
			p.fail("X402_FACILITATOR_URL", "%q: want http:// or https:// URLs separated by spaces or commas", u)
			continue
		}
		remote = append(remote, u)
	}
	if auth && len(remote) == 0 {
		p.fail("X402_FACILITATOR_AUTH", "applies only with X402_FACILITATOR_URL")
	}
	return keyFile, keyEnv, remote, auth
}

func (p *parser) escrow(c *Config, dev bool) [2]string {
	contract, collector := p.get("X402_ESCROW_CONTRACT"), p.get("X402_ESCROW_COLLECTOR")
	if contract == "" && collector == "" {
		id := facilitator.CAIP2(c.Network)
		if c.Escrow && !dev && id != "" && id != "eip155:8453" && id != "eip155:84532" {
			p.fail("X402_ESCROW_CONTRACT", "required for escrow routes on %s (with X402_ESCROW_COLLECTOR; defaults exist for base and base-sepolia)", c.Network)
		}
		return [2]string{}
	}
	if contract == "" || collector == "" {
		p.fail("X402_ESCROW_CONTRACT", "set X402_ESCROW_CONTRACT and X402_ESCROW_COLLECTOR together")
		return [2]string{}
	}
	if !c.Escrow {
		p.fail("X402_ESCROW_CONTRACT", "no route of X402_ROUTES accepts escrow")
	}
	if dev {
		p.fail("X402_ESCROW_CONTRACT", "does not apply to X402_NETWORK=dev (its escrow is embedded)")
	}
	var out [2]string
	for i, f := range []struct{ n, v string }{{"X402_ESCROW_CONTRACT", contract}, {"X402_ESCROW_COLLECTOR", collector}} {
		a, err := evm.ParseAddress(f.v)
		if err != nil {
			p.fail(f.n, "%q is not a 0x-prefixed 20-byte hex address", f.v)
			continue
		}
		out[i] = a.Hex()
	}
	return out
}

func (p *parser) description() string {
	const name = "X402_DESCRIPTION"
	v := p.get(name)
	if !plainText(v) || len(v) > 200 {
		p.fail(name, "at most 200 printable characters, without quotes, backslashes or braces")
		return ""
	}
	return v
}

func (p *parser) redis() (bool, string) {
	set := p.set("X402_REDIS_URL")
	if set && !validURL(p.get("X402_REDIS_URL"), "redis", "rediss", "unix") {
		p.fail("X402_REDIS_URL", "want a redis://, rediss:// or unix:// URL (value not shown: it may hold a password)")
	}
	ns := p.get("X402_REDIS_NAMESPACE")
	if p.set("X402_REDIS_NAMESPACE") && !set {
		p.fail("X402_REDIS_NAMESPACE", "applies only with X402_REDIS_URL")
	}
	if !identifier(ns) {
		p.fail("X402_REDIS_NAMESPACE", "%q: 1 to 64 letters, digits, '.', '_' or '-'", ns)
	}
	return set, ns
}

func identifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func (p *parser) ports() (port, health int) {
	parse := func(name string) int {
		v := p.get(name)
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			p.fail(name, "%q is not a port between 1 and 65535", v)
			return 0
		}
		return n
	}
	port = parse("X402_PORT")
	if strings.EqualFold(p.get("X402_HEALTH_PORT"), "off") {
		return port, 0
	}
	health = parse("X402_HEALTH_PORT")
	if health != 0 && health == port {
		p.fail("X402_HEALTH_PORT", "%d is X402_PORT too: give the probes their own port", health)
	}
	return port, health
}

func (p *parser) boolean(name string) bool {
	switch strings.ToLower(p.get(name)) {
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off", "":
		return false
	}
	p.fail(name, "%q: want true or false", p.get(name))
	return false
}

func (p *parser) logLevel() string {
	v := strings.ToUpper(p.get("X402_LOG_LEVEL"))
	switch v {
	case "DEBUG", "INFO", "WARN", "ERROR":
		return v
	}
	p.fail("X402_LOG_LEVEL", "%q: want debug, info, warn or error", p.get("X402_LOG_LEVEL"))
	return "INFO"
}

func (p *parser) admin() string {
	v := p.get("X402_ADMIN")
	if strings.EqualFold(v, "off") {
		return "off"
	}
	host, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 || !plainText(host) {
		p.fail("X402_ADMIN", "%q: want host:port (e.g. localhost:2019) or off", v)
		return "off"
	}
	return v
}

// requirements checks what the variables need from each other.
func (p *parser) requirements(c *Config, dev bool) {
	if dev || c.Network == "" {
		return
	}
	embedded := len(c.Remote) == 0
	if embedded && c.KeyFile == "" && !c.KeyEnv {
		p.fail("X402_FACILITATOR_KEY_FILE", "required on %s: the embedded facilitator's key pays the gas of settlements (or set X402_FACILITATOR_KEY, or X402_FACILITATOR_URL for a remote facilitator)", c.Network)
	}
	if embedded && !c.RPC {
		p.fail("X402_RPC_URL", "required on %s with the embedded facilitator (it settles on chain)", c.Network)
		return
	}
	if c.Escrow && !embedded {
		p.fail("X402_ROUTES", "escrow routes need the embedded facilitator (it operates the sessions); unset X402_FACILITATOR_URL or drop escrow")
	}
	if !c.RPC {
		for _, r := range c.Routes {
			if r.Settle == "after" && contains(r.Schemes, facilitator.SchemeExact) {
				p.fail("X402_RPC_URL", "required for route %s with settle=after (it serves before settling, so it checks payer balances on chain); or set X402_SETTLE=header", r.Path)
				return
			}
		}
	}
}

func validURL(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	return err == nil && contains(schemes, u.Scheme) && (u.Host != "" || u.Scheme == "unix")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
