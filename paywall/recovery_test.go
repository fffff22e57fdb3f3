package paywall

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// interrupted leaves a payment as a crash during its synchronous settlement
// leaves it: claimed in the replay guard and journaled "settling", with no
// outcome. It returns the payment header and the journal entry id.
func (v *env) interrupted(rt *Route) (name, value, id string) {
	v.t.Helper()
	name, value = v.pay(v.payer, v.requirements("10000"), 2)
	req := httptest.NewRequest(http.MethodGet, "http://api.test/paid/data", nil)
	req.Header.Set(name, value)
	p, _, rej := rt.intake(req)
	if rej != nil {
		v.t.Fatalf("intake: %+v", rej)
	}
	claim, rej := rt.accept(req, p)
	if rej != nil {
		v.t.Fatalf("accept: %+v", rej.Err)
	}
	id, err := rt.record(claim, StateSettling, 0)
	if err != nil {
		v.t.Fatal(err)
	}
	return name, value, id
}

// A crash during a header-mode settlement is resolved from the chain when
// the journal is resumed: one whose settlement never reached the chain is
// released (the guard forgets it and the client's retry is served and
// charged once); one the chain already charged stays spent (the retry is
// refused) and is recorded settled with its transaction.
func TestResumeResolvesInterruptedSettlements(t *testing.T) {
	v := newEnv(t)
	j := v.journaled()
	rt := v.route(SettleHeader, "10000")
	before := v.balance(v.payee)

	nameA, valueA, idA := v.interrupted(rt)
	nameB, valueB, idB := v.interrupted(rt)
	// B's transaction was mined before the crash.
	var p facilitator.PaymentPayload
	if err := facilitator.DecodeHeader(valueB, 0, &p); err != nil {
		t.Fatal(err)
	}
	req := v.requirements("10000")
	sr, err := v.engine.Facilitator.Settle(context.Background(), &p, &req)
	if err != nil || !sr.Success {
		t.Fatalf("settling B: %+v %v", sr, err)
	}
	v.waitBalance(v.payee, add(before, 10000), 30*time.Second)

	if _, err := v.engine.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if state, _, reason, _ := j.Lookup(idA); state != "" {
		t.Fatalf("A is still %q (%s), want released", state, reason)
	}
	if state, tx, _, _ := j.Lookup(idB); state != StateSettled || tx != sr.Transaction {
		t.Fatalf("B is %q %s, want settled by %s", state, tx, sr.Transaction)
	}
	if w := v.do(rt, v.upstream(200), nameA, valueA); w.Code != http.StatusOK {
		t.Fatalf("A's retry: %d %s", w.Code, w.Body)
	}
	if w := v.do(rt, v.upstream(200), nameB, valueB); w.Code != http.StatusPaymentRequired {
		t.Fatalf("B's retry: %d, want 402", w.Code)
	}
	v.waitBalance(v.payee, add(before, 20000), 30*time.Second)
	if pending, _ := j.Pending(); len(pending) != 0 {
		t.Fatalf("%d journal entries still pending", len(pending))
	}
}

// opaqueFacilitator hides the router's SettlementResolver (as a remote
// facilitator has none).
type opaqueFacilitator struct{ facilitator.Facilitator }

// Without a resolver the interrupted settlement is settled again, as before.
func TestResumeSettlesAgainWithoutResolver(t *testing.T) {
	v := newEnv(t)
	j := v.journaled()
	rt := v.route(SettleHeader, "10000")
	before := v.balance(v.payee)
	_, _, id := v.interrupted(rt)
	v.engine.Facilitator = opaqueFacilitator{v.engine.Facilitator}
	if _, err := v.engine.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	v.waitBalance(v.payee, add(before, 10000), 30*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if state, _, _, _ := j.Lookup(id); state == StateSettled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the requeued settlement was not recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// broadcastingFacilitator reports a broadcast and then waits, like a
// settlement waiting for its receipt.
type broadcastingFacilitator struct {
	facilitator.Facilitator
	tx       string
	sent     chan struct{}
	release  chan struct{}
	sentOnce sync.Once
}

func (f *broadcastingFacilitator) Settle(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
	facilitator.Broadcast(ctx, f.tx)
	f.sentOnce.Do(func() { close(f.sent) })
	<-f.release
	return f.Facilitator.Settle(ctx, p, r)
}

// The broadcast hook puts every transaction sent for a payment in its
// journal entry, before it goes out.
func TestBroadcastIsJournaled(t *testing.T) {
	v := newEnv(t)
	j := v.journaled()
	f := &broadcastingFacilitator{Facilitator: v.engine.Facilitator, tx: "0xabcd", sent: make(chan struct{}), release: make(chan struct{})}
	v.engine.Facilitator = f
	rt := v.route(SettleHeader, "10000")
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	done := make(chan int)
	go func() { done <- v.do(rt, v.upstream(200), name, value).Code }()
	<-f.sent
	pending, _ := j.Pending()
	if len(pending) != 1 {
		t.Fatalf("%d pending entries", len(pending))
	}
	// Recorded before the broadcast: already in the entry.
	pending, _ = j.Pending()
	if len(pending) != 1 || pending[0].State != StateSettling || !slices.Contains(pending[0].Sent, f.tx) {
		t.Fatalf("entry %+v, want settling with %s sent", pending, f.tx)
	}
	close(f.release)
	if code := <-done; code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
}
