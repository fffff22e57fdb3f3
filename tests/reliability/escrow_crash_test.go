package reliability

import (
	"fmt"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// closing starts a close of s on i in the background and waits until the
// session refuses new use (the close's first step), counting the uses that
// were served meanwhile.
func (e *env) closing(i *instance, s *session, timeout time.Duration) (served int) {
	e.t.Helper()
	go func() {
		req, _ := http.NewRequest(http.MethodGet, i.url("/session/bye"), nil)
		req.Header.Set(facilitator.HeaderPaymentSignature, usageHeader(e.t, s.req, s.info, "close", "close"))
		if resp, err := (&http.Client{Timeout: timeout}).Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for k := 0; ; k++ {
		got := sendPayment(e.t, i.url("/session/probe"), usageHeader(e.t, s.req, s.info, fmt.Sprintf("probe-%d", k), ""))
		switch {
		case got.status == http.StatusOK:
			served++
		case got.status == http.StatusPaymentRequired && got.code == facilitator.CodeEscrowSessionClosed:
			return served
		default:
			e.t.Fatalf("probe while closing: %+v", got)
		}
		if k > 200 {
			e.t.Fatal("the session never became closing")
		}
	}
}

// Issue 12, defect 4: kill -9 in the middle of a close (it is waiting for
// a request in flight). The restarted Caddy's capture worker finishes the
// close by itself: what was committed is captured, the rest voided.
func TestEscrowKill9DuringClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newInstance(opts{escrow: true, escrowOptions: "close_wait 60s"})
	payerBefore := e.balance(e.payer.Address)
	s := e.openSession(a, 1_000_000)
	for k := 0; k < 2; k++ {
		if got := sendPayment(t, a.url("/session/use"), usageHeader(t, s.req, s.info, fmt.Sprintf("use-%d", k), "")); got.status != http.StatusOK {
			t.Fatalf("use %d: %+v", k, got)
		}
	}
	go func() { // cut off by the kill: never answered, never charged
		req, _ := http.NewRequest(http.MethodGet, a.url("/session/slow?sleep=60s"), nil)
		req.Header.Set(facilitator.HeaderPaymentSignature, usageHeader(t, s.req, s.info, "slow", ""))
		if resp, err := (&http.Client{Timeout: 90 * time.Second}).Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitUntil(t, 10*time.Second, "the slow request at the upstream", func() bool { return e.hits.Load() >= 4 })
	served := e.closing(a, s, 90*time.Second)
	a.proc.Kill()
	want := int64(3+served) * sessionPrice
	if st, err := e.escrowState(s.id); err != nil || st.CapturableAmount.Cmp(big.NewInt(1_000_000)) != 0 {
		t.Fatalf("escrow state right after the kill %+v %v: the close should not have captured yet", st, err)
	}
	a.start()
	restarted := time.Now()
	e.waitEscrow(s.id, 0, want, 30*time.Second)
	t.Logf("close finished %s after the restart (capture_interval 1s)", time.Since(restarted).Round(10*time.Millisecond))
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != want {
		t.Fatalf("payer paid %s, want %d", spent, want)
	}
}

// Issue 12, defect 4: the RPC hangs while a close runs (its capture and
// void cannot be sent or confirmed; the client gives up). Once the RPC
// answers again the close completes by itself.
func TestEscrowRPCHangDuringClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	proxy := testsvc.StartRPCProxy(t, e.anvil.URL)
	a := e.newInstance(opts{escrow: true, rpc: proxy.URL, receiptTime: "10s", escrowOptions: "close_wait 1s"})
	payerBefore := e.balance(e.payer.Address)
	s := e.openSession(a, 1_000_000)
	if got := sendPayment(t, a.url("/session/use"), usageHeader(t, s.req, s.info, "use", "")); got.status != http.StatusOK {
		t.Fatalf("use: %+v", got)
	}
	proxy.Hang()
	served := e.closing(a, s, 5*time.Second)
	time.Sleep(6 * time.Second) // the client's close request times out against the hung node
	if st, err := e.escrowState(s.id); err != nil || st.CapturableAmount.Cmp(big.NewInt(1_000_000)) != 0 {
		t.Fatalf("escrow state during the hang %+v %v", st, err)
	}
	proxy.Release()
	released := time.Now()
	want := int64(2+served) * sessionPrice
	e.waitEscrow(s.id, 0, want, 30*time.Second)
	t.Logf("close finished %s after the RPC answered again", time.Since(released).Round(10*time.Millisecond))
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != want {
		t.Fatalf("payer paid %s, want %d", spent, want)
	}
}
