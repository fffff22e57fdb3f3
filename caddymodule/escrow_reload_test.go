package caddymodule

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// A reload that changes the x402 app while a session request is in flight:
// the old runtime serves and commits it, the new runtime serves the next
// request. Both go through one escrow operator (pooled per ledger), so the
// next answer's balance counts the in-flight request too, and nothing is
// lost at capture. (With an operator per runtime the new one did not see
// the commit: a lost charge and a possible overdraft.)
func TestCaddyEscrowReloadKeepsOneOperator(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/session/slow" {
			entered <- struct{}{}
			<-release
		}
		fmt.Fprint(w, "ok")
	})
	payee := freshPayee(t, "reload")
	site := fmt.Sprintf(`	x402 /session/* {
		price 1000 units
		pay_to %s
		scheme escrow
	}
	reverse_proxy %s`, payee.Hex(), u.addr())
	cfg, ledger := escrowConfig(t, "capture_interval 1h", "settle_workers 2", site)
	startCaddy(t, cfg)
	c, _ := escrowPayer(devKey(t, 7), 200_000)
	paidGet(t, c, siteURL+"/session/open") // opens the session: 1000 committed
	s := stored(t, c)
	req := escrowRequirement(t, siteURL+"/session/x")

	done := make(chan int, 1)
	go func() {
		status, _, _ := send(t, siteURL+"/session/slow", usageHeader(t, req, s, "", "slow"))
		done <- status
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request never reached the upstream")
	}
	startCaddy(t, escrowConfigAt(ledger, "capture_interval 1h", "settle_workers 3", site)) // app change: new runtime
	close(release)
	if status := <-done; status != http.StatusOK {
		t.Fatalf("in-flight request across the reload: %d", status)
	}
	status, code, sr := send(t, siteURL+"/session/after", usageHeader(t, req, s, "", "after"))
	if status != http.StatusOK || sr == nil || sr.Session == nil {
		t.Fatalf("after the reload: %d %s", status, code)
	}
	if want := fmt.Sprint(200_000 - 3*1000); sr.Session.Balance != want {
		t.Fatalf("balance after the reload %s, want %s (the in-flight request must count)", sr.Session.Balance, want)
	}
}
