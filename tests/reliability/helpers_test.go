package reliability

import (
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/testsvc"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// price is what one paid request costs, in token units (0.01 USDC).
const price = 10000

// sessionPrice is the price of the escrow route /session/*, in token units.
const sessionPrice = 2000

var (
	buildOnce sync.Once
	buildDir  string
	caddyPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// caddyBinary builds ./cmd/caddy once per test run.
func caddyBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		start := time.Now()
		buildDir, buildErr = os.MkdirTemp("", "x402-reliability-bin-")
		if buildErr != nil {
			return
		}
		caddyPath = filepath.Join(buildDir, "caddy")
		cmd := exec.Command("go", "build", "-o", caddyPath, "./cmd/caddy")
		cmd.Dir = testsvc.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/caddy: %v\n%s", err, out)
		}
		t.Logf("built the caddy binary in %s", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return caddyPath
}

// env is one test's world: an anvil node with TestUSDC, a payer, a fresh
// payee and a counting upstream.
type env struct {
	t        *testing.T
	dir      string
	anvil    *testsvc.Anvil
	ec       *ethclient.Client
	token    common.Address
	escrow   common.Address // AuthCaptureEscrow
	collect  common.Address // its ERC-3009 payment collector
	accounts []devchain.Account
	payer    devchain.Account // dev account 2
	payTo    common.Address   // fresh: its balance starts at 0
	up       *httptest.Server
	hits     atomic.Int64
}

func newEnv(t *testing.T, anvilArgs ...string) *env {
	t.Helper()
	bin := caddyBinary(t)
	e := &env{t: t, dir: t.TempDir()}
	e.anvil = testsvc.StartAnvil(t, anvilArgs...)
	out, err := exec.Command(bin, "x402", "devchain", "deploy", "--rpc", e.anvil.URL, "--timeout", "60s").Output()
	if err != nil {
		t.Fatalf("caddy x402 devchain deploy: %v\n%s", err, stderrOf(err))
	}
	var dep struct {
		ChainID uint64 `json:"chainId"`
		Token   struct {
			Address, Name, Version string
		} `json:"token"`
		Contracts map[string]string `json:"contracts"`
	}
	if err := json.Unmarshal(out, &dep); err != nil || dep.ChainID != 84532 {
		t.Fatalf("deploy output %s: %v", out, err)
	}
	e.token = common.HexToAddress(dep.Token.Address)
	e.escrow = common.HexToAddress(dep.Contracts["AuthCaptureEscrow"])
	e.collect = common.HexToAddress(dep.Contracts["ERC3009PaymentCollector"])
	if e.ec, err = ethclient.Dial(e.anvil.URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.ec.Close)
	if e.accounts, err = devchain.DevAccounts(8); err != nil {
		t.Fatal(err)
	}
	e.payer = e.accounts[2]
	k, _ := crypto.GenerateKey()
	e.payTo = crypto.PubkeyToAddress(k.PublicKey)
	e.up = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		// ?sleep=40s answers late; ?status=502 answers with that status.
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil && d > 0 && d <= 2*time.Minute {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if code, err := strconv.Atoi(r.URL.Query().Get("status")); err == nil && code >= 200 && code < 600 {
			w.WriteHeader(code)
		}
		fmt.Fprintf(w, `{"paid_by":%q}`, r.Header.Get("X-Payer"))
	}))
	t.Cleanup(e.up.Close)
	return e
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// keyFile writes a dev account's key to a 0600 file, as an operator would.
func (e *env) keyFile(a devchain.Account) string {
	p := filepath.Join(e.dir, fmt.Sprintf("facilitator-%d.key", a.Index))
	if err := os.WriteFile(p, []byte("0x"+hex.EncodeToString(crypto.FromECDSA(a.Key))+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// opts shape one Caddy instance.
type opts struct {
	name          string           // instance directory name; default "a"
	settler       devchain.Account // facilitator key; default dev account 5
	settleDelay   string           // route settle_delay; default 300ms
	redis         string           // store redis URL; default memory
	storeBlock    string           // lines of a `store redis { … }` block (sentinel, cluster) instead of a URL
	queueCapacity int
	description   string // route description (changed to force a reload)
	rpc           string // default: the env's anvil
	escrow        bool   // enable escrow sessions and the /session/* route
	escrowOptions string // more options of the escrow block, one per line
	receiptTime   string // the network's receipt_timeout; default 60s
	siteLog       string // a `log { output file … }` for the site, at this path
	network       string // more lines of the network block (batch, replace_after, …)
	settle        string // the /paid/* route's settle mode; default after
}

// instance is one running Caddy binary.
type instance struct {
	e         *env
	o         opts
	dir       string
	caddyfile string
	port      int
	admin     int
	proc      *testsvc.Proc
}

func (i *instance) url(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", i.port, path) }

// newInstance writes the Caddyfile of an instance and starts it.
func (e *env) newInstance(o opts) *instance {
	e.t.Helper()
	if o.name == "" {
		o.name = "a"
	}
	if o.settler.Key == nil {
		o.settler = e.accounts[5]
	}
	if o.settleDelay == "" {
		o.settleDelay = "300ms"
	}
	if o.description == "" {
		o.description = "reliability"
	}
	if o.rpc == "" {
		o.rpc = e.anvil.URL
	}
	i := &instance{e: e, o: o, dir: filepath.Join(e.dir, o.name), port: testsvc.FreePort(e.t), admin: testsvc.FreePort(e.t)}
	if err := os.MkdirAll(i.dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	i.caddyfile = filepath.Join(i.dir, "Caddyfile")
	i.writeCaddyfile()
	i.start()
	return i
}

func (i *instance) writeCaddyfile() {
	o, e := i.o, i.e
	var extra strings.Builder
	switch {
	case o.redis != "":
		fmt.Fprintf(&extra, "\t\tstore redis %s {\n\t\t\tnamespace reliability\n\t\t}\n", o.redis)
	case o.storeBlock != "":
		fmt.Fprintf(&extra, "\t\tstore redis {\n\t\t\tnamespace reliability\n\t\t\t%s\n\t\t}\n", strings.ReplaceAll(o.storeBlock, "\n", "\n\t\t\t"))
	}
	if o.queueCapacity > 0 {
		fmt.Fprintf(&extra, "\t\tqueue_capacity %d\n", o.queueCapacity)
	}
	escrowBlock, sessionRoute := "", ""
	if o.escrow {
		var more strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(o.escrowOptions), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				fmt.Fprintf(&more, "\t\t\t\t%s\n", line)
			}
		}
		escrowBlock = fmt.Sprintf("\n\t\t\tescrow {\n\t\t\t\tcontract %s\n\t\t\t\tcollector %s\n\t\t\t\tcapture_interval 1s\n%s\t\t\t}", e.escrow.Hex(), e.collect.Hex(), more.String())
		if o.receiptTime != "" {
			escrowBlock = fmt.Sprintf("\n\t\t\treceipt_timeout %s", o.receiptTime) + escrowBlock
		}
		sessionRoute = fmt.Sprintf("\n\tx402 /session/* {\n\t\tprice \"%d units\"\n\t\tpay_to %s\n\t\tscheme escrow\n\t}", sessionPrice, e.payTo.Hex())
		fmt.Fprintf(&extra, "\t\tescrow_ledger %s\n", filepath.Join(i.dir, "escrow.db"))
	}
	if o.network != "" {
		escrowBlock += "\n\t\t\t" + strings.ReplaceAll(o.network, "\n", "\n\t\t\t")
	}
	routeExtra := ""
	if o.settle != "" {
		routeExtra = "\n\t\tsettle " + o.settle
	}
	cf := fmt.Sprintf(`{
	admin 127.0.0.1:%d
	persist_config off
	storage file_system %s
	x402 {
		network base-sepolia {
			rpc %s
			asset %s {
				name "USD Coin"
				version 2
			}%s
		}
		facilitator embedded {
			key_file %s
		}
		journal %s
%s	}
}

http://127.0.0.1:%d {
	x402 /paid/* {
		price "%d units"
		pay_to %s
		description %q
		max_timeout 600s
		settle_delay %s%s
	}%s
%s	handle_path /facilitator/* {
		x402_facilitator
	}
	handle {
		reverse_proxy %s
	}
}
`, i.admin, filepath.Join(i.dir, "data"), o.rpc, e.token.Hex(), escrowBlock, e.keyFile(o.settler), filepath.Join(i.dir, "journal.db"),
		extra.String(), i.port, price, e.payTo.Hex(), o.description, o.settleDelay, routeExtra, sessionRoute, siteLog(o.siteLog), strings.TrimPrefix(e.up.URL, "http://"))
	if err := os.WriteFile(i.caddyfile, []byte(cf), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// siteLog is the site's log directive writing to path (none when empty).
func siteLog(path string) string {
	if path == "" {
		return ""
	}
	return fmt.Sprintf("\n\tlog {\n\t\toutput file %s\n\t}\n", path)
}

// start runs `caddy run` on the instance's Caddyfile and waits until the
// paid route answers 402.
func (i *instance) start() {
	t := i.e.t
	t.Helper()
	env := []string{"XDG_DATA_HOME=" + filepath.Join(i.dir, "xdg-data"), "XDG_CONFIG_HOME=" + filepath.Join(i.dir, "xdg-config")}
	i.proc = testsvc.StartEnv(t, env, caddyBinary(t), "run", "--config", i.caddyfile, "--adapter", "caddyfile")
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(i.url("/paid/ready"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusPaymentRequired {
				break
			}
		}
		if i.proc.Exited() || time.Now().After(deadline) {
			t.Fatalf("caddy %s did not serve the paid route (last error %v)\n%s", i.o.name, err, i.proc.Tail(4096))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if i.o.redis != "" || i.o.storeBlock != "" {
		// A fresh Redis starts the store's first generation, which waits a
		// few seconds for other instances to join before it takes claims.
		i.waitStoreReady(30 * time.Second)
	}
}

// metric is the sum of the instance's samples of a Prometheus metric whose
// line starts with prefix (a name, or a name and labels), read from the
// admin endpoint; -1 when there is none.
func (i *instance) metric(prefix string) float64 {
	i.e.t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", i.admin))
	if err != nil {
		i.e.t.Fatalf("reading metrics of %s: %v", i.o.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	sum, found := 0.0, false
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		// "name value", or "name{labels} value" when prefix is a bare name.
		rest := line[len(prefix):]
		if !strings.HasPrefix(rest, " ") && (strings.Contains(prefix, "{") || !strings.HasPrefix(rest, "{")) {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
			sum, found = sum+v, true
		}
	}
	if !found {
		return -1
	}
	return sum
}

// waitStoreReady waits until the instance takes claims in every part of
// the shared store (caddy_x402_store_recovering_parts is 0).
func (i *instance) waitStoreReady(d time.Duration) {
	i.e.t.Helper()
	deadline := time.Now().Add(d)
	for i.metric("caddy_x402_store_recovering_parts") != 0 {
		if time.Now().After(deadline) {
			i.e.t.Fatalf("the store of %s is not ready after %s\n%s", i.o.name, d, i.proc.Tail(4096))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reload runs `caddy reload` against the instance's admin endpoint.
func (i *instance) reload() {
	i.e.t.Helper()
	i.writeCaddyfile()
	cmd := exec.Command(caddyBinary(i.e.t), "reload", "--config", i.caddyfile, "--adapter", "caddyfile", "--address", fmt.Sprintf("127.0.0.1:%d", i.admin))
	if out, err := cmd.CombinedOutput(); err != nil {
		i.e.t.Fatalf("caddy reload: %v\n%s", err, out)
	}
}

// payment is a paid request's outcome.
type payment struct {
	status int
	header string // the PAYMENT-SIGNATURE value sent
	from   common.Address
	nonce  [32]byte
}

func (e *env) client() *client.Client {
	return &client.Client{Key: e.payer.Key, HTTP: &http.Client{Timeout: 60 * time.Second}, MaxAmount: big.NewInt(price)}
}

// pay pays for url with the client package and returns what was sent.
func (e *env) pay(url string) payment {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	res, err := e.client().Do(req)
	if res == nil {
		e.t.Fatalf("paying %s: %v", url, err)
	}
	defer res.Response.Body.Close()
	_, _ = io.Copy(io.Discard, res.Response.Body)
	p := payment{status: res.Response.StatusCode}
	if res.Payment != nil {
		p.header, _ = facilitator.EncodeHeader(res.Payment)
		p.from, p.nonce = authOf(e.t, res.Payment)
	}
	return p
}

// sign pre-signs a payment for the instance's paid route.
func (e *env) sign(i *instance) payment {
	e.t.Helper()
	return e.signAs(i, e.payer.Key)
}

// signAs pre-signs a payment from the given key.
func (e *env) signAs(i *instance, key *ecdsa.PrivateKey) payment {
	e.t.Helper()
	resp, err := http.Get(i.url("/paid/sign"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	c := e.client()
	c.Key = key
	pr, version, err := c.Challenge(resp)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := c.Choose(pr)
	if err != nil {
		e.t.Fatal(err)
	}
	_, value, err := c.Sign(r, pr.Resource, version)
	if err != nil {
		e.t.Fatal(err)
	}
	var p facilitator.PaymentPayload
	if err := facilitator.DecodeHeader(value, 0, &p); err != nil {
		e.t.Fatal(err)
	}
	from, nonce := authOf(e.t, &p)
	return payment{header: value, from: from, nonce: nonce}
}

func authOf(t *testing.T, p *facilitator.PaymentPayload) (common.Address, [32]byte) {
	var ep evm.ExactPayload
	if err := json.Unmarshal(p.Payload, &ep); err != nil || ep.Authorization == nil {
		t.Fatalf("payment payload: %v", err)
	}
	a, err := ep.Authorization.Parse()
	if err != nil {
		t.Fatal(err)
	}
	return a.From, a.Nonce
}

// send sends a pre-signed payment header and returns the status and the
// x402 error code of a refusal.
func send(t *testing.T, url, header string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set(facilitator.HeaderPaymentSignature, header)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Errorf("sending a payment to %s: %v", url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, body.Error
}

// stopGracefully sends SIGINT (Caddy drains its settlement queue) and
// waits at most d for the exit.
func (i *instance) stopGracefully(d time.Duration) {
	i.e.t.Helper()
	_ = i.proc.Signal(syscall.SIGINT)
	if !i.proc.Wait(d) {
		i.e.t.Fatalf("caddy %s did not stop within %s", i.o.name, d)
	}
}

func bigInt(n int64) *big.Int { return big.NewInt(n) }
