package reliability

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// sendAndForget sends a paid request whose answer the test does not wait
// for (the instance is killed while it is under way).
func sendAndForget(url, header string) {
	go func() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set(facilitator.HeaderPaymentSignature, header)
		if resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req); err == nil {
			resp.Body.Close()
		}
	}()
}

// waitOutput waits until the instance printed want n times or more.
func (i *instance) waitOutput(want string, n int, d time.Duration) {
	i.e.t.Helper()
	deadline := time.Now().Add(d)
	for strings.Count(i.proc.Output(), want) < n {
		if i.proc.Exited() || time.Now().After(deadline) {
			i.e.t.Fatalf("caddy %s did not log %q (%d times) within %s\n%s", i.o.name, want, n, d, i.proc.Tail(4096))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitPool waits until anvil's pool holds n pending transactions.
func (e *env) waitPool(n int, d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for {
		out, err := testsvc.RPC(context.Background(), e.anvil.URL, "txpool_status")
		var st struct{ Pending hexutil.Uint64 }
		if err == nil && json.Unmarshal([]byte(out), &st) == nil && int(st.Pending) >= n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("anvil's pool holds no %d transactions within %s (%s %v)", n, d, out, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill -9 of Caddy during a `header` settlement, at three points, with a
// JSON-RPC proxy in front of anvil that holds eth_sendRawTransaction where
// the test wants it. The client never got its answer in any of them:
//
//   - before the broadcast: on restart the payment is released, and the
//     client's retry with the same header is served and paid once;
//   - after the broadcast (anvil mined it, Caddy never heard): on restart it
//     is settled once, and the retry is refused;
//   - broadcast and journaled but not mined (anvil not mining): on restart it
//     waits for the chain with the payment still claimed (the retry is
//     refused), and settles once the block is mined.
func TestKill9DuringHeaderSettlement(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := newEnv(t)
	proxy := testsvc.StartRPCProxy(t, e.anvil.URL)
	a := e.newInstance(opts{settle: "header", rpc: proxy.URL})
	url := a.url("/paid/item")
	ctx := context.Background()

	// 1. Killed before the broadcast.
	proxy.HoldCalls("eth_sendRawTransaction", testsvc.BeforeNode)
	p1 := e.sign(a)
	sendAndForget(url, p1.header)
	proxy.WaitHeld(t, time.Minute)
	a.proc.Kill()
	proxy.DropCalls()
	if e.authUsed(p1.from, p1.nonce) {
		t.Fatal("settled although the transaction never reached the node")
	}
	if n := e.hits.Load(); n != 1 {
		t.Fatalf("upstream hits %d, want 1", n)
	}
	a.start()
	a.waitOutput("nothing charged; the payment is released", 1, 30*time.Second)
	if status, code := send(t, url, p1.header); status != http.StatusOK {
		t.Fatalf("retry after a crash before the broadcast: %d %s, want 200", status, code)
	}
	e.waitBalance(bigInt(price), time.Minute)
	if !e.authUsed(p1.from, p1.nonce) {
		t.Fatal("the served retry was not settled")
	}

	// 2. Killed after the broadcast: anvil took and mined the transaction,
	// Caddy never got the node's answer.
	proxy.HoldCalls("eth_sendRawTransaction", testsvc.AfterNode)
	p2 := e.sign(a)
	sendAndForget(url, p2.header)
	proxy.WaitHeld(t, time.Minute)
	a.proc.Kill()
	proxy.DropCalls()
	deadline := time.Now().Add(time.Minute)
	for !e.authUsed(p2.from, p2.nonce) {
		if time.Now().After(deadline) {
			t.Fatal("anvil did not mine the broadcast settlement")
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.start()
	a.waitOutput("settled on chain; the payment stays spent", 1, 30*time.Second)
	if status, code := send(t, url, p2.header); status != http.StatusPaymentRequired || code != facilitator.CodeExactNonceUsed {
		t.Fatalf("retry after a crash after the broadcast: %d %s, want 402 %s", status, code, facilitator.CodeExactNonceUsed)
	}
	e.waitBalance(bigInt(2*price), time.Minute)
	if n := e.hits.Load(); n != 3 {
		t.Fatalf("upstream hits %d, want 3 (each first attempt and the released retry)", n)
	}

	// 3. Broadcast and journaled, not mined: anvil stops mining.
	if _, err := testsvc.RPC(ctx, e.anvil.URL, "evm_setAutomine", "false"); err != nil {
		t.Fatal(err)
	}
	p3 := e.sign(a)
	sendAndForget(url, p3.header)
	e.waitPool(1, time.Minute) // the journal recorded it before it went out
	a.proc.Kill()
	a.start()
	a.waitOutput("a transaction may still be mined; waiting", 1, 30*time.Second)
	if status, _ := send(t, url, p3.header); status != http.StatusPaymentRequired {
		t.Fatalf("retry while the broadcast waits in the pool: %d, want 402", status)
	}
	if e.authUsed(p3.from, p3.nonce) {
		t.Fatal("mined although anvil is not mining")
	}
	if _, err := testsvc.RPC(ctx, e.anvil.URL, "evm_setAutomine", "true"); err != nil {
		t.Fatal(err)
	}
	if _, err := testsvc.RPC(ctx, e.anvil.URL, "evm_mine"); err != nil {
		t.Fatal(err)
	}
	a.waitOutput("settled on chain; the payment stays spent", 1, time.Minute) // this process's first
	if status, _ := send(t, url, p3.header); status != http.StatusPaymentRequired {
		t.Fatalf("retry after the pending broadcast was mined: %d, want 402", status)
	}
	e.waitBalance(bigInt(3*price), time.Minute)
	if n := e.hits.Load(); n != 4 {
		t.Fatalf("upstream hits %d, want 4", n)
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}
