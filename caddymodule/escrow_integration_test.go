package caddymodule

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/cli"
	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// The escrow scheme end to end: a real Caddy (caddytest) with the embedded
// facilitator as the escrow operator on the embedded dev chain, the Go
// client opening and spending sessions, every outcome checked on chain.

func escrowRoute(path, price string, payTo common.Address, u *upstream, extra string) string {
	return fmt.Sprintf(`	x402 %s {
		price %s
		pay_to %s
		scheme escrow
		%s
	}
	reverse_proxy %s
`, path, price, payTo.Hex(), extra, u.addr())
}

// One signature, then 100 paid calls with none; close: the payee holds
// exactly the sum of the prices and the payer got the rest back.
func TestCaddyEscrowOneSignatureHundredCalls(t *testing.T) {
	start := time.Now()
	u := newUpstream(t, nil)
	payTo := freshPayee(t, "payee")
	cfg, _ := escrowConfig(t, "", "", escrowRoute("/session/*", "0.001", payTo, u, ""))
	startCaddy(t, cfg)
	c := testChain(t)
	key := devKey(t, 5)
	payer := crypto.PubkeyToAddress(key.PublicKey)
	payerBefore := balance(t, c, payer)
	cl, pc := escrowPayer(key, 1_000_000)

	opened := paidGet(t, cl, siteURL+"/session/data")
	sess := opened.PaymentResponse.Session
	if sess == nil || sess.Token == "" || sess.Balance != "999000" || opened.PaymentResponse.Transaction == "" ||
		!strings.EqualFold(opened.PaymentResponse.Receiver, payTo.Hex()) {
		t.Fatalf("opening PAYMENT-RESPONSE %+v, session %+v", opened.PaymentResponse, sess)
	}
	rcpt, err := c.Client.TransactionReceipt(context.Background(), common.HexToHash(opened.PaymentResponse.Transaction))
	if err != nil || rcpt.Status != 1 {
		t.Fatalf("authorize %s: %v", opened.PaymentResponse.Transaction, err)
	}
	for i := 1; i <= 100; i++ {
		res := paidGet(t, cl, siteURL+fmt.Sprintf("/session/data/%d", i))
		s := res.PaymentResponse.Session
		if s == nil || s.Token != "" || s.ID != sess.ID || s.Balance != fmt.Sprint(999000-i*1000) {
			t.Fatalf("call %d: session %+v", i, s)
		}
	}
	if pc.creations.Load() != 1 || pc.usages.Load() != 100 || u.hits.Load() != 101 {
		t.Fatalf("signed %d creations, sent %d usages; upstream hits %d", pc.creations.Load(), pc.usages.Load(), u.hits.Load())
	}
	// Before the close: the deposit is in escrow, nothing captured yet
	// (below the 1.00 capture threshold).
	if st := paymentState(t, c, sess.ID); st.CapturableAmount.Int64() != 1_000_000 || st.RefundableAmount.Sign() != 0 {
		t.Fatalf("before close: capturable %s refundable %s", st.CapturableAmount, st.RefundableAmount)
	}
	if got := new(big.Int).Sub(payerBefore, balance(t, c, payer)); got.Int64() != 1_000_000 {
		t.Fatalf("payer deposited %s", got)
	}
	res, err := cl.CloseSession(context.Background(), sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Captured.Int64() != 101_000 || res.Returned.Int64() != 899_000 || res.VoidTx == "" {
		t.Fatalf("close: captured %v returned %v void %q", res.Captured, res.Returned, res.VoidTx)
	}
	if got := balance(t, c, payTo); got.Int64() != 101_000 {
		t.Fatalf("payee holds %s, want 101000 (101 calls × 0.001)", got)
	}
	if got := new(big.Int).Sub(payerBefore, balance(t, c, payer)); got.Int64() != 101_000 {
		t.Fatalf("payer is down %s, want 101000", got)
	}
	if st := paymentState(t, c, sess.ID); st.CapturableAmount.Sign() != 0 || st.RefundableAmount.Int64() != 101_000 {
		t.Fatalf("after close: capturable %s refundable %s", st.CapturableAmount, st.RefundableAmount)
	}
	// The closed session is refused from now on.
	r := escrowRequirement(t, siteURL+"/session/data")
	if status, code, _ := send(t, siteURL+"/session/data", usageHeader(t, r, stored(t, cl), r.Amount, randomID(t))); status != 402 || code != facilitator.CodeEscrowSessionClosed {
		t.Fatalf("use after close: %d %s", status, code)
	}
	t.Logf("1 signature + 100 calls + close in %s", time.Since(start).Round(time.Millisecond))
}

// 200 concurrent calls on a session that can pay for 50: exactly 50 served,
// 150 refused for its balance, never an overdraft; close: the payee holds
// exactly what was served.
func TestCaddyEscrowConcurrentNoOverdraft(t *testing.T) {
	u := newUpstream(t, nil)
	payTo := freshPayee(t, "payee")
	cfg, _ := escrowConfig(t, "", "", escrowRoute("/session/*", "0.002", payTo, u, ""))
	startCaddy(t, cfg)
	c := testChain(t)
	key := devKey(t, 6)
	payer := crypto.PubkeyToAddress(key.PublicKey)
	payerBefore := balance(t, c, payer)
	// 51 × 0.002: the opening call, then 50 more.
	cl, _ := escrowPayer(key, 102_000)
	paidGet(t, cl, siteURL+"/session/open")
	s := stored(t, cl)
	r := escrowRequirement(t, siteURL+"/session/race")
	headers := make([]string, 200)
	for i := range headers {
		headers[i] = usageHeader(t, r, s, r.Amount, randomID(t))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	var balances []int
	gate := make(chan struct{})
	for _, h := range headers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			status, code, sr := send(t, siteURL+"/session/race", h)
			mu.Lock()
			defer mu.Unlock()
			codes[fmt.Sprint(status, " ", code)]++
			if status == 200 {
				var b int
				fmt.Sscan(sr.Session.Balance, &b)
				balances = append(balances, b)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if codes["200 "] != 50 || codes["402 "+facilitator.CodeEscrowSessionBalance] != 150 || len(codes) != 2 || u.hits.Load() != 51 {
		t.Fatalf("answers %v, upstream hits %d", codes, u.hits.Load())
	}
	// Every served call saw a balance in [0, 98000] (what is left after its
	// own commit and the other calls' reservations): never below zero.
	sort.Ints(balances)
	if balances[0] < 0 || balances[len(balances)-1] > 98000 {
		t.Fatalf("balances after the served calls: %v", balances)
	}
	for _, b := range balances {
		if b%2000 != 0 {
			t.Fatalf("balances after the served calls: %v", balances)
		}
	}
	info, ok := testOperator(t).Session(sessionID(t, s.ID))
	if !ok {
		t.Fatal("session unknown to the operator")
	}
	if in := info.Info(); in.Committed != "102000" || in.Balance != "0" || in.Deposit != "102000" {
		t.Fatalf("operator: committed %s balance %s deposit %s", in.Committed, in.Balance, in.Deposit)
	}
	res, err := cl.CloseSession(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Captured.Int64() != 102_000 || res.Returned.Sign() != 0 || res.VoidTx != "" {
		t.Fatalf("close: captured %v returned %v void %q", res.Captured, res.Returned, res.VoidTx)
	}
	if got := balance(t, c, payTo); got.Int64() != 102_000 {
		t.Fatalf("payee holds %s, want 102000 (51 × 0.002)", got)
	}
	if got := new(big.Int).Sub(payerBefore, balance(t, c, payer)); got.Int64() != 102_000 {
		t.Fatalf("payer is down %s", got)
	}
	if st := paymentState(t, c, s.ID); st.CapturableAmount.Sign() != 0 || st.RefundableAmount.Int64() != 102_000 {
		t.Fatalf("after close: capturable %s refundable %s", st.CapturableAmount, st.RefundableAmount)
	}
}

// Caddy stops (the x402 app and its runtime, operator and ledger file go
// away; the test keeps the in-process dev chain alive) and starts again with
// the same config: the session still works with its token, requestIds used
// before are still refused, and the use from before the restart, never
// captured then, is captured by the new operator.
func TestCaddyEscrowSurvivesRestart(t *testing.T) {
	u := newUpstream(t, nil)
	payTo := freshPayee(t, "payee")
	// A capture threshold of 100: nothing is captured while running.
	cfg, ledgerPath := escrowConfig(t, "capture_threshold 100", "", escrowRoute("/session/*", "0.001", payTo, u, ""))
	startCaddy(t, cfg)
	c := testChain(t)
	holdDevChain(t)
	key := devKey(t, 7)
	payer := crypto.PubkeyToAddress(key.PublicKey)
	payerBefore := balance(t, c, payer)
	cl, pc := escrowPayer(key, 500_000)
	for i := 0; i < 10; i++ {
		paidGet(t, cl, siteURL+"/session/before")
	}
	s := stored(t, cl)
	r := escrowRequirement(t, siteURL+"/session/before")
	usedID := randomID(t)
	if status, _, _ := send(t, siteURL+"/session/before", usageHeader(t, r, s, r.Amount, usedID)); status != 200 {
		t.Fatalf("11th call: %d", status)
	}
	if st := paymentState(t, c, s.ID); st.RefundableAmount.Sign() != 0 || balance(t, c, payTo).Sign() != 0 {
		t.Fatal("captured before the restart; the test needs uncaptured use")
	}

	// Stop: a config without the x402 app.
	start := time.Now()
	port := newSite()
	startCaddy(t, fmt.Sprintf("{\n\tadmin localhost:%d\n\thttp_port %d\n\tskip_install_trust\n}\n:%d {\n\trespond \"down for maintenance\" 503\n}\n", adminPort, port, port))
	count := 0
	runtimes.Range(func(any, any) bool { count++; return true })
	if count != 0 {
		t.Fatalf("%d x402 runtimes still running", count)
	}
	// The ledger file is closed (bbolt would time out on a file still
	// open) and holds the 11 uncaptured debits.
	l, err := escrow.OpenLedger(ledgerPath)
	if err != nil {
		t.Fatalf("ledger still held after the stop: %v", err)
	}
	recs, debits, err := l.Load()
	l.Close()
	if err != nil || len(recs) != 1 || len(debits[sessionID(t, s.ID)]) != 11 {
		t.Fatalf("ledger: %d sessions, %d debits, %v", len(recs), len(debits[sessionID(t, s.ID)]), err)
	}

	// Start again: the new operator captures the use from before.
	startCaddy(t, cfg)
	waitBalance(t, c, payTo, big.NewInt(11_000), time.Minute)
	t.Logf("restart and recovery capture in %s", time.Since(start).Round(time.Millisecond))
	if st := paymentState(t, c, s.ID); st.RefundableAmount.Int64() != 11_000 || st.CapturableAmount.Int64() != 489_000 {
		t.Fatalf("after restart: capturable %s refundable %s", st.CapturableAmount, st.RefundableAmount)
	}
	if status, code, _ := send(t, siteURL+"/session/after", usageHeader(t, r, s, r.Amount, usedID)); status != 402 || code != facilitator.CodeEscrowDuplicateRequest {
		t.Fatalf("requestId from before the restart: %d %s", status, code)
	}
	for i := 0; i < 4; i++ {
		res := paidGet(t, cl, siteURL+"/session/after")
		if got := res.PaymentResponse.Session.Balance; got != fmt.Sprint(500_000-(12+i)*1000) {
			t.Fatalf("after restart, call %d: balance %s", i, got)
		}
	}
	if pc.creations.Load() != 1 {
		t.Fatalf("%d creations: the restart cost a new signature", pc.creations.Load())
	}
	res, err := cl.CloseSession(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Captured.Int64() != 15_000 || res.Returned.Int64() != 485_000 {
		t.Fatalf("close: captured %v returned %v", res.Captured, res.Returned)
	}
	if got := balance(t, c, payTo); got.Int64() != 15_000 {
		t.Fatalf("payee holds %s, want 15000", got)
	}
	if got := new(big.Int).Sub(payerBefore, balance(t, c, payer)); got.Int64() != 15_000 {
		t.Fatalf("payer is down %s", got)
	}
}

// The §8 attacks through Caddy: each refused with its precise code, nothing
// served, nothing charged, no transaction sent for a bad creation.
func TestCaddyEscrowAttacks(t *testing.T) {
	var failing atomic.Bool
	u := newUpstream(t, nil)
	flaky := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(500)
			return
		}
		fmt.Fprint(w, "ok")
	})
	payX, payY := freshPayee(t, "x"), freshPayee(t, "y")
	site := fmt.Sprintf(`	handle /a/* {
%s	}
	handle /b/* {
%s	}
	handle /flaky/* {
%s	}`, escrowRoute("/a/*", "0.001", payX, u, ""), escrowRoute("/b/*", "0.001", payY, u, ""), escrowRoute("/flaky/*", "0.001", payX, flaky, ""))
	cfg, _ := escrowConfig(t, "", "", site)
	startCaddy(t, cfg)
	c := testChain(t)
	key := devKey(t, 8)
	payer := crypto.PubkeyToAddress(key.PublicKey)
	cl, _ := escrowPayer(key, 100_000)
	paidGet(t, cl, siteURL+"/a/open") // session on payee X: 99000 left
	s := stored(t, cl)
	ra, rb, rf := escrowRequirement(t, siteURL+"/a/x"), escrowRequirement(t, siteURL+"/b/x"), escrowRequirement(t, siteURL+"/flaky/x")
	op := testOperator(t)
	sessBalance := func() string {
		ss, _ := op.Session(sessionID(t, s.ID))
		return ss.Info().Balance
	}
	expect := func(name, url, header string, status int, code string) {
		t.Helper()
		hits, fhits := u.hits.Load(), flaky.hits.Load()
		got, gotCode, _ := send(t, url, header)
		if got != status || gotCode != code {
			t.Fatalf("%s: %d %q, want %d %q", name, got, gotCode, status, code)
		}
		if status != 200 && (u.hits.Load() != hits || flaky.hits.Load() != fhits) {
			t.Fatalf("%s reached the upstream", name)
		}
	}

	t.Run("client-chosen lower amount", func(t *testing.T) {
		expect("amount 1", siteURL+"/a/x", usageHeader(t, ra, s, "1", randomID(t)), 402, facilitator.CodeEscrowAmount)
		expect("amount 0", siteURL+"/a/x", usageHeader(t, ra, s, "0", randomID(t)), 402, facilitator.CodeEscrowAmount)
		if sessBalance() != "99000" {
			t.Fatalf("balance %s", sessBalance())
		}
	})
	t.Run("replayed requestId", func(t *testing.T) {
		h := usageHeader(t, ra, s, ra.Amount, randomID(t))
		expect("first", siteURL+"/a/x", h, 200, "")
		expect("replay", siteURL+"/a/x", h, 402, facilitator.CodeEscrowDuplicateRequest)
		expect("replay on another path", siteURL+"/a/y", h, 402, facilitator.CodeEscrowDuplicateRequest)
		if sessBalance() != "98000" {
			t.Fatalf("balance %s", sessBalance())
		}
	})
	t.Run("session of payee X used on payee Y", func(t *testing.T) {
		expect("binding", siteURL+"/b/x", usageHeader(t, rb, s, rb.Amount, randomID(t)), 402, facilitator.CodeEscrowSessionBinding)
		if balance(t, c, payY).Sign() != 0 || sessBalance() != "98000" {
			t.Fatal("charged across payees")
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		bad := s
		bad.Token = "sess_" + strings.Repeat("0", 64)
		expect("token", siteURL+"/a/x", usageHeader(t, ra, bad, ra.Amount, randomID(t)), 402, facilitator.CodeEscrowSessionToken)
	})
	creation := func(name string, edit func(*escrow.DepositTerms), auth func(*evm.Authorization), length time.Duration, code string) {
		t.Helper()
		nonce, before := operatorNonce(t, c), balance(t, c, payer)
		expect(name, siteURL+"/a/x", creationHeader(t, key, ra, 100_000, length, edit, auth), 402, code)
		if operatorNonce(t, c) != nonce || balance(t, c, payer).Cmp(before) != 0 {
			t.Fatalf("%s: a transaction was sent or funds moved", name)
		}
	}
	t.Run("creation signed for another collector", func(t *testing.T) {
		creation("collector", func(tm *escrow.DepositTerms) {
			tm.Collector = common.HexToAddress("0x00000000000000000000000000000000000c0113")
		}, nil, time.Hour, facilitator.CodeEscrowCollector)
	})
	t.Run("creation with a wrong nonce", func(t *testing.T) {
		creation("nonce", nil, func(a *evm.Authorization) { a.Nonce[0] ^= 0xff }, time.Hour, facilitator.CodeEscrowNonce)
	})
	t.Run("creation for another operator", func(t *testing.T) {
		creation("operator", func(tm *escrow.DepositTerms) { tm.Operator = payer }, nil, time.Hour, facilitator.CodeEscrowNonce)
	})
	t.Run("short session", func(t *testing.T) {
		creation("5 min session", nil, nil, 5*time.Minute, facilitator.CodeEscrowSessionLength)
		creation("8 day session", nil, nil, 8*24*time.Hour, facilitator.CodeEscrowSessionLength)
	})
	t.Run("upstream 500 commits nothing; the same requestId then works", func(t *testing.T) {
		failing.Store(true)
		h := usageHeader(t, rf, s, rf.Amount, randomID(t))
		before := sessBalance()
		if status, _, sr := send(t, siteURL+"/flaky/x", h); status != 500 || sr != nil {
			t.Fatalf("upstream 500 → %d, PAYMENT-RESPONSE %+v", status, sr)
		}
		if sessBalance() != before {
			t.Fatalf("balance %s → %s after a 500", before, sessBalance())
		}
		failing.Store(false)
		status, _, sr := send(t, siteURL+"/flaky/x", h)
		if status != 200 || sr == nil || sr.Session.Balance != "97000" {
			t.Fatalf("retry: %d %+v", status, sr)
		}
	})
	// Close: X got exactly what was served (open, replay test, flaky retry).
	if res, err := cl.CloseSession(context.Background(), s.ID); err != nil || res.Captured.Int64() != 3000 {
		t.Fatalf("close: %+v %v", res, err)
	}
	if got := balance(t, c, payX); got.Int64() != 3000 {
		t.Fatalf("payee X holds %s", got)
	}
}

// Usage-based charging: the upstream's X-Charge below the price is what is
// committed (and captured), above it is capped, and it never reaches the
// client; an exact route with the same header charges the price and strips
// it too.
func TestCaddyEscrowMeteredCharge(t *testing.T) {
	metered := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("cost"); v != "" {
			w.Header().Set("X-Charge", v)
		}
		fmt.Fprint(w, `{"completion":"…"}`)
	})
	payE, payX := freshPayee(t, "escrow"), freshPayee(t, "exact")
	site := fmt.Sprintf(`	handle /session/* {
%s	}
	handle /exact/* {
	x402 /exact/* {
		price 0.01
		pay_to %s
		settle header
		charge_header X-Charge
	}
	reverse_proxy %s
	}`, escrowRoute("/session/*", "0.01", payE, metered, "charge_header X-Charge"), payX.Hex(), metered.addr())
	cfg, _ := escrowConfig(t, "", "", site)
	startCaddy(t, cfg)
	c := testChain(t)
	cl, _ := escrowPayer(devKey(t, 9), 1_000_000)
	steps := []struct {
		query   string
		balance string
	}{
		{"?cost=2500", "997500"},  // the opening call, metered too
		{"?cost=12345", "987500"}, // above the price: capped at 10000
		{"", "977500"},            // no report: the price
		{"?cost=0", "977500"},     // reported free
		{"?cost=abc", "967500"},   // unreadable: the price
		{"?cost=1", "967499"},
	}
	for _, st := range steps {
		res := paidGet(t, cl, siteURL+"/session/llm"+st.query)
		if got := res.PaymentResponse.Session.Balance; got != st.balance {
			t.Fatalf("%s: balance %s, want %s", st.query, got, st.balance)
		}
		if v := res.Response.Header.Get("X-Charge"); v != "" {
			t.Fatalf("%s: X-Charge %q reached the client", st.query, v)
		}
	}
	s := stored(t, cl)
	if res, err := cl.CloseSession(context.Background(), s.ID); err != nil || res.Captured.Int64() != 32_501 {
		t.Fatalf("close: %+v %v", res, err)
	}
	if got := balance(t, c, payE); got.Int64() != 32_501 {
		t.Fatalf("escrow payee holds %s, want 32501", got)
	}
	// Exact ignores the report: the full price, and the header is stripped.
	ex := &client.Client{Key: devKey(t, 9)}
	req, _ := http.NewRequest(http.MethodGet, siteURL+"/exact/llm?cost=2500", nil)
	res, err := ex.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Response.Body.Close()
	if res.Response.StatusCode != 200 || res.Response.Header.Get("X-Charge") != "" {
		t.Fatalf("exact: %d X-Charge %q", res.Response.StatusCode, res.Response.Header.Get("X-Charge"))
	}
	if got := balance(t, c, payX); got.Int64() != 10_000 {
		t.Fatalf("exact payee holds %s, want 10000", got)
	}
}

// A route may take exact and escrow side by side: the 402 lists both and the
// Go client pays with either.
func TestCaddyEscrowAndExactSideBySide(t *testing.T) {
	u := newUpstream(t, nil)
	payTo := freshPayee(t, "payee")
	cfg, _ := escrowConfig(t, "", "", fmt.Sprintf(`	x402 /both/* {
		price 0.001
		pay_to %s
		scheme exact escrow
		settle header
	}
	reverse_proxy %s`, payTo.Hex(), u.addr()))
	startCaddy(t, cfg)
	c := testChain(t)
	resp := get(t, siteURL+"/both/x")
	resp.Body.Close()
	var pr facilitator.PaymentRequired
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentRequired), 0, &pr); err != nil {
		t.Fatal(err)
	}
	if len(pr.Accepts) != 2 || pr.Accepts[0].Scheme != "exact" || pr.Accepts[1].Scheme != "escrow" {
		t.Fatalf("accepts %+v", pr.Accepts)
	}
	ex := &client.Client{Key: devKey(t, 5), Scheme: facilitator.SchemeExact}
	req, _ := http.NewRequest(http.MethodGet, siteURL+"/both/exact", nil)
	res, err := ex.Do(req)
	if err != nil || res.Response.StatusCode != 200 || res.Requirement.Scheme != "exact" {
		t.Fatalf("exact: %v", err)
	}
	res.Response.Body.Close()
	if got := balance(t, c, payTo); got.Int64() != 1000 {
		t.Fatalf("after exact: payee %s", got)
	}
	es, pc := escrowPayer(devKey(t, 5), 100_000)
	paidGet(t, es, siteURL+"/both/escrow")
	paidGet(t, es, siteURL+"/both/escrow")
	if pc.creations.Load() != 1 || pc.usages.Load() != 1 || u.hits.Load() != 3 {
		t.Fatalf("creations %d usages %d hits %d", pc.creations.Load(), pc.usages.Load(), u.hits.Load())
	}
	if _, err := es.CloseSession(context.Background(), stored(t, es).ID); err != nil {
		t.Fatal(err)
	}
	if got := balance(t, c, payTo); got.Int64() != 3000 {
		t.Fatalf("after escrow close: payee %s", got)
	}
}

// `caddy x402 pay --scheme escrow --json` against the real Caddy: the
// decoded paymentResponse.session carries the token only on the call that
// opened the session; `sessions` lists it without the token; `sessions
// close` captures, returns and prints the void transaction.
func TestCaddyEscrowCLI(t *testing.T) {
	u := newUpstream(t, nil)
	payTo := freshPayee(t, "payee")
	cfg, _ := escrowConfig(t, "", "", escrowRoute("/session/*", "0.001", payTo, u, ""))
	startCaddy(t, cfg)
	c := testChain(t)
	file := t.TempDir() + "/cfg/sessions.json"
	type out struct {
		Status          int                         `json:"status"`
		Paid            bool                        `json:"paid"`
		PaymentResponse *facilitator.SettleResponse `json:"paymentResponse"`
	}
	pay := func() (out, string) {
		t.Helper()
		stdout, stderr, code := runX402(t, "", "pay", "--dev-account", "6", "--scheme", "escrow", "--deposit", "0.50",
			"--session-file", file, "--json", siteURL+"/session/hello")
		if code != 0 {
			t.Fatalf("pay: exit %d: %s", code, stderr)
		}
		var o out
		if err := jsonUnmarshal(stdout, &o); err != nil {
			t.Fatalf("pay --json: %v: %s", err, stdout)
		}
		return o, stdout
	}
	first, _ := pay()
	s := first.PaymentResponse.Session
	if first.Status != 200 || !first.Paid || s == nil || !strings.HasPrefix(s.Token, "sess_") || s.Balance != "499000" || s.ExpiresAt == 0 {
		t.Fatalf("opening call: %+v session %+v", first, s)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v", err)
	}
	second, raw := pay()
	if s2 := second.PaymentResponse.Session; s2 == nil || s2.ID != s.ID || s2.Balance != "498000" || strings.Contains(raw, `"token"`) || strings.Contains(raw, s.Token) {
		t.Fatalf("second call: %s", raw)
	}
	stdout, _, code := runX402(t, "", "sessions", "--session-file", file)
	if code != 0 || !strings.Contains(stdout, s.ID) || !strings.Contains(stdout, "0.498") || !strings.Contains(stdout, siteURL) ||
		!strings.Contains(stdout, payTo.Hex()) || strings.Contains(stdout, s.Token) {
		t.Fatalf("sessions: %d\n%s", code, stdout)
	}
	stdout, _, code = runX402(t, "", "sessions", "--session-file", file, "--json")
	if code != 0 || !strings.Contains(stdout, s.ID) || strings.Contains(stdout, s.Token) || strings.Contains(stdout, `"token"`) {
		t.Fatalf("sessions --json: %d\n%s", code, stdout)
	}
	stdout, stderr, code := runX402(t, "", "sessions", "close", "--session-file", file, s.ID[:10])
	if code != 0 || !strings.Contains(stdout, "captured  0.002") || !strings.Contains(stdout, "returned  0.498") || !strings.Contains(stdout, "void tx   0x") || strings.Contains(stdout, s.Token) {
		t.Fatalf("sessions close: %d %s\n%s", code, stderr, stdout)
	}
	if got := balance(t, c, payTo); got.Int64() != 2000 {
		t.Fatalf("payee holds %s", got)
	}
	stdout, _, _ = runX402(t, "", "sessions", "--session-file", file)
	if !strings.Contains(stdout, "closed") {
		t.Fatalf("after close: %s", stdout)
	}
	// The next pay opens a new session (token shown again, once).
	third, _ := pay()
	if third.PaymentResponse.Session.Token == "" || third.PaymentResponse.Session.ID == s.ID {
		t.Fatalf("after close: %+v", third.PaymentResponse.Session)
	}
}

// The demo Caddyfile's session routes adapt: escrow on /session/*, and the
// metered /session/llm with its charge header, ahead of the demo upstream
// that reports the charge.
func TestDemoCaddyfileSessionRoutes(t *testing.T) {
	src, err := os.ReadFile("../Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	out, err := adapt(t, string(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"/session/llm"`, `"/session/*"`, `"charge_header": "X-Charge"`, `"escrow"`, `"X-Charge": [`} {
		if !strings.Contains(out, want) {
			t.Fatalf("adapted demo Caddyfile lacks %s", want)
		}
	}
}

// runX402 runs `caddy x402 args...` in-process and returns stdout, stderr and
// the exit status; the dev accounts' keys must never be printed.
func runX402(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(args, strings.NewReader(stdin), &out, &errOut)
	for i := 0; i < 8; i++ {
		if strings.Contains(out.String()+errOut.String(), hex.EncodeToString(crypto.FromECDSA(devKey(t, i)))) {
			t.Fatalf("x402 %v printed dev account %d's private key", args, i)
		}
	}
	return out.String(), errOut.String(), code
}
