package reliability

import (
	"net/http"
	"testing"
	"time"
)

// kill -9 of Caddy while 20 served payments wait out a 30 s settle delay:
// the journal holds them, the restarted Caddy settles each exactly once at
// its original due time, and the 20 headers are refused as replays after
// the restart, before and after they settle.
func TestKill9WithPendingSettlements(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := newEnv(t)
	a := e.newInstance(opts{settleDelay: "30s"})
	payerBefore := e.balance(e.payer.Address)

	const n = 20
	ps := make([]payment, n)
	for k := range ps {
		ps[k] = e.pay(a.url("/paid/item"))
		if ps[k].status != http.StatusOK {
			t.Fatalf("payment %d: status %d", k, ps[k].status)
		}
	}
	served := time.Now()
	if got := e.hits.Load(); got != n {
		t.Fatalf("upstream served %d requests, want %d", got, n)
	}
	if b := e.balance(e.payTo); b.Sign() != 0 {
		t.Fatalf("payee already holds %s before the settle delay", b)
	}

	a.proc.Kill() // SIGKILL: no drain, no shutdown hook
	if b := e.balance(e.payTo); b.Sign() != 0 {
		t.Fatalf("payee holds %s after kill -9, before any settlement was due", b)
	}
	a.start() // same Caddyfile, same journal
	t.Logf("killed and restarted %s after the payments", time.Since(served).Round(time.Millisecond))

	// Replays right after the restart: the journal re-armed the guard.
	for k, p := range ps {
		if status, code := send(t, a.url("/paid/item"), p.header); status != http.StatusPaymentRequired || code != "invalid_exact_evm_nonce_already_used" {
			t.Errorf("replay %d after restart: %d %s, want 402 invalid_exact_evm_nonce_already_used", k, status, code)
		}
	}
	if got := e.hits.Load(); got != n {
		t.Fatalf("upstream served %d requests after the replays, want %d", got, n)
	}
	if b := e.balance(e.payTo); b.Sign() != 0 && time.Since(served) < 29*time.Second {
		t.Fatalf("settled before the original due time: payee holds %s", b)
	}

	e.waitBalance(bigInt(n*price), 90*time.Second)
	t.Logf("all %d settled %s after they were served", n, time.Since(served).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // a second settlement of any of them would land now
	e.checkSettled(payerBefore, ps)

	// Replays after settlement are still refused (the guard remembers each
	// payment until its authorization expires).
	for k, p := range ps[:5] {
		if status, _ := send(t, a.url("/paid/item"), p.header); status != http.StatusPaymentRequired {
			t.Errorf("replay %d after settlement: %d, want 402", k, status)
		}
	}
	if got := e.hits.Load(); got != n {
		t.Fatalf("upstream served %d requests, want %d", got, n)
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// A graceful stop (SIGINT, as `caddy stop` does through the admin API) with
// settlements waiting out a 30 s delay drains them at once: they are on
// chain when the process exits, and a restart on the same journal settles
// nothing again.
func TestGracefulStopDrains(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := newEnv(t)
	a := e.newInstance(opts{settleDelay: "30s"})
	payerBefore := e.balance(e.payer.Address)
	ps := make([]payment, 10)
	for k := range ps {
		if ps[k] = e.pay(a.url("/paid/item")); ps[k].status != http.StatusOK {
			t.Fatalf("payment %d: status %d", k, ps[k].status)
		}
	}
	stop := time.Now()
	a.stopGracefully(30 * time.Second)
	t.Logf("stopped (drained) in %s", time.Since(stop).Round(time.Millisecond))
	e.checkSettled(payerBefore, ps)
	a.start()
	time.Sleep(2 * time.Second)
	e.checkSettled(payerBefore, ps)
	if s, _ := send(t, a.url("/paid/item"), ps[0].header); s != http.StatusPaymentRequired {
		t.Fatalf("replay after the restart: %d", s)
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}
