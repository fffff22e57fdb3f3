package paywall

import (
	"context"
	"encoding/hex"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestBoltJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := OpenBoltJournal(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, id := range []string{"a", "b", "c", "d"} {
		if err := j.Put(&Entry{ID: id, Scheme: "exact", State: StateQueued, Due: now, Deadline: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	settledIn := "0x" + strings.Repeat("ab", 32)
	_ = j.Finish("a", StateSettled, settledIn, "")
	_ = j.Finish("b", StateFailed, "", "invalid_exact_evm_insufficient_balance")
	_ = j.Finish("c", StateReleased, "", "")
	_ = j.Finish("zzz", StateSettled, "", "") // unknown ids are ignored
	// d's settlement went out twice (a replacement), the first reported twice.
	for _, tx := range []string{"0x01", "0x02", "0x01"} {
		if err := j.Broadcast("d", tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Broadcast("zzz", "0x03"); err != nil {
		t.Fatal(err)
	}
	j.Close()

	j, err = OpenBoltJournal(path, time.Hour) // as after a restart
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	pending, _ := j.Pending()
	if len(pending) != 1 || pending[0].ID != "d" {
		t.Fatalf("pending %+v", pending)
	}
	if sent := pending[0].Sent; len(sent) != 2 || sent[0] != "0x01" || sent[1] != "0x02" {
		t.Fatalf("d's broadcasts %v, want [0x01 0x02]", sent)
	}
	spent, _ := j.Spent(now)
	if len(spent) != 3 {
		t.Fatalf("spent %v", spent)
	}
	if _, ok := spent["c"]; ok {
		t.Fatal("released payment counted as spent")
	}
	failed, _ := j.Failed()
	if len(failed) != 1 || failed[0].Reason != "invalid_exact_evm_insufficient_balance" {
		t.Fatalf("failed %+v", failed)
	}
	for _, tc := range []struct {
		id         string
		state      State
		tx, reason string
	}{
		{"a", StateSettled, settledIn, ""},
		{"b", StateFailed, "", "invalid_exact_evm_insufficient_balance"},
		{"c", "", "", ""},
		{"d", StateQueued, "", ""},
		{"zzz", "", "", ""},
	} {
		state, tx, reason, err := j.Lookup(tc.id)
		if err != nil || state != tc.state || tx != tc.tx || reason != tc.reason {
			t.Errorf("Lookup(%s) = %q %q %q %v; want %q %q %q", tc.id, state, tx, reason, err, tc.state, tc.tx, tc.reason)
		}
	}
	if err := j.sweep(now.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if spent, _ := j.Spent(now); len(spent) != 1 { // only the pending d remains armed
		t.Fatalf("after sweep: %v", spent)
	}
}

// A crash with settlements waiting: the engine is abandoned without
// draining; a new engine on the same journal settles every one exactly
// once, and the payments stay refused as replays.
func TestRecoverAfterCrash(t *testing.T) {
	v := newEnv(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	j1, err := OpenBoltJournal(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	v.engine.Journal = j1
	v.engine.Queue = NewSettlementQueue(QueueConfig{Journal: j1})
	o, _ := NewExactOffer(v.requirements("10000"), "USDC", 6)
	rt := &Route{Offers: []*Offer{o}, SettleDelay: 800 * time.Millisecond}
	if err := rt.Init(v.engine); err != nil {
		t.Fatal(err)
	}
	payerAddr := crypto.PubkeyToAddress(v.payer.PublicKey)
	before := v.balance(payerAddr)
	var headers [][2]string
	for i := 0; i < 5; i++ {
		name, value := v.pay(v.payer, v.requirements("10000"), 2)
		if w := v.do(rt, v.upstream(200), name, value); w.Code != 200 {
			t.Fatalf("%d", w.Code)
		}
		headers = append(headers, [2]string{name, value})
	}
	// One of them reaches the chain before the crash but its outcome is
	// never recorded (crash between broadcast and record).
	pending, _ := j1.Pending()
	if len(pending) != 5 {
		t.Fatalf("journal holds %d pending payments, want 5", len(pending))
	}
	early, _ := restoreExact(v.engine, pending[0])
	if resp, err := early.Settle(context.Background()); err != nil || !resp.Success {
		t.Fatalf("early settle: %+v %v", resp, err)
	}
	// Crash: the old queue and guard vanish with the process.
	v.engine.Queue.abandon()
	j1.Close()

	j2, err := OpenBoltJournal(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	e2 := &Engine{Facilitator: v.engine.Facilitator, Guard: NewMemoryGuard(0, 0), Journal: j2, Queue: NewSettlementQueue(QueueConfig{Journal: j2}), Funds: v.engine.Funds}
	defer func() { e2.Close(context.Background()); j2.Close() }()
	n, err := e2.Recover(context.Background())
	if err != nil || n != 5 {
		t.Fatalf("resumed %d: %v", n, err)
	}
	v.waitBalance(payerAddr, new(big.Int).Sub(before, big.NewInt(50000)), 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	if got := v.balance(payerAddr); got.Cmp(new(big.Int).Sub(before, big.NewInt(50000))) != 0 {
		t.Fatalf("settled more than once: %s", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, _ := j2.Pending()
		if len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries still pending", len(p))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The restarted paywall still refuses the old headers.
	rt2 := &Route{Offers: []*Offer{o}, SettleDelay: time.Second}
	if err := rt2.Init(e2); err != nil {
		t.Fatal(err)
	}
	v.engine = e2
	for _, h := range headers {
		if w := v.do(rt2, v.upstream(200), h[0], h[1]); w.Code != 402 || decodeRequired(t, w).Error != facilitator.CodeExactNonceUsed {
			t.Fatalf("replay after restart: %d", w.Code)
		}
	}
}

// abandon drops every job and stops the workers without settling anything:
// what a kill -9 does to the in-memory queue.
func (q *SettlementQueue) abandon() {
	q.mu.Lock()
	q.jobs = nil
	q.reserved = 0
	if !q.closed {
		q.closed = true
		close(q.closing)
	}
	q.idle.Broadcast()
	q.mu.Unlock()
}

// Rearm fills a new, empty guard from the journal (spent and pending
// payments), without touching the queue.
func TestRearm(t *testing.T) {
	j, err := OpenBoltJournal(filepath.Join(t.TempDir(), "j.db"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	now := time.Now()
	ids := []string{"11", "22", "33"}
	keys := make([][32]byte, len(ids))
	for i := range ids {
		keys[i][0] = byte(i + 1)
		ids[i] = hexKey(keys[i])
		if err := j.Put(&Entry{ID: ids[i], Scheme: "exact", State: StateQueued, Due: now, Deadline: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Finish(ids[0], StateSettled, "0xabc", "")
	_ = j.Finish(ids[1], StateReleased, "", "")
	g := NewMemoryGuard(0, 0)
	defer g.Close()
	e := &Engine{Guard: g, Journal: j}
	n, err := e.Rearm(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Rearm = %d, %v; want 2 (settled and pending, not released)", n, err)
	}
	for i, want := range []error{ErrReplay, nil, ErrReplay} {
		if err := g.Claim(context.Background(), keys[i], now.Add(time.Hour)); err != want {
			t.Errorf("claim %d after Rearm: %v, want %v", i, err, want)
		}
	}
	if n, _ := e.Rearm(context.Background()); n != 0 {
		t.Fatalf("second Rearm claimed %d", n)
	}
}

func hexKey(k [32]byte) string { return hex.EncodeToString(k[:]) }
