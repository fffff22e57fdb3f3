package caddymodule

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/ethereum/go-ethereum/crypto"
	"go.uber.org/zap"
)

// chainSite is a config for a non-dev network served by rpc: the token
// block, the extra network lines and the facilitator key file are the
// test's.
func chainSite(t *testing.T, network, rpc, asset, version, extra, keyFile string) string {
	t.Helper()
	dir := t.TempDir()
	return fmt.Sprintf(`{
	admin off
	x402 {
		network %s {
			rpc %s
			asset %s {
				name "USD Coin"
				version %s
			}
%s		}
		facilitator embedded {
			key_file %s
		}
		journal %s
		escrow_ledger %s
	}
}
:0 {
	x402 /paid/* {
		price 0.01
		pay_to %s
	}
	respond "paid"
}
`, network, rpc, asset, version, extra, keyFile, filepath.Join(dir, "journal.db"), filepath.Join(dir, "escrow.db"), payee)
}

// keyFileOf writes a key to a private file.
func keyFileOf(t *testing.T, hexKey string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, []byte(hexKey), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func validateCaddyfile(t *testing.T, src string) error {
	t.Helper()
	out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		t.Fatalf("adapt: %v", err)
	}
	var cfg *caddy.Config
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	return caddy.Validate(cfg)
}

// On a reachable chain, `caddy validate` (and so `caddy run`) refuses a
// configuration that does not match it, with one line naming the network
// and the field and saying what to set.
func TestStartChecksRefuseMismatches(t *testing.T) {
	c, err := devchain.Start(devchain.Options{ChainID: 84532, RPCAddr: "127.0.0.1:0", Accounts: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	token := c.Token.Hex()
	funded := keyFileOf(t, hex.EncodeToString(crypto.FromECDSA(c.Accounts[5].Key)))
	fresh, _ := crypto.GenerateKey()
	empty := keyFileOf(t, hex.EncodeToString(crypto.FromECDSA(fresh)))
	noCode := "0x00000000000000000000000000000000000000e1"
	escrow := fmt.Sprintf("\t\t\tescrow {\n\t\t\t\tcontract %s\n\t\t\t\tcollector %s\n\t\t\t}\n", noCode, c.ERC3009Collector.Hex())
	for _, tc := range []struct{ name, src, want string }{
		{"correct", chainSite(t, "base-sepolia", c.RPCURL, token, "2", "", funded), ""},
		{"wrong version skipped", chainSite(t, "base-sepolia", c.RPCURL, token, "1", "\t\t\tskip_checks\n", funded), ""},
		{"wrong version", chainSite(t, "base-sepolia", c.RPCURL, token, "1", "", funded),
			`x402 network base-sepolia: asset ` + token + `: EIP-712 domain name "USD Coin", version "1" does not match the token's DOMAIN_SEPARATOR (the token's domain is name "USD Coin", version "2"): set version "2" in the asset block`},
		{"asset without code", chainSite(t, "base-sepolia", c.RPCURL, noCode, "2", "", funded),
			`x402 network base-sepolia: asset 0x00000000000000000000000000000000000000e1: no contract at this address on eip155:84532: set the asset to the token's address on this chain`},
		{"another chain", chainSite(t, "base", c.RPCURL, token, "2", "", funded),
			`x402 network base: rpc: the rpc serves chain id 84532, not eip155:8453: point rpc at a eip155:8453 node (or configure network eip155:84532)`},
		{"escrow without code", chainSite(t, "base-sepolia", c.RPCURL, token, "2", escrow, funded),
			`x402 network base-sepolia: escrow contract 0x00000000000000000000000000000000000000e1: no contract at this address on eip155:84532: set it to the AuthCaptureEscrow of this chain (caddy x402 devchain deploy prints ours)`},
		{"key without gas", chainSite(t, "base-sepolia", c.RPCURL, token, "2", "", empty),
			`x402 network base-sepolia: facilitator key ` + crypto.PubkeyToAddress(fresh.PublicKey).Hex() + `: holds no ETH on eip155:84532, so it cannot pay the gas of any settlement: send it ETH`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateCaddyfile(t, tc.src)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
			case err == nil:
				t.Fatal("validated")
			case !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n"):
				t.Fatalf("error\n got: %v\nwant: …%s…", err, tc.want)
			}
		})
	}
}

// appOf adapts a Caddyfile and returns its x402 app, unprovisioned.
func appOf(t *testing.T, src string) *App {
	t.Helper()
	out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Apps struct {
			X402 *App `json:"x402"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Apps.X402
}

// An rpc that does not answer at start is not a mismatch: the runtime
// starts with its gate closed (the reason names the network, never the
// rpc's API key), and opens it once the chain answers and the checks pass.
// A configuration the chain then contradicts stays closed, with the reason.
func TestStartChecksRetryUntilTheChainAnswers(t *testing.T) {
	port := testsvc.FreePort(t)
	rpc := fmt.Sprintf("http://127.0.0.1:%d/?apikey=SECRET123", port)
	accounts, err := devchain.DevAccounts(6)
	if err != nil {
		t.Fatal(err)
	}
	key := keyFileOf(t, hex.EncodeToString(crypto.FromECDSA(accounts[5].Key)))
	token := devchain.DevTokenAddress.Hex()
	runtimeOf := func(version string) *appRuntime {
		rt, err := newAppRuntime(appOf(t, chainSite(t, "base-sepolia", rpc, token, version, "", key)), zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rt.Destruct() })
		return rt
	}
	good, wrong := runtimeOf("2"), runtimeOf("1")
	for _, rt := range []*appRuntime{good, wrong} {
		reason, closed := rt.gate.Closed()
		if !closed || !strings.HasPrefix(reason, "x402 network eip155:84532: on-chain checks not passed: rpc unreachable") || strings.Contains(reason, "SECRET123") {
			t.Fatalf("gate at start: closed %v, reason %q", closed, reason)
		}
	}
	c, err := devchain.Start(devchain.Options{ChainID: 84532, RPCAddr: fmt.Sprintf("127.0.0.1:%d", port), Accounts: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, goodClosed := good.gate.Closed()
		reason, wrongClosed := wrong.gate.Closed()
		mismatch := strings.Contains(reason, `configuration does not match the chain: asset `+token+`: EIP-712 domain name "USD Coin", version "1" does not match`)
		if !goodClosed && wrongClosed && mismatch {
			break
		}
		if time.Now().After(deadline) || !wrongClosed {
			t.Fatalf("good closed %v; wrong closed %v, reason %q", goodClosed, wrongClosed, reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
