package client

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/paywall"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// escrowEnv is a dev chain with our escrow operator (dev account 0) and a
// paywall route that takes escrow payments in front of a counting handler.
type escrowEnv struct {
	t      *testing.T
	chain  *devchain.Chain
	op     *escrow.Operator
	url    string
	payTo  common.Address
	hits   atomic.Int64
	charge atomic.Int64 // reported in X-Charge when > 0
}

const escrowPrice = 1000 // 0.001 of the 6-decimal test USDC

func newEscrowEnv(t *testing.T, minDeposit int64) *escrowEnv {
	t.Helper()
	c, err := devchain.Start(devchain.Options{})
	if err != nil {
		t.Fatalf("dev chain: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	ledger, err := escrow.OpenLedger(filepath.Join(t.TempDir(), "escrow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ledger.Close() })
	sender := evm.NewSender(c.Client, c.Accounts[0].Key, c.ChainID)
	op, err := escrow.NewOperator(escrow.Config{ChainID: c.ChainID.Uint64(), Sender: sender, Escrow: c.Escrow,
		Collector: c.ERC3009Collector, Ledger: ledger, MinDeposit: big.NewInt(minDeposit), CaptureInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Stop)
	e := &escrowEnv{t: t, chain: c, op: op, payTo: common.BytesToAddress(crypto.Keccak256([]byte(t.Name()))[:20])}
	req := facilitator.PaymentRequirements{Network: fmt.Sprintf("eip155:%d", c.ChainID.Uint64()), Amount: fmt.Sprint(escrowPrice),
		Asset: c.Token.Hex(), PayTo: e.payTo.Hex(), MaxTimeoutSeconds: 60}
	offer, err := paywall.NewEscrowOffer(req, "USD Coin", "2", "USDC", 6, op)
	if err != nil {
		t.Fatal(err)
	}
	guard := paywall.NewMemoryGuard(1024, time.Minute)
	t.Cleanup(func() { _ = guard.Close() })
	rt := &paywall.Route{Offers: []*paywall.Offer{offer}, Mode: paywall.SettleHeader, ChargeHeader: "X-Charge"}
	if err := rt.Init(&paywall.Engine{Facilitator: settleOK{}, Guard: guard}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rt.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		if n := e.charge.Load(); n > 0 {
			w.Header().Set("X-Charge", fmt.Sprint(n))
		}
		_, _ = io.WriteString(w, "paid by "+r.Header.Get(paywall.DefaultPayerHeader))
	})))
	t.Cleanup(ts.Close)
	e.url = ts.URL + "/session/data"
	return e
}

func (e *escrowEnv) balance(a common.Address) *big.Int {
	e.t.Helper()
	b, err := e.chain.BalanceOf(context.Background(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// payloadCounter counts the escrow payloads a client sends, by kind.
type payloadCounter struct {
	next                     http.RoundTripper
	creations, usages, other atomic.Int64
}

func (pc *payloadCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if v := r.Header.Get(facilitator.HeaderPaymentSignature); v != "" {
		var p facilitator.PaymentPayload
		if err := facilitator.DecodeHeader(v, 0, &p); err == nil {
			if pl, err := escrow.ParsePayload(p.Payload); err == nil && pl.Creation != nil {
				pc.creations.Add(1)
			} else if err == nil && pl.Usage != nil {
				pc.usages.Add(1)
			} else {
				pc.other.Add(1)
			}
		}
	}
	return pc.next.RoundTrip(r)
}

func escrowClient(key *ecdsa.PrivateKey, store *SessionStore, deposit int64) (*Client, *payloadCounter) {
	pc := &payloadCounter{next: http.DefaultTransport}
	return &Client{HTTP: &http.Client{Transport: pc, Timeout: time.Minute}, Key: key, Scheme: facilitator.SchemeEscrow,
		Escrow: &EscrowOptions{Sessions: store, Deposit: big.NewInt(deposit)}}, pc
}

func devAccount(t *testing.T, i int) *ecdsa.PrivateKey {
	t.Helper()
	a, err := devchain.DevAccounts(i + 1)
	if err != nil {
		t.Fatal(err)
	}
	return a[i].Key
}

func getPaid(t *testing.T, c *Client, url string) *Result {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Response.Body.Close()
	_, _ = io.Copy(io.Discard, res.Response.Body)
	if res.Response.StatusCode != 200 || !res.Paid {
		t.Fatalf("GET %s: %d paid=%v", url, res.Response.StatusCode, res.Paid)
	}
	return res
}

// One signature opens a session; the next calls send its token; the store
// follows the server's balance; closing captures exactly what was used and
// returns the rest, on chain.
func TestEscrowSessionLifecycle(t *testing.T) {
	e := newEscrowEnv(t, 100_000)
	key := devAccount(t, 2)
	payer := crypto.PubkeyToAddress(key.PublicKey)
	store := NewMemorySessionStore()
	c, pc := escrowClient(key, store, 200_000)
	payerBefore := e.balance(payer)

	first := getPaid(t, c, e.url)
	s := first.PaymentResponse.Session
	if s == nil || s.Token == "" || s.Balance != "199000" || s.ExpiresAt == 0 || first.PaymentResponse.Transaction == "" {
		t.Fatalf("opening response %+v session %+v", first.PaymentResponse, s)
	}
	for i := 0; i < 5; i++ {
		res := getPaid(t, c, e.url)
		if rs := res.PaymentResponse.Session; rs == nil || rs.Token != "" || rs.ID != s.ID || rs.Balance != fmt.Sprint(199000-(i+1)*escrowPrice) {
			t.Fatalf("use %d: session %+v", i, rs)
		}
	}
	if pc.creations.Load() != 1 || pc.usages.Load() != 5 || e.hits.Load() != 6 {
		t.Fatalf("creations %d usages %d hits %d", pc.creations.Load(), pc.usages.Load(), e.hits.Load())
	}
	got, err := store.Get(s.ID)
	if err != nil || got.Balance != "194000" || got.Status != SessionActive || got.Deposit != "200000" || got.URL != e.url ||
		!strings.EqualFold(got.Receiver, e.payTo.Hex()) || got.Payer != payer.Hex() {
		t.Fatalf("stored %+v, %v", got, err)
	}
	// The payer paid the deposit into the escrow.
	if b := e.balance(payer); new(big.Int).Sub(payerBefore, b).Int64() != 200_000 {
		t.Fatalf("payer paid %s", new(big.Int).Sub(payerBefore, b))
	}
	res, err := c.CloseSession(context.Background(), s.ID[:12])
	if err != nil {
		t.Fatal(err)
	}
	if res.Captured.Int64() != 6000 || res.Returned.Int64() != 194000 || res.VoidTx == "" || res.Session.Status != SessionClosed {
		t.Fatalf("close: captured %v returned %v void %q status %s", res.Captured, res.Returned, res.VoidTx, res.Session.Status)
	}
	if got := e.balance(e.payTo); got.Int64() != 6000 {
		t.Fatalf("payee holds %s, want 6000", got)
	}
	if got := new(big.Int).Sub(payerBefore, e.balance(payer)); got.Int64() != 6000 {
		t.Fatalf("payer is down %s, want 6000", got)
	}
	// A closed session is not used again: the next call opens a new one.
	getPaid(t, c, e.url)
	if pc.creations.Load() != 2 {
		t.Fatalf("creations after close %d", pc.creations.Load())
	}
}

// A session whose balance cannot pay the price is left alone and a new one
// opened; a metered route's reported cost is what the balance loses.
func TestEscrowSessionRenewAndMetering(t *testing.T) {
	e := newEscrowEnv(t, 1000)
	c, pc := escrowClient(devAccount(t, 3), NewMemorySessionStore(), 2*escrowPrice)
	getPaid(t, c, e.url) // opens: 1000 left
	e.charge.Store(400)
	res := getPaid(t, c, e.url) // metered: 400 → 600 left
	if res.PaymentResponse.Session.Balance != "600" || res.Response.Header.Get("X-Charge") != "" {
		t.Fatalf("metered use: balance %s, X-Charge %q", res.PaymentResponse.Session.Balance, res.Response.Header.Get("X-Charge"))
	}
	e.charge.Store(0)
	res = getPaid(t, c, e.url) // 600 < price: a new session
	if pc.creations.Load() != 2 || res.PaymentResponse.Session.Token == "" || res.PaymentResponse.Session.Balance != "1000" {
		t.Fatalf("creations %d, response %+v", pc.creations.Load(), res.PaymentResponse.Session)
	}
	list, _ := c.Sessions().List()
	if len(list) != 2 {
		t.Fatalf("%d sessions stored", len(list))
	}
}

// The server's refusal marks the stored session: closed elsewhere → marked
// closed, and the next call opens a new session instead of failing again.
func TestEscrowRefusedSessionIsMarked(t *testing.T) {
	e := newEscrowEnv(t, 100_000)
	store := NewMemorySessionStore()
	c, pc := escrowClient(devAccount(t, 4), store, 100_000)
	open := getPaid(t, c, e.url)
	id := open.PaymentResponse.Session.ID
	s, _ := store.Get(id)
	if _, xe, err := e.op.Close(context.Background(), &escrow.SessionRef{ID: id, Token: s.Token}); xe != nil || err != nil {
		t.Fatal(xe, err)
	}
	req, _ := http.NewRequest(http.MethodGet, e.url, nil)
	res, err := c.Do(req)
	if res != nil {
		res.Response.Body.Close()
	}
	var pe *PaymentError
	if !errorsAs(err, &pe) || pe.Code != facilitator.CodeEscrowSessionClosed {
		t.Fatalf("use of a closed session: %v", err)
	}
	if s, _ := store.Get(id); s.Status != SessionClosed {
		t.Fatalf("status %s", s.Status)
	}
	getPaid(t, c, e.url)
	if pc.creations.Load() != 2 {
		t.Fatalf("creations %d", pc.creations.Load())
	}
}

// The file store survives the process (a new Client reuses the session), is
// private (0600), and concurrent users never lose a session.
func TestEscrowSessionFile(t *testing.T) {
	e := newEscrowEnv(t, 100_000)
	path := filepath.Join(t.TempDir(), "cfg", "sessions.json")
	key := devAccount(t, 5)
	c1, pc1 := escrowClient(key, OpenSessionStore(path), 100_000)
	getPaid(t, c1, e.url)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v mode %v", err, fi.Mode())
	}
	c2, pc2 := escrowClient(key, OpenSessionStore(path), 100_000)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); getPaid(t, c2, e.url) }()
	}
	wg.Wait()
	if pc1.creations.Load()+pc2.creations.Load() != 1 || pc2.usages.Load() != 8 {
		t.Fatalf("creations %d+%d, usages %d", pc1.creations.Load(), pc2.creations.Load(), pc2.usages.Load())
	}
	list, err := OpenSessionStore(path).List()
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	// Another payer never uses it.
	c3, pc3 := escrowClient(devAccount(t, 6), OpenSessionStore(path), 100_000)
	getPaid(t, c3, e.url)
	if pc3.creations.Load() != 1 {
		t.Fatal("another payer's session was used")
	}
}

// The token is in the file (it is the right to spend) but never in any
// printed form of a session.
func TestSessionNeverPrintsToken(t *testing.T) {
	s := Session{ID: "0xabc", Token: "sess_" + strings.Repeat("7", 64), Status: SessionActive, Balance: "5", Deposit: "10"}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), fmt.Sprint(&s), fmt.Sprintf("%+v", []Session{s})} {
		if strings.Contains(out, "7777") {
			t.Fatalf("token printed: %s", out)
		}
	}
	b, _ := json.Marshal(s.View())
	if strings.Contains(string(b), "7777") {
		t.Fatalf("view has the token: %s", b)
	}
	path := filepath.Join(t.TempDir(), "s.json")
	st := OpenSessionStore(path)
	if err := st.Put(s); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), s.Token) {
		t.Fatal("the token was not stored")
	}
	if _, err := st.Get("0xab"); err == nil {
		t.Fatal("a 2-character prefix matched")
	}
}

func TestDefaultSessionFile(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/xdg-test")
	if p, _ := DefaultSessionFile(); p != "/tmp/xdg-test/caddy-x402/sessions.json" {
		t.Fatal(p)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/tmp/home-test")
	if p, _ := DefaultSessionFile(); p != "/tmp/home-test/.config/caddy-x402/sessions.json" {
		t.Fatal(p)
	}
}

// The deposit: the default moves into the offered bounds; an explicit one
// outside them, or below the price, is refused before signing.
func TestEscrowDeposit(t *testing.T) {
	x := &escrow.Extra{MinDeposit: "100000", MaxDeposit: "5000000"}
	for _, tc := range []struct {
		opt   *big.Int
		price int64
		want  int64
		err   string
	}{
		{nil, 1000, DefaultDeposit, ""},
		{big.NewInt(200_000), 1000, 200_000, ""},
		{big.NewInt(99_999), 1000, 0, "outside"},
		{big.NewInt(5_000_001), 1000, 0, "outside"},
		{big.NewInt(100_000), 200_000, 0, "does not cover"},
	} {
		d, err := depositFor(&EscrowOptions{Deposit: tc.opt}, x, big.NewInt(tc.price))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("%v: err %v", tc.opt, err)
			}
			continue
		}
		if err != nil || d.Int64() != tc.want {
			t.Fatalf("%v: %v %v", tc.opt, d, err)
		}
	}
	if d, _ := depositFor(&EscrowOptions{}, &escrow.Extra{MaxDeposit: "500000"}, big.NewInt(1)); d.Int64() != 500_000 {
		t.Fatalf("default above max: %v", d)
	}
	if d, _ := depositFor(&EscrowOptions{}, &escrow.Extra{MinDeposit: "5000000"}, big.NewInt(1)); d.Int64() != 5_000_000 {
		t.Fatalf("default below min: %v", d)
	}
}

// The creation payload has the reference client's shape: expiries as JSON
// numbers, a 0x-hex 32-byte salt, a UUID requestId.
func TestEscrowCreationPayloadShape(t *testing.T) {
	key := devAccount(t, 2)
	r := &facilitator.PaymentRequirements{Scheme: facilitator.SchemeEscrow, Network: "eip155:1337", Amount: "1000",
		Asset: devchain.DevTokenAddress.Hex(), PayTo: testPayTo, MaxTimeoutSeconds: 60,
		Extra: json.RawMessage(`{"name":"USD Coin","version":"2","escrowContract":"0x1111111111111111111111111111111111111111","facilitator":"0x2222222222222222222222222222222222222222","tokenCollector":"0x3333333333333333333333333333333333333333","minDeposit":"100000","maxDeposit":"100000000"}`)}
	c := &Client{Key: key, Scheme: facilitator.SchemeEscrow, Escrow: &EscrowOptions{Sessions: NewMemorySessionStore()}}
	_, _, value, err := c.sign(context.Background(), r, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Payload struct {
			SessionParams map[string]json.RawMessage `json:"sessionParams"`
			Authorization map[string]string          `json:"authorization"`
			RequestID     string                     `json:"requestId"`
		} `json:"payload"`
	}
	if err := facilitator.DecodeHeader(value, 0, &p); err != nil {
		t.Fatal(err)
	}
	sp := p.Payload.SessionParams
	if len(sp["salt"]) != 68 || sp["authorizationExpiry"][0] == '"' || sp["refundExpiry"][0] == '"' {
		t.Fatalf("sessionParams %s %s %s", sp["salt"], sp["authorizationExpiry"], sp["refundExpiry"])
	}
	a := p.Payload.Authorization
	if a["to"] != "0x3333333333333333333333333333333333333333" || a["value"] != "1000000" || a["validAfter"] != "0" || len(p.Payload.RequestID) != 36 {
		t.Fatalf("authorization %v requestId %q", a, p.Payload.RequestID)
	}
}

func errorsAs(err error, pe **PaymentError) bool {
	if err == nil {
		return false
	}
	p, ok := err.(*PaymentError)
	if ok {
		*pe = p
	}
	return ok
}
