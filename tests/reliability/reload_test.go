package reliability

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// `caddy reload` while payments are being served and settled: one reload
// that changes only a route (the x402 runtime is kept, with its queue) and
// one that changes the x402 app (a new runtime; the old one drains its
// queue). Every served payment is settled exactly once, and payments served
// before a reload stay refused as replays after it.
func TestReloadDuringSettlements(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := newEnv(t)
	a := e.newInstance(opts{settleDelay: "3s"})
	payerBefore := e.balance(e.payer.Address)

	var mu sync.Mutex
	var ps []payment
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := 0; k < 60; k++ {
			select {
			case <-stop:
				return
			default:
			}
			p := e.pay(a.url("/paid/item"))
			if p.status != http.StatusOK {
				t.Errorf("payment %d during reloads: status %d", k, p.status)
				return
			}
			mu.Lock()
			ps = append(ps, p)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	paid := func() []payment { mu.Lock(); defer mu.Unlock(); return append([]payment(nil), ps...) }
	waitPaid := func(n int) {
		deadline := time.Now().Add(30 * time.Second)
		for len(paid()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d payments after 30s", len(paid()))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	waitPaid(10)
	a.o.description = "reloaded route" // route only: the runtime is reused
	a.reload()
	t.Logf("route reload after %d payments", len(paid()))
	waitPaid(20)
	a.o.queueCapacity = 5000 // the x402 app changes: a new runtime
	a.reload()
	t.Logf("app reload after %d payments", len(paid()))
	waitPaid(30)
	close(stop)
	<-done
	all := paid()
	if len(all) < 30 || t.Failed() {
		t.Fatalf("%d payments served", len(all))
	}
	if got := e.hits.Load(); got != int64(len(all)) {
		t.Fatalf("upstream served %d, want %d", got, len(all))
	}
	// Replays of payments made before each reload are still refused.
	for _, k := range []int{0, 5, 15, len(all) - 1} {
		if s, code := send(t, a.url("/paid/item"), all[k].header); s != http.StatusPaymentRequired {
			t.Errorf("replay of payment %d after the reloads: %d %s, want 402", k, s, code)
		}
	}
	if got := e.hits.Load(); got != int64(len(all)) {
		t.Fatalf("upstream served %d after replays, want %d", got, len(all))
	}
	e.waitBalance(bigInt(int64(len(all))*price), 60*time.Second)
	time.Sleep(2 * time.Second)
	e.checkSettled(payerBefore, all)
	t.Logf("%d payments settled; total %s", len(all), time.Since(start).Round(time.Millisecond))
}
