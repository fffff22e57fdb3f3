package paywall

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestChallenge(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleAfter, "10000")
	w := v.do(rt, v.upstream(200))
	if w.Code != http.StatusPaymentRequired || v.hits.Load() != 0 {
		t.Fatalf("status %d, hits %d", w.Code, v.hits.Load())
	}
	pr := decodeRequired(t, w)
	if pr.X402Version != 2 || pr.Error != facilitator.CodePaymentRequired || len(pr.Accepts) != 1 {
		t.Fatalf("PAYMENT-REQUIRED = %+v", pr)
	}
	if pr.Resource == nil || pr.Resource.URL != "http://api.test/paid/data?q=1" || pr.Resource.Description != "test data" {
		t.Fatalf("resource not bound to the request URL: %+v", pr.Resource)
	}
	if a := pr.Accepts[0]; a.Amount != "10000" || a.PayTo != v.payee.Hex() || !strings.Contains(string(a.Extra), `"USD Coin"`) {
		t.Fatalf("accepts = %+v", a)
	}
	var body challengeBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.X402Version != 1 || len(body.Accepts) != 1 ||
		body.Accepts[0].MaxAmountRequired != "10000" || body.Accepts[0].Resource != "http://api.test/paid/data?q=1" {
		t.Fatalf("v1 body %s (%v)", w.Body, err)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "private, no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if !strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "PAYMENT-REQUIRED") {
		t.Fatal("PAYMENT-REQUIRED not exposed to CORS clients")
	}

	// A browser gets the HTML page, still with PAYMENT-REQUIRED.
	w = v.do(rt, v.upstream(200), "Accept", "text/html,application/xhtml+xml", "User-Agent", "Mozilla/5.0 (X11)")
	if w.Code != 402 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(w.Body.String(), "0.01 USDC") || w.Header().Get(facilitator.HeaderPaymentRequired) == "" {
		t.Fatalf("browser page: %d %q\n%s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}

// The whole exact flow in the default mode: pay, get the content at once,
// settlement lands on chain after the anti-race delay; the payer reaches the
// upstream, the payment header does not.
func TestPayAfterModeSettlesOnChain(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleAfter, "10000")
	payerAddr := crypto.PubkeyToAddress(v.payer.PublicKey)
	before, payeeBefore := v.balance(payerAddr), v.balance(v.payee)

	for _, version := range []int{2, 1} {
		name, value := v.pay(v.payer, v.requirements("10000"), version)
		w := v.do(rt, v.upstream(200), name, value)
		if w.Code != 200 || w.Body.String() != `{"ok":true}` {
			t.Fatalf("v%d: %d %s", version, w.Code, w.Body)
		}
		if got := w.Header().Get("X-Seen-Payer"); got != payerAddr.Hex() {
			t.Fatalf("upstream saw payer %q", got)
		}
		if w.Header().Get("X-Leaked-Payment") != "" {
			t.Fatal("payment header reached the upstream")
		}
		respHeader := facilitator.HeaderPaymentResponse
		if version == 1 {
			respHeader = facilitator.HeaderXPaymentResponse
		}
		s := decodeResponse(t, w, respHeader)
		if !s.Success || s.Payer != payerAddr.Hex() {
			t.Fatalf("v%d PAYMENT-RESPONSE %+v", version, s)
		}
		if w.Header().Get("Cache-Control") != "private, no-store" {
			t.Fatal("paid response is cacheable")
		}
	}
	v.waitBalance(v.payee, add(payeeBefore, 20000), 10*time.Second)
	v.waitBalance(payerAddr, add(before, -20000), time.Second)
}

func TestReplayRefused(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleAfter, "10000")
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	if w := v.do(rt, v.upstream(200), name, value); w.Code != 200 {
		t.Fatalf("first: %d", w.Code)
	}
	w := v.do(rt, v.upstream(200), name, value)
	if w.Code != 402 || decodeRequired(t, w).Error != facilitator.CodeExactNonceUsed {
		t.Fatalf("replay: %d %s", w.Code, w.Body)
	}
	if v.hits.Load() != 1 {
		t.Fatalf("upstream hits %d", v.hits.Load())
	}
}

// 20 concurrent requests with one payment header: exactly one reaches the
// upstream, whatever the interleaving.
func TestConcurrentReplayOneWinner(t *testing.T) {
	v := newEnv(t)
	for _, mode := range []SettleMode{SettleAfter, SettleHeader} {
		v.hits.Store(0)
		rt := v.route(mode, "10000")
		name, value := v.pay(v.payer, v.requirements("10000"), 2)
		var wg sync.WaitGroup
		codes := make(chan int, 20)
		start := make(chan struct{})
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req := httptest.NewRequest("GET", "http://api.test/paid/x", nil)
				req.Header.Set(name, value)
				w := httptest.NewRecorder()
				_ = rt.Serve(w, req, v.upstream(200))
				codes <- w.Code
			}()
		}
		close(start)
		wg.Wait()
		close(codes)
		ok := 0
		for c := range codes {
			switch c {
			case 200:
				ok++
			case 402:
			default:
				t.Fatalf("%s: status %d", mode, c)
			}
		}
		if ok != 1 || v.hits.Load() != 1 {
			t.Fatalf("%s: %d successes, %d upstream hits; want 1 and 1", mode, ok, v.hits.Load())
		}
	}
}

// An upstream error charges nothing and gives the payment back: the same
// header then works.
func TestUpstreamErrorReleasesPayment(t *testing.T) {
	v := newEnv(t)
	payerAddr := crypto.PubkeyToAddress(v.payer.PublicKey)
	for _, mode := range []SettleMode{SettleAfter, SettleHeader} {
		rt := v.route(mode, "10000")
		before := v.balance(payerAddr)
		name, value := v.pay(v.payer, v.requirements("10000"), 2)
		w := v.do(rt, v.upstream(500), name, value)
		if w.Code != 500 || w.Header().Get(facilitator.HeaderPaymentResponse) != "" {
			t.Fatalf("%s: upstream 500 → %d, PAYMENT-RESPONSE %q", mode, w.Code, w.Header().Get(facilitator.HeaderPaymentResponse))
		}
		// A handler error (e.g. reverse_proxy cannot reach the upstream) too.
		req := httptest.NewRequest("GET", "http://api.test/paid/x", nil)
		req.Header.Set(name, value)
		boom := func(http.ResponseWriter, *http.Request) error { return context.DeadlineExceeded }
		if err := rt.Serve(httptest.NewRecorder(), req, boom); err != context.DeadlineExceeded {
			t.Fatalf("%s: handler error not returned: %v", mode, err)
		}
		time.Sleep(200 * time.Millisecond) // past the settle delay: nothing may settle
		if got := v.balance(payerAddr); got.Cmp(before) != 0 {
			t.Fatalf("%s: payer charged for a failed call: %s → %s", mode, before, got)
		}
		w = v.do(rt, v.upstream(200), name, value)
		if w.Code != 200 {
			t.Fatalf("%s: retry with the same payment: %d %s", mode, w.Code, w.Body)
		}
		v.waitBalance(payerAddr, add(before, -10000), 10*time.Second)
	}
}

// A client that goes away after being served cannot cancel settlement.
func TestClientDisconnectDoesNotCancelSettlement(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleAfter, "10000")
	payerAddr := crypto.PubkeyToAddress(v.payer.PublicKey)
	before := v.balance(payerAddr)
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "http://api.test/paid/x", nil).WithContext(ctx)
	req.Header.Set(name, value)
	w := httptest.NewRecorder()
	if err := rt.Serve(w, req, v.upstream(200)); err != nil || w.Code != 200 {
		t.Fatalf("%d %v", w.Code, err)
	}
	cancel() // the client hangs up right after the response
	v.waitBalance(payerAddr, add(before, -10000), 10*time.Second)
}

// In after mode the response goes out before settlement, so an empty wallet
// must not be served: its valid signature is refused with the payer's
// balance, and a payer is never served beyond what they hold, counting what
// is still waiting to settle.
func TestAfterModeChecksFunds(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleAfter, "10000")
	empty := newKey(t)
	name, value := v.pay(empty, v.requirements("10000"), 2)
	w := v.do(rt, v.upstream(200), name, value)
	if w.Code != 402 || decodeRequired(t, w).Error != facilitator.CodeExactInsufficientBalance || v.hits.Load() != 0 {
		t.Fatalf("empty wallet: %d, hits %d", w.Code, v.hits.Load())
	}
	// The refused payment was released: once funded, the same header works.
	if err := devchain.Mint(context.Background(), v.chain.Client, v.chain.Deployer.Key, v.chain.ChainID, v.chain.Token, big.NewInt(25000), crypto.PubkeyToAddress(empty.PublicKey)); err != nil {
		t.Fatal(err)
	}
	v.engine.Funds = chainFunds(v.chain) // forget the cached zero balance
	rt = v.route(SettleAfter, "10000")
	if w := v.do(rt, v.upstream(200), name, value); w.Code != 200 {
		t.Fatalf("funded: %d %s", w.Code, w.Body)
	}
	// 25000 units cover two payments of 10000; the third waits for nothing
	// and is refused even before the first two have settled.
	name, value = v.pay(empty, v.requirements("10000"), 2)
	if w := v.do(rt, v.upstream(200), name, value); w.Code != 200 {
		t.Fatalf("second: %d", w.Code)
	}
	name, value = v.pay(empty, v.requirements("10000"), 2)
	if w := v.do(rt, v.upstream(200), name, value); w.Code != 402 {
		t.Fatalf("third, beyond the balance: %d", w.Code)
	}
	v.waitBalance(crypto.PubkeyToAddress(empty.PublicKey), big.NewInt(5000), 10*time.Second)
}
