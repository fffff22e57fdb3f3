package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/testsvc"
)

// checkSite is a Caddyfile whose network block the start-up checks read.
type checkSite struct {
	network string // default base-sepolia
	rpc     string // default the env's anvil
	asset   string // default the deployed TestUSDC
	version string // EIP-712 version; default 2
	escrow  [2]string
	port    int
	dir     string
	keyFile string
}

func (e *env) checkCaddyfile(s checkSite) string {
	e.t.Helper()
	if s.network == "" {
		s.network = "base-sepolia"
	}
	if s.rpc == "" {
		s.rpc = e.anvil.URL
	}
	if s.asset == "" {
		s.asset = e.token.Hex()
	}
	if s.version == "" {
		s.version = "2"
	}
	if s.keyFile == "" {
		s.keyFile = e.keyFile(e.accounts[5])
	}
	escrow, route := "", ""
	if s.escrow[0] != "" {
		escrow = fmt.Sprintf("\n\t\t\tescrow {\n\t\t\t\tcontract %s\n\t\t\t\tcollector %s\n\t\t\t}", s.escrow[0], s.escrow[1])
		route = fmt.Sprintf("\n\tx402 /session/* {\n\t\tprice \"%d units\"\n\t\tpay_to %s\n\t\tscheme escrow\n\t}", sessionPrice, e.payTo.Hex())
	}
	cf := fmt.Sprintf(`{
	admin off
	persist_config off
	storage file_system %s
	x402 {
		network %s {
			rpc %s
			asset %s {
				name "USD Coin"
				version %s
				symbol USDC
			}%s
		}
		facilitator embedded {
			key_file %s
		}
		journal %s
		escrow_ledger %s
	}
}

http://127.0.0.1:%d {
	x402 /paid/* {
		price "%d units"
		pay_to %s
	}%s
	reverse_proxy %s
}
`, filepath.Join(s.dir, "data"), s.network, s.rpc, s.asset, s.version, escrow, s.keyFile,
		filepath.Join(s.dir, "journal.db"), filepath.Join(s.dir, "escrow.db"), s.port, price, e.payTo.Hex(), route, strings.TrimPrefix(e.up.URL, "http://"))
	path := filepath.Join(s.dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cf), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// dataEnv keeps each run's data under its own directory.
func dataEnv(dir string) []string {
	return []string{"XDG_DATA_HOME=" + filepath.Join(dir, "xdg-data"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "xdg-config")}
}

// refused runs `caddy <command> --config caddyfile` and checks that it
// exits non-zero with one line that holds the reason: `caddy run` logs it
// as one JSON line at error level, `caddy validate` prints it.
func refused(t *testing.T, command, caddyfile, reason string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, caddyBinary(t), command, "--config", caddyfile, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), dataEnv(filepath.Dir(caddyfile))...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || ctx.Err() != nil {
		t.Fatalf("caddy %s did not refuse (err %v)\n%s", command, err, out)
	}
	var lines []string
	for _, line := range strings.Split(string(out), "\n") {
		text := line
		var entry struct{ Level, Msg string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg != "" {
			if entry.Level != "error" {
				continue
			}
			text = entry.Msg
		}
		if strings.Contains(text, reason) {
			lines = append(lines, text)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("caddy %s: want one line with %s, got %d\n%s", command, reason, len(lines), out)
	}
}

// On a real node (anvil standing in for Base Sepolia, contracts from
// `caddy x402 devchain deploy`), a configuration the chain contradicts is
// refused by `caddy run` and `caddy validate` with one line naming the
// network and the field and saying what to set; the right one starts and
// logs one line per priced route.
func TestStartUpChecksOnAnvil(t *testing.T) {
	e := newEnv(t)
	other := otherChain(t)
	noCode := "0x00000000000000000000000000000000000000e1"
	for _, tc := range []struct {
		name   string
		site   checkSite
		reason string
	}{
		{"wrong EIP-712 version", checkSite{version: "1"},
			`x402 network base-sepolia: asset ` + e.token.Hex() + `: EIP-712 domain name "USD Coin", version "1" does not match the token's DOMAIN_SEPARATOR (the token's domain is name "USD Coin", version "2"): set version "2" in the asset block`},
		{"asset without code", checkSite{asset: noCode},
			`x402 network base-sepolia: asset 0x00000000000000000000000000000000000000e1: no contract at this address on eip155:84532: set the asset to the token's address on this chain`},
		{"rpc of another chain", checkSite{rpc: other},
			`x402 network base-sepolia: rpc: the rpc serves chain id 31337, not eip155:84532: point rpc at a eip155:84532 node (or configure network eip155:31337)`},
		{"escrow contract without code", checkSite{escrow: [2]string{noCode, e.collect.Hex()}},
			`x402 network base-sepolia: escrow contract 0x00000000000000000000000000000000000000e1: no contract at this address on eip155:84532: set it to the AuthCaptureEscrow of this chain`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.site.dir, tc.site.port = t.TempDir(), testsvc.FreePort(t)
			cf := e.checkCaddyfile(tc.site)
			refused(t, "run", cf, tc.reason)
			refused(t, "validate", cf, tc.reason)
		})
	}

	t.Run("all correct", func(t *testing.T) {
		s := checkSite{dir: t.TempDir(), port: testsvc.FreePort(t), escrow: [2]string{e.escrow.Hex(), e.collect.Hex()}}
		cf := e.checkCaddyfile(s)
		if out, err := exec.Command(caddyBinary(t), "validate", "--config", cf, "--adapter", "caddyfile").CombinedOutput(); err != nil {
			t.Fatalf("caddy validate: %v\n%s", err, out)
		}
		p := testsvc.StartEnv(t, dataEnv(s.dir), caddyBinary(t), "run", "--config", cf, "--adapter", "caddyfile")
		url := fmt.Sprintf("http://127.0.0.1:%d/paid/hello", s.port)
		waitStatus(t, p, url, http.StatusPaymentRequired)
		out := p.Output()
		for _, want := range []string{
			`"msg":"x402 network: on-chain start-up checks passed","network":"eip155:84532","chain_id":84532,"facilitator_gas_eth":"`,
			`"msg":"x402 route","route":"/paid/*","price":"0.01 USDC","units":"10000","pay_to":"` + e.payTo.Hex() + `","network":"eip155:84532","asset":"USDC ` + e.token.Hex() + `","scheme":"exact","settle":"after","facilitator":"` + e.accounts[5].Address.Hex() + `"`,
			`"msg":"x402 route","route":"/session/*","price":"0.002 USDC","units":"2000","pay_to":"` + e.payTo.Hex() + `","network":"eip155:84532","asset":"USDC ` + e.token.Hex() + `","scheme":"escrow","settle":"after","facilitator":"` + e.accounts[5].Address.Hex() + `"`,
		} {
			if !strings.Contains(out, want) {
				t.Fatalf("the log lacks %s\n%s", want, out)
			}
		}
		if strings.Contains(out, hexKey(e, 5)) {
			t.Fatal("the log holds the facilitator key")
		}
	})
}

// An rpc that does not answer at start is not a mismatch: Caddy starts
// (escrow included), the priced route answers 503 with Retry-After
// (nothing served), and once the chain answers with the right contracts
// the route takes payments.
func TestStartUpChecksWaitForTheRPC(t *testing.T) {
	e := newEnv(t)
	e.anvil.Kill()
	s := checkSite{dir: t.TempDir(), port: testsvc.FreePort(t), escrow: [2]string{e.escrow.Hex(), e.collect.Hex()}}
	cf := e.checkCaddyfile(s)
	p := testsvc.StartEnv(t, dataEnv(s.dir), caddyBinary(t), "run", "--config", cf, "--adapter", "caddyfile")
	url := fmt.Sprintf("http://127.0.0.1:%d/paid/hello", s.port)
	waitStatus(t, p, url, http.StatusServiceUnavailable)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Retry-After") != "5" || e.hits.Load() != 0 {
		t.Fatalf("closed route: Retry-After %q, upstream hits %d", resp.Header.Get("Retry-After"), e.hits.Load())
	}
	// The node comes back (empty: anvil keeps no state) and the contracts
	// are deployed again at the same addresses.
	e.anvil.Restart(t)
	if out, err := exec.Command(caddyBinary(t), "x402", "devchain", "deploy", "--rpc", e.anvil.URL, "--timeout", "60s").Output(); err != nil || !strings.Contains(string(out), e.token.Hex()) {
		t.Fatalf("redeploy: %v\n%s%s", err, out, stderrOf(err))
	}
	waitStatus(t, p, url, http.StatusPaymentRequired)
	if pay := e.pay(url); pay.status != http.StatusOK {
		t.Fatalf("payment after the checks passed: %d", pay.status)
	}
	if !strings.Contains(p.Output(), `"msg":"x402: on-chain start-up checks passed; priced routes are open"`) {
		t.Fatalf("no line says the routes opened\n%s", p.Output())
	}
}

// waitStatus polls url until it answers status (at most 90 s).
func waitStatus(t *testing.T, p *testsvc.Proc, url string, status int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	last := 0
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if last = resp.StatusCode; last == status {
				return
			}
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("%s never answered %d (last %d)\n%s", url, status, last, p.Tail(4096))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hexKey(e *env, i int) string {
	b, _ := os.ReadFile(e.keyFile(e.accounts[i]))
	return strings.TrimPrefix(strings.TrimSpace(string(b)), "0x")
}

// otherChain starts an anvil with its default chain id, 31337, and returns
// its URL.
func otherChain(t *testing.T) string {
	t.Helper()
	bin, err := testsvc.AnvilPath()
	if err != nil {
		testsvc.Missing(t, "%v", err)
	}
	port := testsvc.FreePort(t)
	testsvc.Start(t, bin, "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--silent")
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if id, err := testsvc.RPC(ctx, url, "eth_chainId"); err == nil {
			if id != `"0x7a69"` {
				t.Fatalf("anvil's default chain id is %s, not 31337", id)
			}
			return url
		}
		if ctx.Err() != nil {
			t.Fatalf("anvil on %s never answered", url)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
