package reliability

import (
	"fmt"
	"math/big"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// reloadErr runs `caddy reload` and returns its output on failure.
func (i *instance) reloadErr() (string, error) {
	i.writeCaddyfile()
	cmd := exec.Command(caddyBinary(i.e.t), "reload", "--config", i.caddyfile, "--adapter", "caddyfile", "--address", fmt.Sprintf("127.0.0.1:%d", i.admin))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Issue 12, defect 8: instance A serves a session from memory; a reload
// moves A to the Redis that instance B uses. The session moves with its
// committed use and used requestIds: B serves it and closes it, A (which
// holds the key) captures exactly what both served. A reload back to
// memory is refused with the reason, and A keeps serving from Redis.
func TestEscrowReloadMemoryToRedis(t *testing.T) {
	t.Parallel()
	r := testsvc.StartRedis(t)
	e := newEnv(t)
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], escrow: true})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], redis: r.URL(0), escrow: true})
	payerBefore := e.balance(e.payer.Address)
	s := e.openSession(a, 1_000_000)
	use := func(in *instance, rid string) answer {
		return sendPayment(t, in.url("/session/use"), usageHeader(t, s.req, s.info, rid, ""))
	}
	for k := 0; k < 2; k++ {
		if got := use(a, fmt.Sprintf("a-%d", k)); got.status != http.StatusOK {
			t.Fatalf("use on A before the reload: %+v", got)
		}
	}
	if got := use(b, "b-before"); got.status != http.StatusPaymentRequired || got.code != facilitator.CodeEscrowSessionUnknown {
		t.Fatalf("use on B before A moved to Redis: %+v", got)
	}

	a.o.redis = r.URL(0)
	a.reload()
	served := 3 // the opening call and two uses
	waitUntil(t, 20*time.Second, "B to serve the moved session", func() bool {
		got := use(b, fmt.Sprintf("b-%d", served))
		switch {
		case got.status == http.StatusOK:
			served++
			return true
		case got.code == facilitator.CodeEscrowSessionUnknown || got.status == http.StatusServiceUnavailable:
			return false
		}
		t.Fatalf("use on B after the reload: %+v", got)
		return false
	})
	if got := use(b, "a-1"); got.status != http.StatusPaymentRequired || got.code != facilitator.CodeEscrowDuplicateRequest {
		t.Fatalf("a requestId used before the move, on B: %+v", got)
	}
	if got := use(a, "a-after"); got.status != http.StatusOK {
		t.Fatalf("use on A after the reload: %+v", got)
	}
	served++

	a.o.redis = ""
	if out, err := a.reloadErr(); err == nil || !strings.Contains(out, "escrow sessions live in the shared store") {
		t.Fatalf("reload back to memory: %v\n%s", err, out)
	}
	a.o.redis = r.URL(0)
	if got := use(a, "a-after-refused-reload"); got.status != http.StatusOK {
		t.Fatalf("use on A after the refused reload: %+v", got)
	}
	served++

	closed := sendPayment(t, b.url("/session/bye"), usageHeader(t, s.req, s.info, "close", "close"))
	want := int64(served) * sessionPrice
	if closed.status != http.StatusOK || closed.resp == nil || closed.resp.Amount != fmt.Sprint(want) {
		t.Fatalf("close on B: %+v %+v; want %d captured", closed, closed.resp, want)
	}
	e.waitEscrow(s.id, 0, want, 30*time.Second)
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != want {
		t.Fatalf("payer paid %s, want %d (%d calls)", spent, want, served)
	}
}
