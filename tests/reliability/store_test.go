package reliability

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// The shared store loses its data while two Caddy instances serve: no
// payment either served is served again by either. The store loss tests
// follow one pattern: serve and settle payments through both instances,
// lose the data, resend every served header to both until each is refused
// as a replay (503 while the instances recover; never a 200), and check the
// upstream and the chain.

// serveThrough pays n times, alternating between the instances, and
// returns the payments (all served).
func serveThrough(t *testing.T, e *env, n int, ins ...*instance) []payment {
	t.Helper()
	var ps []payment
	for k := range n {
		in := ins[k%len(ins)]
		p := e.sign(in)
		if status, code := send(t, in.url(fmt.Sprintf("/paid/item-%d", k)), p.header); status != http.StatusOK {
			t.Fatalf("payment %d through %s: %d %s", k, in.o.name, status, code)
		}
		ps = append(ps, p)
	}
	return ps
}

// resendUntilRefused sends every payment to every instance, concurrently,
// until all are refused as replays, and fails the test at once if any is
// served. It returns how many answers were 503 (recovery in progress).
func resendUntilRefused(t *testing.T, e *env, ps []payment, d time.Duration, ins ...*instance) (unavailable int) {
	t.Helper()
	hits := e.hits.Load()
	deadline := time.Now().Add(d)
	for {
		var mu sync.Mutex
		replays, other := 0, []string{}
		var wg sync.WaitGroup
		for k, p := range ps {
			for _, in := range ins {
				wg.Add(1)
				go func() {
					defer wg.Done()
					status, code := send(t, in.url(fmt.Sprintf("/paid/again-%d", k)), p.header)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case status == http.StatusOK:
						t.Errorf("payment %d served a second time by %s", k, in.o.name)
					case status == http.StatusPaymentRequired && code == facilitator.CodeExactNonceUsed:
						replays++
					case status == http.StatusServiceUnavailable && code == facilitator.CodeServiceBusy:
						unavailable++
					default:
						other = append(other, fmt.Sprintf("%s: %d %s", in.o.name, status, code))
					}
				}()
			}
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		if len(other) > 0 {
			t.Fatalf("unexpected answers to replays: %v", other)
		}
		if got := e.hits.Load(); got != hits {
			t.Fatalf("the upstream was called %d times by replays", got-hits)
		}
		if replays == len(ps)*len(ins) {
			return unavailable
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d of %d replays are refused as such (the rest 503)", d, replays, len(ps)*len(ins))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// metrics sums a metric over instances.
func metrics(name string, ins ...*instance) float64 {
	sum := 0.0
	for _, in := range ins {
		if v := in.metric(name); v > 0 {
			sum += v
		}
	}
	return sum
}

// TestStoreLossFlushAndRestart: two instances on one Redis serve and settle
// 12 payments; FLUSHALL; every header resent to both is refused (0 served
// twice, upstream hits unchanged); the same after Redis restarts empty; the
// re-arm shows in the metrics, and new payments are served after each
// recovery. On chain every payment is charged exactly once.
func TestStoreLossFlushAndRestart(t *testing.T) {
	t.Parallel()
	r := testsvc.StartRedis(t)
	e := newEnv(t)
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], redis: r.URL(0)})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], redis: r.URL(0)})
	payerBefore := e.balance(e.payer.Address)

	ps := serveThrough(t, e, 12, a, b)
	e.waitBalance(bigInt(int64(len(ps))*price), 60*time.Second)
	for round, lose := range []func(){
		func() { r.CLI(t, "FLUSHALL") },
		func() { r.Restart(t) },
	} {
		rearmed := metrics(`caddy_x402_store_rearmed_total{kind="claims"}`, a, b)
		created := metrics(`caddy_x402_store_generations_total{origin="created"}`, a, b)
		lose()
		start := time.Now()
		busy := resendUntilRefused(t, e, ps, 60*time.Second, a, b)
		t.Logf("round %d: every replay refused %s after the loss (%d answers were 503 meanwhile)", round, time.Since(start).Round(time.Millisecond), busy)
		if got := metrics(`caddy_x402_store_rearmed_total{kind="claims"}`, a, b) - rearmed; got < float64(len(ps)) {
			t.Fatalf("round %d: %v claims re-armed, want at least the %d payments served", round, got, len(ps))
		}
		if got := metrics(`caddy_x402_store_generations_total{origin="created"}`, a, b) - created; got < 16 {
			t.Fatalf("round %d: %v new generations, want one per part (16)", round, got)
		}
		// Back to normal: new payments are served through both.
		a.waitStoreReady(30 * time.Second)
		b.waitStoreReady(30 * time.Second)
		ps = append(ps, serveThrough(t, e, 4, a, b)...)
	}
	e.waitBalance(bigInt(int64(len(ps))*price), 60*time.Second)
	if got := e.hits.Load(); got != int64(len(ps)) {
		t.Fatalf("upstream served %d requests for %d payments", got, len(ps))
	}
	time.Sleep(time.Second) // nothing settles twice after the last settlement
	e.checkSettled(payerBefore, ps)
	if n := metrics("caddy_x402_replay_incidents_total", a, b); n != 0 {
		t.Fatalf("%v replay incidents", n)
	}
}

// TestStoreLossSentinelFailover: a primary, a replica and three sentinels.
// A burst of payments is served while the replication link holds the
// primary's writes back, so that the burst's claims never reach the
// replica (asynchronous replication losing the last writes, made certain);
// the primary is killed (-9) right after and the replica promoted: it holds
// the generation marker (replicated long before) but not the burst's
// claims. Every burst header resent to
// both instances is refused, and paid requests are served again within
// seconds of the failover.
func TestStoreLossSentinelFailover(t *testing.T) {
	t.Parallel()
	set := testsvc.StartSentinelSet(t)
	e := newEnv(t)
	block := fmt.Sprintf("sentinel %s %s", set.MasterName, strings.Join(set.SentinelAddrs, " "))
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], storeBlock: block})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], storeBlock: block})
	payerBefore := e.balance(e.payer.Address)
	before := serveThrough(t, e, 4, a, b) // replicated

	rearmed := metrics(`caddy_x402_store_rearmed_total{kind="claims"}`, a, b)
	set.Link.Hold("PSYNC")
	burst := make([]payment, 8)
	var wg sync.WaitGroup
	for k := range burst {
		in := []*instance{a, b}[k%2]
		burst[k] = e.sign(in)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, code := send(t, in.url(fmt.Sprintf("/paid/burst-%d", k)), burst[k].header); status != http.StatusOK {
				t.Errorf("burst payment %d: %d %s", k, status, code)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	old := set.CurrentPrimary(t)
	set.Primary.Kill()
	killed := time.Now()
	set.Link.Cut()
	for set.CurrentPrimary(t) == old {
		if time.Since(killed) > 60*time.Second {
			t.Fatal("the sentinels did not promote the replica within 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("replica promoted %s after the kill", time.Since(killed).Round(time.Millisecond))
	all := append(append([]payment(nil), before...), burst...)
	resendUntilRefused(t, e, all, 60*time.Second, a, b)
	if got := metrics(`caddy_x402_store_rearmed_total{kind="claims"}`, a, b) - rearmed; got < float64(len(burst)) {
		t.Fatalf("%v claims re-armed after the failover, want at least the %d the promoted replica lacked", got, len(burst))
	}
	// Paid requests are back.
	deadline := time.Now().Add(60 * time.Second)
	for _, in := range []*instance{a, b} {
		for {
			p := e.sign(in)
			status, _ := send(t, in.url("/paid/after-failover"), p.header)
			if status == http.StatusOK {
				all = append(all, p)
				break
			}
			if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
				t.Fatalf("paid request on %s after the failover: %d", in.o.name, status)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Logf("paid requests served again %s after the kill", time.Since(killed).Round(time.Millisecond))
	e.waitBalance(bigInt(int64(len(all))*price), 60*time.Second)
	time.Sleep(time.Second)
	e.checkSettled(payerBefore, all)
}

// TestStoreOnRedisCluster: two instances on a 3-node Redis Cluster (the
// store's 16 parts spread over the nodes). Payments are served once across
// both; one node loses its data (FLUSHALL on that node only): its parts
// recover, every header is still refused everywhere, and new payments are
// served.
func TestStoreOnRedisCluster(t *testing.T) {
	t.Parallel()
	c := testsvc.StartRedisCluster(t, 3)
	e := newEnv(t)
	block := "cluster " + strings.Join(c.Addrs(), " ")
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], storeBlock: block})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], storeBlock: block})
	payerBefore := e.balance(e.payer.Address)

	ps := serveThrough(t, e, 12, a, b)
	// The same header at both instances at once: served once.
	p := e.sign(a)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for k, in := range []*instance{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); statuses[k], _ = send(t, in.url("/paid/race"), p.header) }()
	}
	wg.Wait()
	if (statuses[0] == 200) == (statuses[1] == 200) {
		t.Fatalf("one header at both instances: %v, want exactly one 200", statuses)
	}
	ps = append(ps, p)
	resendUntilRefused(t, e, ps, 30*time.Second, a, b)

	created := metrics(`caddy_x402_store_generations_total{origin="created"}`, a, b)
	c.Nodes[1].CLI(t, "FLUSHALL")
	resendUntilRefused(t, e, ps, 60*time.Second, a, b)
	if got := metrics(`caddy_x402_store_generations_total{origin="created"}`, a, b) - created; got < 1 || got >= 16 {
		t.Fatalf("%v new generations after one node's flush, want those of its parts only (1 to 15)", got)
	}
	a.waitStoreReady(30 * time.Second)
	b.waitStoreReady(30 * time.Second)
	ps = append(ps, serveThrough(t, e, 4, a, b)...)
	e.waitBalance(bigInt(int64(len(ps))*price), 60*time.Second)
	time.Sleep(time.Second)
	e.checkSettled(payerBefore, ps)
}
