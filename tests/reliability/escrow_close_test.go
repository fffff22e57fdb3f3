package reliability

import (
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// Issue 12, defects 2 and 3: two instances on one Redis, a session opened
// on A, 16 concurrent requests on B (upstream answers spread over 0-6 s)
// while a close runs on A with close_wait 3s. Each request is either served
// (committed before the seal) or refused at its commit with
// invalid_escrow_session_closed (not served as paid); captured on chain =
// served × price exactly, the session is closed everywhere and use after
// the close is refused on both instances.
func TestEscrowCloseWhileAnotherInstanceServes(t *testing.T) {
	t.Parallel()
	r := testsvc.StartRedis(t)
	e := newEnv(t)
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], redis: r.URL(0), escrow: true, escrowOptions: "close_wait 3s"})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], redis: r.URL(0), escrow: true})
	payerBefore := e.balance(e.payer.Address)
	s := e.openSession(a, 1_000_000)

	answers := make([]answer, 16)
	var wg sync.WaitGroup
	for k := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := b.url(fmt.Sprintf("/session/work?sleep=%dms", k*400))
			answers[k] = sendPayment(t, url, usageHeader(t, s.req, s.info, fmt.Sprintf("b-%d", k), ""))
		}()
	}
	// Close once all 16 reached the upstream.
	waitUntil(t, 30*time.Second, "16 requests in flight on B", func() bool { return e.hits.Load() >= 1+16 })
	closed := sendPayment(t, a.url("/session/bye"), usageHeader(t, s.req, s.info, "close", "close"))
	wg.Wait()
	if closed.status != http.StatusOK || closed.resp == nil || !closed.resp.Success {
		t.Fatalf("close on A: %+v", closed)
	}
	served, refused := 0, 0
	for k, got := range answers {
		switch {
		case got.status == http.StatusOK:
			served++
		case got.status == http.StatusPaymentRequired && got.code == facilitator.CodeEscrowSessionClosed:
			refused++
		default:
			t.Errorf("request %d: %d %q", k, got.status, got.code)
		}
	}
	t.Logf("served %d, refused at commit %d (close_wait 3s, upstream 0-6 s)", served, refused)
	if served == 0 || refused == 0 {
		t.Fatalf("served %d, refused %d: the timings should split them", served, refused)
	}
	want := int64(1+served) * sessionPrice
	if closed.resp.Amount != fmt.Sprint(want) {
		t.Fatalf("close answer captured %q, want %d", closed.resp.Amount, want)
	}
	e.waitEscrow(s.id, 0, want, 30*time.Second)
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != want {
		t.Fatalf("payer paid %s, want %d (the opening call and %d served)", spent, want, served)
	}
	for _, in := range []*instance{a, b} {
		if got := sendPayment(t, in.url("/session/after"), usageHeader(t, s.req, s.info, "after-"+in.o.name, "")); got.status != http.StatusPaymentRequired ||
			got.code != facilitator.CodeEscrowSessionClosed {
			t.Fatalf("use after the close on %s: %+v", in.o.name, got)
		}
	}
}

// Issue 12, defect 3: an upstream answering in 40 s, the session closed
// 3 s into it. The close waits close_wait (30 s by default), then seals the
// session: the request's commit at 40 s is refused, so the client gets 402
// and the capture is the opening call only. Captured = served.
func TestEscrowCloseDuringSlowUpstream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newInstance(opts{escrow: true})
	payerBefore := e.balance(e.payer.Address)
	s := e.openSession(a, 1_000_000)
	slow := make(chan answer, 1)
	go func() {
		slow <- sendPayment(t, a.url("/session/slow?sleep=40s"), usageHeader(t, s.req, s.info, "slow", ""))
	}()
	waitUntil(t, 10*time.Second, "the slow request to reach the upstream", func() bool { return e.hits.Load() >= 2 })
	time.Sleep(3 * time.Second) // the close comes in the middle
	start := time.Now()
	closed := sendPayment(t, a.url("/session/bye"), usageHeader(t, s.req, s.info, "close", "close"))
	got := <-slow
	t.Logf("close answered after %s; slow request: %d %q", time.Since(start).Round(time.Second), got.status, got.code)
	if closed.status != http.StatusOK || closed.resp == nil || closed.resp.Amount != fmt.Sprint(sessionPrice) {
		t.Fatalf("close: %+v %+v", closed, closed.resp)
	}
	if got.status != http.StatusPaymentRequired || got.code != facilitator.CodeEscrowSessionClosed {
		t.Fatalf("the request that outlived the close wait: %d %q, want 402 %s", got.status, got.code, facilitator.CodeEscrowSessionClosed)
	}
	e.waitEscrow(s.id, 0, sessionPrice, 30*time.Second)
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != sessionPrice {
		t.Fatalf("payer paid %s, want %d (the opening call only)", spent, sessionPrice)
	}
}

// waitUntil polls ok until it holds or d passes.
func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
