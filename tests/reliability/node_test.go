package reliability

import (
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The node is down for 20 s while settlements are due. It is stopped with
// SIGINT and started again on the same --state file, so the chain survives
// and Caddy sees what a lost RPC provider looks like: refused connections
// (a SIGSTOPped node would instead look like a hung one, whose calls simply
// finish late). Every settlement fails, backs off and is retried; all settle
// once the node is back, none twice, and paid requests keep being served
// while it is down because exact verification needs no RPC.
func TestNodeDownWhileSettling(t *testing.T) {
	t.Parallel()
	start := time.Now()
	state := filepath.Join(t.TempDir(), "anvil-state.json")
	e := newEnv(t, "--state", state)
	a := e.newInstance(opts{settleDelay: "2s"})
	payerBefore := e.balance(e.payer.Address)

	var ps []payment
	for k := 0; k < 20; k++ {
		p := e.pay(a.url("/paid/item"))
		if p.status != http.StatusOK {
			t.Fatalf("payment %d: status %d", k, p.status)
		}
		ps = append(ps, p)
	}
	_ = e.anvil.Signal(syscall.SIGINT) // dumps the state and exits
	if !e.anvil.Wait(15 * time.Second) {
		t.Fatal("anvil did not exit on SIGINT")
	}
	down := time.Now()
	if b := e.nodeAnswers(); b != "" {
		t.Fatalf("the node still answers after stopping: %s", b)
	}

	// Verification needs no RPC: new payments are served while it is down.
	for k := 0; k < 5; k++ {
		p := e.pay(a.url("/paid/more"))
		if p.status != http.StatusOK {
			t.Fatalf("payment while the node is down: status %d", p.status)
		}
		ps = append(ps, p)
	}
	time.Sleep(20*time.Second - time.Since(down))
	if !strings.Contains(a.proc.Output(), "x402 settlement failed; retrying") {
		t.Fatalf("no settlement was attempted while the node was down\n%s", a.proc.Tail(4096))
	}
	e.anvil.Restart(t)
	back := time.Now()
	t.Logf("node down for %s", back.Sub(down).Round(time.Millisecond))

	e.waitBalance(bigInt(int64(len(ps))*price), 90*time.Second)
	t.Logf("all %d settled %s after the node came back", len(ps), time.Since(back).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	e.checkSettled(payerBefore, ps)
	if got := e.hits.Load(); got != int64(len(ps)) {
		t.Fatalf("upstream served %d, want %d", got, len(ps))
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// The node hangs for 20 s (SIGSTOP: connections are accepted but nothing
// answers) while settlements are due: the attempts in flight wait, paid
// requests keep being served, and after SIGCONT every payment settles once.
func TestNodeHungWhileSettling(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := newEnv(t)
	a := e.newInstance(opts{settleDelay: "1s"})
	payerBefore := e.balance(e.payer.Address)
	var ps []payment
	for k := 0; k < 20; k++ {
		p := e.pay(a.url("/paid/item"))
		if p.status != http.StatusOK {
			t.Fatalf("payment %d: status %d", k, p.status)
		}
		ps = append(ps, p)
	}
	if err := e.anvil.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	hung := time.Now()
	t.Cleanup(func() { _ = e.anvil.Signal(syscall.SIGCONT) })
	for k := 0; k < 5; k++ {
		p := e.pay(a.url("/paid/more"))
		if p.status != http.StatusOK {
			t.Fatalf("payment while the node hangs: status %d", p.status)
		}
		ps = append(ps, p)
	}
	time.Sleep(20*time.Second - time.Since(hung))
	if err := e.anvil.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	e.waitBalance(bigInt(int64(len(ps))*price), 90*time.Second)
	t.Logf("all %d settled %s after the node resumed", len(ps), time.Since(back).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	e.checkSettled(payerBefore, ps)
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}
