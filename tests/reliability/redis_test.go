package reliability

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// Two Caddy instances share one Redis (each with its own journal and its own
// facilitator key: one key per settler). One payment header sent to both at
// the same moment is served once: one 200 and one 402 replay, for every
// one of the rounds; on chain each payment is charged once.
func TestTwoInstancesOneRedis(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := testsvc.StartRedis(t)
	e := newEnv(t)
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], redis: r.URL(0)})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], redis: r.URL(0)})
	payerBefore := e.balance(e.payer.Address)

	const rounds = 10
	var ps []payment
	for round := 0; round < rounds; round++ {
		p := e.sign(a)
		var wg sync.WaitGroup
		status := make([]int, 2)
		codes := make([]string, 2)
		gate := make(chan struct{})
		for k, in := range []*instance{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				status[k], codes[k] = send(t, in.url("/paid/race"), p.header)
			}()
		}
		close(gate)
		wg.Wait()
		ok, replay := 0, 0
		for k := range status {
			switch {
			case status[k] == http.StatusOK:
				ok++
			case status[k] == http.StatusPaymentRequired && codes[k] == "invalid_exact_evm_nonce_already_used":
				replay++
			}
		}
		if ok != 1 || replay != 1 {
			t.Fatalf("round %d: statuses %v codes %q, want one 200 and one 402 replay", round, status, codes)
		}
		ps = append(ps, p)
	}
	if got := e.hits.Load(); got != rounds {
		t.Fatalf("upstream served %d requests, want %d", got, rounds)
	}
	// A payment served by one instance is a replay on the other later too.
	for _, in := range []*instance{a, b} {
		if s, _ := send(t, in.url("/paid/again"), ps[0].header); s != http.StatusPaymentRequired {
			t.Fatalf("later replay on %s: %d", in.o.name, s)
		}
	}
	e.waitBalance(bigInt(rounds*price), 60*time.Second)
	time.Sleep(2 * time.Second)
	e.checkSettled(payerBefore, ps)

	// Redis gone: a paid request cannot be guarded, so it is refused with
	// 503 + Retry-After and not served (never served unguarded).
	r.Kill()
	p := e.sign(a)
	req, _ := http.NewRequest(http.MethodGet, a.url("/paid/no-redis"), nil)
	req.Header.Set(facilitator.HeaderPaymentSignature, p.header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("paid request with redis down: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := e.hits.Load(); got != rounds {
		t.Fatalf("upstream served %d requests, want %d", got, rounds)
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}
