package escrow

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/crypto"
)

// state reads the session's payment on the escrow.
func (e *opEnv) state(s *Session) PaymentState {
	e.t.Helper()
	st, err := e.op.contract.PaymentState(context.Background(), s.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// openUsed opens a session of deposit and commits the opening call and n
// more.
func (e *opEnv) openUsed(deposit int64, n int) (*Opened, *SessionRef) {
	e.t.Helper()
	opened := e.open(e.creation(e.payer, deposit, time.Hour, nil))
	if _, err := opened.Reservation.Commit(nil); err != nil {
		e.t.Fatal(err)
	}
	ref := &SessionRef{ID: opened.Session.IDHex(), Token: opened.Token}
	for i := 0; i < n; i++ {
		r, xe, err := e.op.Reserve(ctx0, ref, "use-"+string(rune('a'+i)), e.price, &e.req)
		if xe != nil || err != nil {
			e.t.Fatal(xe, err)
		}
		if _, err := r.Commit(nil); err != nil {
			e.t.Fatal(err)
		}
	}
	return opened, ref
}

// A close refuses new use at once, lets a request in flight commit while it
// waits, and captures exactly what was committed, that request included.
func TestCloseWaitsForRequestsInFlight(t *testing.T) {
	e := newOpEnv(t, func(c *Config) { c.CloseWait = 20 * time.Second })
	opened, ref := e.openUsed(1_000_000, 2)
	inFlight, xe, _ := e.op.Reserve(ctx0, ref, "in-flight", e.price, &e.req)
	if xe != nil {
		t.Fatal(xe)
	}
	done := make(chan *CloseResult, 1)
	go func() {
		res, xe, err := e.op.Close(context.Background(), ref)
		if xe != nil || err != nil {
			t.Errorf("close: %v %v", xe, err)
		}
		done <- res
	}()
	waitFor(t, 10*time.Second, "the session to be closing", func() bool { return opened.Session.Status() == StatusClosing })
	if _, xe, _ := e.op.Reserve(ctx0, ref, "after-close", e.price, &e.req); xe == nil || xe.Code != facilitator.CodeEscrowSessionClosed {
		t.Fatalf("use while closing: %v", xe)
	}
	if _, err := inFlight.Commit(nil); err != nil {
		t.Fatalf("commit of a request in flight while the close waits: %v", err)
	}
	res := <-done
	want := big.NewInt(4 * 10_000)
	if res == nil || res.Captured.Cmp(want) != 0 || res.Session.Status != StatusClosed {
		t.Fatalf("close result %+v; want captured %s", res, want)
	}
	if st := e.state(opened.Session); st.RefundableAmount.Cmp(want) != 0 || st.CapturableAmount.Sign() != 0 {
		t.Fatalf("escrow state %+v, want captured %s and nothing held", st, want)
	}
}

// A request still in flight when the close wait ends is refused at its
// commit (not charged, not served as paid): captured = committed = served.
func TestCloseSealsLateRequests(t *testing.T) {
	e := newOpEnv(t, func(c *Config) { c.CloseWait = 300 * time.Millisecond })
	opened, ref := e.openUsed(1_000_000, 1)
	late, xe, _ := e.op.Reserve(ctx0, ref, "late", e.price, &e.req)
	if xe != nil {
		t.Fatal(xe)
	}
	res, xe, err := e.op.Close(context.Background(), ref)
	if xe != nil || err != nil {
		t.Fatal(xe, err)
	}
	if _, err := late.Commit(nil); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("commit after the seal: %v, want ErrSessionClosed", err)
	}
	want := big.NewInt(2 * 10_000)
	if res.Captured.Cmp(want) != 0 {
		t.Fatalf("captured %s, want %s", res.Captured, want)
	}
	if st := e.state(opened.Session); st.RefundableAmount.Cmp(want) != 0 || st.CapturableAmount.Sign() != 0 {
		t.Fatalf("escrow state %+v", st)
	}
	if info := opened.Session.Info(); info.Committed != want.String() {
		t.Fatalf("committed %s, want %s", info.Committed, want)
	}
}

// A close cut short after it became closing (a crash) is finished by the
// capture worker of the next process: captured the use, voided the rest.
func TestCloseResumedAfterRestart(t *testing.T) {
	e := newOpEnv(t, func(c *Config) { c.CaptureThreshold = big.NewInt(1 << 60) })
	opened, _ := e.openUsed(1_000_000, 3)
	if err := e.op.update(opened.Session, func(r *SessionRecord) { r.Status = StatusClosing }); err != nil {
		t.Fatal(err)
	}
	e.op.Stop()
	e.op.ledger.Close()
	e.op = e.start(nil)
	s, _ := e.op.Session(opened.Session.ID)
	waitFor(t, 20*time.Second, "the worker to finish the close", func() bool { return s.Status() == StatusClosed })
	if st := e.state(s); st.RefundableAmount.Int64() != 4*10_000 || st.CapturableAmount.Sign() != 0 {
		t.Fatalf("escrow state %+v, want 40000 captured and nothing held", st)
	}
}

// A capture recorded with its transaction before a crash is not sent again:
// the next process finds it mined and captures only what is new.
func TestCaptureIntentNotRepeated(t *testing.T) {
	e := newOpEnv(t, func(c *Config) { c.CaptureThreshold = big.NewInt(1 << 60) })
	opened, _ := e.openUsed(1_000_000, 4) // 50000 committed
	s := opened.Session
	s.work.Lock()
	if _, err := e.op.captureTo(context.Background(), s, big.NewInt(50_000)); err != nil {
		t.Fatal(err)
	}
	s.work.Unlock()
	// As if the process died after broadcasting: the intent is still there.
	nonce := uint64(0)
	if err := e.op.update(s, func(r *SessionRecord) { r.CaptureTarget, r.CaptureTx, r.CaptureNonce = "50000", "0x01", &nonce }); err != nil {
		t.Fatal(err)
	}
	e.op.Stop()
	e.op.ledger.Close()
	e.op = e.start(nil)
	s, _ = e.op.Session(s.ID)
	waitFor(t, 20*time.Second, "the intent to be settled", func() bool { return s.record().CaptureTarget == "" })
	if st := e.state(s); st.RefundableAmount.Int64() != 50_000 {
		t.Fatalf("captured %s after the restart, want 50000 (no second capture)", st.RefundableAmount)
	}
}

// An authorize that the opening request did not see mined (a lost receipt)
// makes the session an orphan: the worker activates it from the chain, the
// payer recovers a token with a signed recovery (once; not with the
// deposit signature, not with another key), and spends it.
func TestOrphanSessionRecovered(t *testing.T) {
	e := newOpEnv(t, nil)
	opened, _ := e.openUsed(1_000_000, 0)
	s := opened.Session
	// The ledger as a lost receipt leaves it: opening, authorize mined.
	if err := e.op.update(s, func(r *SessionRecord) { r.Status = StatusOpening }); err != nil {
		t.Fatal(err)
	}
	e.op.Stop()
	e.op.ledger.Close()
	e.op = e.start(nil)
	s, _ = e.op.Session(s.ID)
	waitFor(t, 20*time.Second, "the worker to activate the session", func() bool { return s.Status() == StatusActive })
	if !s.record().Orphan {
		t.Fatal("an activated session nobody got the token of is not marked orphan")
	}
	now := uint64(time.Now().Unix())
	stranger, _ := crypto.GenerateKey()
	for name, rc := range map[string]*Recovery{
		"another key":       must(SignRecovery(stranger, 1337, e.chain.Escrow, s.ID, now)),
		"stale":             must(SignRecovery(e.payer, 1337, e.chain.Escrow, s.ID, now-3600)),
		"deposit signature": {IssuedAt: "1", Signature: s.record().Signature},
	} {
		if r, xe, err := e.op.Recover(context.Background(), s.IDHex(), rc); r != nil || err != nil || xe == nil || xe.Code != facilitator.CodeEscrowRecovery {
			t.Fatalf("recovery with %s: %+v %v %v", name, r, xe, err)
		}
	}
	rc := must(SignRecovery(e.payer, 1337, e.chain.Escrow, s.ID, now))
	got, xe, err := e.op.Recover(context.Background(), s.IDHex(), rc)
	if xe != nil || err != nil || got.Token == "" || got.Balance.Int64() != 990_000 {
		t.Fatalf("recovery: %+v %v %v", got, xe, err)
	}
	if _, xe, _ := e.op.Recover(context.Background(), s.IDHex(), rc); xe == nil || xe.Code != facilitator.CodeEscrowRecovery {
		t.Fatalf("the same recovery again: %v", xe)
	}
	if s.record().Orphan {
		t.Fatal("still an orphan after the recovery")
	}
	ref := &SessionRef{ID: s.IDHex(), Token: got.Token}
	if r, xe, _ := e.op.Reserve(ctx0, ref, "after-recovery", e.price, &e.req); xe != nil {
		t.Fatalf("use with the recovered token: %v", xe)
	} else {
		r.Release()
	}
	if _, xe, _ := e.op.Reserve(ctx0, &SessionRef{ID: s.IDHex(), Token: opened.Token}, "old-token", e.price, &e.req); xe == nil || xe.Code != facilitator.CodeEscrowSessionToken {
		t.Fatalf("use with the token from before the recovery: %v", xe)
	}
}

// An orphan nobody recovers within the recovery window is closed: what was
// used is captured, the deposit's rest voided back.
func TestOrphanSessionVoided(t *testing.T) {
	e := newOpEnv(t, func(c *Config) { c.RecoveryWindow = time.Second })
	opened, _ := e.openUsed(1_000_000, 0)
	s := opened.Session
	if err := e.op.update(s, func(r *SessionRecord) { r.Status = StatusOpening }); err != nil {
		t.Fatal(err)
	}
	e.op.kick()
	waitFor(t, 30*time.Second, "the orphan to be closed", func() bool { return s.Status() == StatusClosed })
	if st := e.state(s); st.CapturableAmount.Sign() != 0 || st.RefundableAmount.Int64() != 10_000 {
		t.Fatalf("escrow state %+v, want the opening call captured and the rest voided", st)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
