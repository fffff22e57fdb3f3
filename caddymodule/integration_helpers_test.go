package caddymodule

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddyserver/caddy/v2/caddytest"
	"github.com/ethereum/go-ethereum/common"
)

// The paid site of the integration tests. Every config a test loads puts its
// site on a port of its own (newSite, called by siteConfig and escrowConfigAt): on a reload
// to the same port Caddy binds the new listener beside the old one
// (SO_REUSEPORT) and closes the old one from a goroutine after the load
// returned, so a connection the kernel queued on the old socket in between
// was reset ("connection reset by peer" right after a config load, under
// load). A fresh port has one listener only.
var (
	sitePort int
	siteURL  string
)

var httpPortRe = regexp.MustCompile(`(?m)^\s*http_port (\d+)$`)

// adminPort is this test process's Caddy admin port. caddytest's default,
// 2999, is one port for the whole machine: with two test processes running
// at once (two checkouts, or another package using caddytest), caddytest
// found the other process's Caddy on it and loaded this process's configs
// into that one ("no dev chain running", requests answered by the other
// process's routes).
var adminPort = freePort()

// adminURL is this process's admin API.
var adminURL = fmt.Sprintf("http://localhost:%d", adminPort)

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("finding a free port: %v", err))
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newSite picks a free port for the next config's site and points siteURL
// at it.
func newSite() int {
	// The admin port is chosen the same way before Caddy binds it: never
	// take it for a site.
	for sitePort = freePort(); sitePort == adminPort; sitePort = freePort() {
	}
	siteURL = fmt.Sprintf("http://localhost:%d", sitePort)
	return sitePort
}

// payee is dev account 1.
const payee = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

// testJournal keeps the integration tests' journal out of the user's Caddy
// data directory.
var testJournal = filepath.Join(os.TempDir(), fmt.Sprintf("x402-caddymodule-test-%d", os.Getpid()), "journal.db")

// testLedger keeps the escrow ledger (escrow is always on for network dev)
// out of the user's Caddy data directory too.
var testLedger = filepath.Join(filepath.Dir(testJournal), "escrow.db")

func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(filepath.Dir(testJournal))
	os.Exit(code)
}

// upstream is a backend behind Caddy that counts its calls.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	u := &upstream{}
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"path":%q,"payer":%q,"leaked":%q}`, r.URL.Path, r.Header.Get("X-Payer"), r.Header.Get("Payment-Signature"))
		}
	}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) addr() string { return strings.TrimPrefix(u.URL, "http://") }

// startCaddy loads a Caddyfile into the in-process Caddy. A test that
// cannot start Caddy fails under CI=true instead of skipping.
func startCaddy(t *testing.T, caddyfile string) *caddytest.Tester {
	t.Helper()
	t.Cleanup(func() {
		if t.Skipped() && os.Getenv("CI") == "true" {
			t.Error("caddytest skipped the test (Caddy did not start); under CI=true that is a failure")
		}
	})
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort, TestRequestTimeout: 30 * time.Second, LoadRequestTimeout: 30 * time.Second})
	tester.InitServer(caddyfile, "caddyfile")
	// Point siteURL at this config's site (a test may load a config it
	// built before another one).
	if m := httpPortRe.FindStringSubmatch(caddyfile); m != nil && m[1] != fmt.Sprint(sitePort) {
		sitePort, _ = strconv.Atoi(m[1])
		siteURL = fmt.Sprintf("http://localhost:%d", sitePort)
	}
	// The test helpers' requests go through http.DefaultClient, whose idle
	// keep-alive connections still point at the previous test's server on
	// the same port; the config load closed that server, and a request
	// written on such a connection read EOF (seen once in CI).
	http.DefaultClient.CloseIdleConnections()
	return tester
}

// siteConfig is the usual test config: dev chain, embedded facilitator,
// the given site body on a fresh sitePort.
func siteConfig(globalExtra, site string) string {
	port := newSite()
	return fmt.Sprintf(`{
	admin localhost:%d
	http_port %d
	skip_install_trust
	x402 {
		network dev
		facilitator embedded
		journal %s
		escrow_ledger %s
		%s
	}
}
:%d {
%s
}
`, adminPort, port, testJournal, testLedger, globalExtra, port, site)
}

// testChain returns the dev chain the runtime started.
func testChain(t *testing.T) *devchain.Chain {
	t.Helper()
	var c *devchain.Chain
	devChains.Range(func(_, v any) bool {
		c = v.(*pooledDevChain).chain
		return false
	})
	if c == nil {
		t.Fatal("no dev chain running")
	}
	return c
}

func balance(t *testing.T, c *devchain.Chain, a common.Address) *big.Int {
	t.Helper()
	b, err := c.BalanceOf(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func waitBalance(t *testing.T, c *devchain.Chain, a common.Address, want *big.Int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := balance(t, c, a)
		if got.Cmp(want) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("balance of %s = %s, want %s", a.Hex(), got, want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// devKey returns dev account i's key.
func devKey(t *testing.T, i int) *ecdsa.PrivateKey {
	t.Helper()
	accts, err := devchain.DevAccounts(i + 1)
	if err != nil {
		t.Fatal(err)
	}
	return accts[i].Key
}

// payHeader fetches the 402 of url and signs a payment for it.
func payHeader(t *testing.T, key *ecdsa.PrivateKey, url string) (string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	c := &client.Client{Key: key}
	pr, version, err := c.Challenge(resp)
	if err != nil {
		t.Fatalf("challenge of %s: %v", url, err)
	}
	req, err := c.Choose(pr)
	if err != nil {
		t.Fatal(err)
	}
	name, value, err := c.Sign(req, pr.Resource, version)
	if err != nil {
		t.Fatal(err)
	}
	return name, value
}

func get(t *testing.T, url string, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func settleResponse(t *testing.T, resp *http.Response) facilitator.SettleResponse {
	t.Helper()
	var s facilitator.SettleResponse
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentResponse), 0, &s); err != nil {
		t.Fatalf("PAYMENT-RESPONSE: %v", err)
	}
	return s
}

func requiredError(t *testing.T, resp *http.Response) string {
	t.Helper()
	var pr facilitator.PaymentRequired
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentRequired), 0, &pr); err != nil {
		t.Fatalf("PAYMENT-REQUIRED: %v", err)
	}
	return pr.Error
}

func add(a *big.Int, d int64) *big.Int { return new(big.Int).Add(a, big.NewInt(d)) }
