package reliability

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/paywall"
)

// Fifty payments served in `after` mode become due together; three went
// bad after they were served (the payer cancelled one's nonce on chain,
// one's authorization expired, one payer moved its whole balance away).
// The 47 good ones settle in one transaction, each bad one fails alone
// with its own reason, the journal holds exactly that (47 settled against
// the batch transaction, 3 failed with their codes), and the settlement key
// sent one transaction.
func TestBatchOfFiftyWithThreeBad(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := newEnv(t)
	a := e.newInstance(opts{settleDelay: "8s", network: "batch {\n\tsize 60\n\twait 6s\n}"})
	drained := e.accounts[3]
	payerBefore, drainedBefore := e.balance(e.payer.Address), e.balance(drained.Address)

	const good = 47
	ps := make([]payment, 0, good+3)
	for range good {
		ps = append(ps, e.signWith(a, e.payer.Key, time.Hour))
	}
	cancelled := e.signWith(a, e.payer.Key, time.Hour)
	expiring := e.signWith(a, e.payer.Key, 9*time.Second) // valid when served, not 8 s later
	unfunded := e.signWith(a, drained.Key, time.Hour)
	ps = append(ps, cancelled, expiring, unfunded)
	settlerNonce := e.nonceAt(a.o.settler.Address, "latest")

	sendAll(t, a.url("/paid/item"), ps, 10)
	served := time.Now()
	if got := e.hits.Load(); got != good+3 {
		t.Fatalf("upstream served %d, want %d", got, good+3)
	}
	// After being served, before settlement is due: the bad ones go bad.
	e.cancelAuthorization(e.payer, cancelled.nonce)
	e.tokenTx(drained.Key, testUSDC.PackTransfer(e.accounts[4].Address, e.balance(drained.Address)))
	if time.Since(served) > 6*time.Second {
		t.Fatalf("the setup took %s, longer than the settle delay allows", time.Since(served))
	}

	e.waitBalance(bigInt(good*price), 90*time.Second)
	a.waitQueueEmpty(60 * time.Second)
	t.Logf("47 settled %s after they were served", time.Since(served).Round(time.Millisecond))
	time.Sleep(time.Second) // a second settlement of any of them would land now
	if got := e.balance(e.payTo); got.Cmp(bigInt(good*price)) != 0 {
		t.Fatalf("payee holds %s, want %d", got, good*price)
	}
	if got := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); got.Cmp(bigInt(good*price)) != 0 {
		t.Fatalf("payer paid %s, want %d", got, good*price)
	}
	if got := e.balance(drained.Address); got.Sign() != 0 || drainedBefore.Sign() == 0 {
		t.Fatalf("drained payer holds %s (held %s)", got, drainedBefore)
	}
	if n := e.nonceAt(a.o.settler.Address, "latest"); n != settlerNonce+1 {
		t.Fatalf("the settlement key sent %d transactions, want 1", n-settlerNonce)
	}

	a.stopGracefully(30 * time.Second)
	recs := a.readJournal(ps)
	batchTx := recs[0].tx
	if len(batchTx) != 66 {
		t.Fatalf("journal: payment 0 settled in %q", batchTx)
	}
	for k := range good {
		if r := recs[k]; r.state != paywall.StateSettled || r.tx != batchTx {
			t.Errorf("journal: payment %d is %+v; want settled in %s", k, r, batchTx)
		}
	}
	for k, want := range []string{facilitator.CodeExactNonceUsed, facilitator.CodeExactValidBefore, facilitator.CodeExactInsufficientBalance} {
		if r := recs[good+k]; r.state != paywall.StateFailed || r.reason != want {
			t.Errorf("journal: bad payment %d is %+v; want failed with %s", k, r, want)
		}
	}
	rcpt := e.receipt(batchTx)
	if len(rcpt.Logs) != 2*good {
		t.Errorf("batch transaction has %d logs, want %d (AuthorizationUsed and Transfer per payment)", len(rcpt.Logs), 2*good)
	}
	for k := range good {
		if !e.authUsed(ps[k].from, ps[k].nonce) {
			t.Errorf("payment %d: authorization unused on chain", k)
		}
	}
	if e.authUsed(expiring.from, expiring.nonce) || e.authUsed(unfunded.from, unfunded.nonce) {
		t.Error("a failed payment's authorization is used on chain")
	}
	t.Logf("batch %s: %d gas for %d payments (%d per payment); total %s", batchTx, rcpt.GasUsed, good, rcpt.GasUsed/good, time.Since(start).Round(time.Millisecond))
}

// kill -9 of Caddy right after a batch went out, before its receipt: the
// journal already lists the batch transaction for every payment (written
// ahead of the broadcast). Restarted after the batch was mined, Caddy finds
// each payment settled by that transaction (its own) and records it;
// restarted while the batch is still in the pool, it adopts that
// transaction and waits for it instead of sending the payments again. Either
// way the key sends nothing more, each payment is recorded against the
// batch, and nothing is settled twice.
func TestKill9AfterBatchBroadcast(t *testing.T) {
	t.Parallel()
	for _, minedFirst := range []bool{true, false} {
		name := "mined before the restart"
		if !minedFirst {
			name = "still pending at the restart"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a := e.newInstance(opts{settleDelay: "1s", network: "batch {\n\tsize 100\n\twait 1s\n}"})
			payerBefore := e.balance(e.payer.Address)
			settler := a.o.settler.Address
			e.anvilRPC("evm_setAutomine", "false")
			const n = 20
			ps := make([]payment, n)
			for k := range ps {
				ps[k] = e.signWith(a, e.payer.Key, time.Hour)
			}
			base := e.nonceAt(settler, "latest")
			sendAll(t, a.url("/paid/item"), ps, 10)
			e.waitPendingNonce(settler, base+1, 30*time.Second) // the batch is in the pool
			a.proc.Kill()

			recs := a.readJournal(ps)
			var batchTx string
			for k, r := range recs {
				if !r.pendingPresent || r.state != paywall.StateQueued || len(r.sent) != 1 {
					t.Fatalf("journal after kill -9: payment %d is %+v; want queued with the batch transaction written ahead", k, r)
				}
				if batchTx == "" {
					batchTx = r.sent[0]
				}
				if r.sent[0] != batchTx {
					t.Fatalf("payment %d went out in %s, payment 0 in %s", k, r.sent[0], batchTx)
				}
			}
			if minedFirst {
				e.anvilRPC("evm_mine")
				e.waitBalance(bigInt(n*price), 30*time.Second)
			}
			a.start()
			if !minedFirst {
				waitOutput(t, a, "waiting for this payment's transaction sent before a restart", 60*time.Second)
				if got := e.nonceAt(settler, "pending"); got != base+1 {
					t.Fatalf("after the restart the key has %d transactions counting the pool, want the batch alone (%d)", got, base+1)
				}
				e.anvilRPC("evm_mine")
			}
			e.waitBalance(bigInt(n*price), 60*time.Second)
			a.waitQueueEmpty(60 * time.Second)
			e.anvilRPC("evm_mine") // anything still in the pool would land now
			time.Sleep(time.Second)
			e.checkSettled(payerBefore, ps)
			if got := e.nonceAt(settler, "latest") - base; got != 1 {
				t.Errorf("the settlement key sent %d transactions, want 1", got)
			}
			if r := e.receipt(batchTx); len(r.Logs) != 2*n {
				t.Errorf("the first batch %s has %d logs, want %d: it settled every payment", batchTx, len(r.Logs), 2*n)
			}
			a.stopGracefully(30 * time.Second)
			for k, r := range a.readJournal(ps) {
				if r.state != paywall.StateSettled || r.tx != batchTx {
					t.Errorf("journal after the restart: payment %d is %+v; want settled in %s", k, r, batchTx)
				}
			}
			if strings.Contains(a.proc.Output(), "replay incident") {
				t.Error("the restart reported a replay incident for its own batch")
			}
		})
	}
}

// waitOutput waits (at most d) until the instance's output holds text.
func waitOutput(t *testing.T, i *instance, text string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(i.proc.Output(), text) {
		if time.Now().After(deadline) || i.proc.Exited() {
			t.Fatalf("caddy did not log %q within %s", text, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
