package facilitator

import (
	"strconv"
	"strings"
)

// v1Networks maps x402 v1 network names to CAIP-2 identifiers (EVM only).
// Source: the x402 reference SDKs' v1 network tables.
var v1Networks = map[string]string{
	"ethereum":           "eip155:1",
	"sepolia":            "eip155:11155111",
	"base":               "eip155:8453",
	"base-sepolia":       "eip155:84532",
	"avalanche":          "eip155:43114",
	"avalanche-fuji":     "eip155:43113",
	"polygon":            "eip155:137",
	"polygon-amoy":       "eip155:80002",
	"megaeth":            "eip155:4326",
	"monad":              "eip155:143",
	"sei":                "eip155:1329",
	"sei-testnet":        "eip155:1328",
	"abstract":           "eip155:2741",
	"abstract-testnet":   "eip155:11124",
	"iotex":              "eip155:4689",
	"peaq":               "eip155:3338",
	"story":              "eip155:1514",
	"educhain":           "eip155:41923",
	"skale-base-sepolia": "eip155:324705682",
	"stable":             "eip155:988",
	"stable-testnet":     "eip155:2201",
}

// v1Names is the reverse of v1Networks.
var v1Names = func() map[string]string {
	m := make(map[string]string, len(v1Networks))
	for name, caip := range v1Networks {
		m[caip] = name
	}
	return m
}()

// CAIP2 returns the CAIP-2 form of a network given by v1 name or CAIP-2 id.
// It returns "" for an unknown v1 name or a malformed id.
func CAIP2(network string) string {
	if strings.HasPrefix(network, "eip155:") {
		if _, ok := parseChainID(network[len("eip155:"):]); ok {
			return network
		}
		return ""
	}
	return v1Networks[network]
}

// V1NetworkName returns the v1 name of a network, or the input unchanged when
// the network has no v1 name (v1 peers then see the CAIP-2 id, which the
// hosted facilitators also accept).
func V1NetworkName(network string) string {
	if name, ok := v1Names[network]; ok {
		return name
	}
	return network
}

// ChainID returns the EVM chain id of a network given by v1 name or as
// eip155:<id>; ok is false for anything else.
func ChainID(network string) (id uint64, ok bool) {
	caip := CAIP2(network)
	if caip == "" {
		return 0, false
	}
	return parseChainID(caip[len("eip155:"):])
}

// SameNetwork reports whether two network spellings name the same chain
// (base-sepolia and eip155:84532 do).
func SameNetwork(a, b string) bool {
	if a == b {
		return a != ""
	}
	ca := CAIP2(a)
	return ca != "" && ca == CAIP2(b)
}

func parseChainID(s string) (uint64, bool) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, false
	}
	return id, true
}

// Asset is an ERC-20 token with its EIP-712 domain (name, version) as used by
// EIP-3009 signatures. Decimals is the number of decimal places of one unit.
type Asset struct {
	Symbol   string
	Address  string
	Name     string // EIP-712 domain name
	Version  string // EIP-712 domain version
	Decimals int
}

// usdc lists Circle USDC per CAIP-2 network. Every entry is 6 decimals. The
// EIP-712 names differ per chain (Base Sepolia says "USDC", Base "USD Coin");
// a wrong name makes every signature invalid, so operators of other tokens
// must configure name and version explicitly.
var usdc = map[string]Asset{
	"eip155:8453":   {"USDC", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "USD Coin", "2", 6},
	"eip155:84532":  {"USDC", "0x036CbD53842c5426634e7929541eC2318f3dCF7e", "USDC", "2", 6},
	"eip155:1":      {"USDC", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "USD Coin", "2", 6},
	"eip155:137":    {"USDC", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", "USD Coin", "2", 6},
	"eip155:80002":  {"USDC", "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582", "USDC", "2", 6},
	"eip155:43114":  {"USDC", "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E", "USD Coin", "2", 6},
	"eip155:43113":  {"USDC", "0x5425890298aed601595a70AB815c96711a31Bc65", "USD Coin", "2", 6},
	"eip155:42161":  {"USDC", "0xaf88d065e77c8cC2239327C5EDb3A432268e5831", "USD Coin", "2", 6},
	"eip155:421614": {"USDC", "0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d", "USD Coin", "2", 6},
	"eip155:143":    {"USDC", "0x754704Bc059F8C67012fEd69BC8A327a5aafb603", "USD Coin", "2", 6},
}

// USDC returns the USDC asset of a network (v1 name or CAIP-2).
func USDC(network string) (Asset, bool) {
	a, ok := usdc[CAIP2(network)]
	return a, ok
}
