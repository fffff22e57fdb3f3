package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/ethereum/go-ethereum/common"
)

// tok is the test sessions' token hash.
var tok = sha256.Sum256([]byte("sess_test"))

func testRecord(deposit int64) *escrow.SessionRecord {
	exp := uint64(time.Now().Add(time.Hour).Unix())
	return &escrow.SessionRecord{ID: "0x01", Network: "eip155:1337", Escrow: common.HexToAddress("0xe7").Hex(), Status: escrow.StatusActive,
		TokenHash:   hex.EncodeToString(tok[:]),
		PaymentInfo: escrow.PaymentInfo{MaxAmount: big.NewInt(deposit), PreApprovalExpiry: exp, AuthorizationExpiry: exp, RefundExpiry: exp + 86400, Salt: big.NewInt(1)}}
}

func TestSessionsReserveCommitRelease(t *testing.T) {
	r := testsvc.StartRedis(t)
	s := newGuard(t, r.URL(0), "sess").Sessions()
	ctx := context.Background()
	id := [32]byte{1}
	if err := s.Reserve(ctx, id, tok, "a", big.NewInt(10), time.Minute); !errors.Is(err, escrow.ErrSharedUnknown) {
		t.Fatalf("reserve on an unknown session: %v", err)
	}
	if err := s.Publish(ctx, id, testRecord(100), nil); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.Load(ctx, id); err != nil || rec == nil || rec.PaymentInfo.MaxAmount.Int64() != 100 || rec.TokenHash != hex.EncodeToString(tok[:]) {
		t.Fatalf("load: %+v %v", rec, err)
	}
	if err := s.Reserve(ctx, id, sha256.Sum256([]byte("guess")), "x", big.NewInt(10), time.Minute); !errors.Is(err, escrow.ErrSharedToken) {
		t.Fatalf("reserve with another token: %v", err)
	}
	for i, want := range []error{nil, escrow.ErrSharedDuplicate} {
		if err := s.Reserve(ctx, id, tok, "a", big.NewInt(60), time.Minute); !errors.Is(err, want) {
			t.Fatalf("reserve %d: %v, want %v", i, err, want)
		}
	}
	if err := s.Reserve(ctx, id, tok, "b", big.NewInt(50), time.Minute); !errors.Is(err, escrow.ErrSharedBalance) {
		t.Fatalf("overdraft reserve: %v", err)
	}
	bal, err := s.Commit(ctx, id, "a", big.NewInt(40)) // metered: less than reserved
	if err != nil || bal.Int64() != 60 {
		t.Fatalf("commit: %v %v", bal, err)
	}
	if err := s.Reserve(ctx, id, tok, "a", big.NewInt(1), time.Minute); !errors.Is(err, escrow.ErrSharedDuplicate) {
		t.Fatalf("committed requestId reused: %v", err)
	}
	if err := s.Reserve(ctx, id, tok, "b", big.NewInt(50), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, id, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, id, tok, "b", big.NewInt(60), time.Minute); err != nil {
		t.Fatalf("released requestId not reusable: %v", err)
	}
	if c, _ := s.Committed(ctx, id); c.Int64() != 40 {
		t.Fatalf("committed %v", c)
	}
}

// The close protocol: closing refuses new reservations at once on every
// instance; a reservation made before it still commits until the seal;
// after the seal nothing commits and the committed total is final.
func TestSessionsCloseProtocol(t *testing.T) {
	r := testsvc.StartRedis(t)
	a := newGuard(t, r.URL(0), "close").Sessions()
	b := newGuard(t, r.URL(0), "close").Sessions()
	ctx, id := context.Background(), [32]byte{4}
	if err := a.Publish(ctx, id, testRecord(1000), nil); err != nil {
		t.Fatal(err)
	}
	for _, rid := range []string{"r1", "r2", "r3"} {
		if err := b.Reserve(ctx, id, tok, rid, big.NewInt(100), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Commit(ctx, id, "r1", big.NewInt(100)); err != nil {
		t.Fatal(err)
	}
	other := sha256.Sum256([]byte("other"))
	if _, err := a.BeginClose(ctx, id, &other); !errors.Is(err, escrow.ErrSharedToken) {
		t.Fatalf("close with another token: %v", err)
	}
	if st, err := a.BeginClose(ctx, id, &tok); err != nil || st != escrow.StatusClosing {
		t.Fatalf("begin close: %s %v", st, err)
	}
	if st, err := a.BeginClose(ctx, id, nil); err != nil || st != escrow.StatusClosing {
		t.Fatalf("begin close again: %s %v", st, err)
	}
	if err := b.Reserve(ctx, id, tok, "late", big.NewInt(100), time.Minute); !errors.Is(err, escrow.ErrSharedClosed) {
		t.Fatalf("reserve while closing: %v", err)
	}
	if n, err := a.InFlight(ctx, id); err != nil || n != 2 {
		t.Fatalf("in flight %d %v, want 2", n, err)
	}
	if _, err := b.Commit(ctx, id, "r2", big.NewInt(100)); err != nil {
		t.Fatalf("commit of a reservation made before the close: %v", err)
	}
	final, err := a.Seal(ctx, id)
	if err != nil || final.Int64() != 200 {
		t.Fatalf("seal: %v %v, want 200", final, err)
	}
	if n, _ := a.InFlight(ctx, id); n != 0 {
		t.Fatalf("in flight after the seal: %d", n)
	}
	for _, rid := range []string{"r3", "never-reserved"} {
		if _, err := b.Commit(ctx, id, rid, big.NewInt(100)); !errors.Is(err, escrow.ErrSharedClosed) {
			t.Fatalf("commit of %s after the seal: %v", rid, err)
		}
	}
	if c, _ := a.Committed(ctx, id); c.Int64() != 200 {
		t.Fatalf("committed after the seal %v", c)
	}
	if _, _, ok, _ := b.Closed(ctx, id); ok {
		t.Fatal("closed before Finish")
	}
	if err := a.Finish(ctx, id, big.NewInt(200), "0xabc"); err != nil {
		t.Fatal(err)
	}
	if c, tx, ok, err := b.Closed(ctx, id); !ok || err != nil || c.Int64() != 200 || tx != "0xabc" {
		t.Fatalf("closed: %v %q %v %v", c, tx, ok, err)
	}
	if st, _ := b.BeginClose(ctx, id, &tok); st != escrow.StatusClosed {
		t.Fatalf("begin close on a closed session: %s", st)
	}
	states, err := b.States(ctx, [][32]byte{id, {9}})
	if err != nil || states[0].Status != escrow.StatusClosed || states[0].Committed.Int64() != 200 || states[1].Status != "" {
		t.Fatalf("states %+v %v", states, err)
	}
}

// A token recovery replaces the hash once per issuedAt; older or equal
// ones are refused.
func TestSessionsSetToken(t *testing.T) {
	r := testsvc.StartRedis(t)
	s := newGuard(t, r.URL(0), "tok").Sessions()
	ctx, id := context.Background(), [32]byte{5}
	_ = s.Publish(ctx, id, testRecord(100), nil)
	fresh := sha256.Sum256([]byte("sess_new"))
	if err := s.SetToken(ctx, id, fresh, 1000); err != nil {
		t.Fatal(err)
	}
	for _, at := range []uint64{1000, 999} {
		if err := s.SetToken(ctx, id, tok, at); !errors.Is(err, escrow.ErrSharedStale) {
			t.Fatalf("recovery at %d: %v", at, err)
		}
	}
	if err := s.Reserve(ctx, id, tok, "a", big.NewInt(1), time.Minute); !errors.Is(err, escrow.ErrSharedToken) {
		t.Fatalf("the old token after a recovery: %v", err)
	}
	if err := s.Reserve(ctx, id, fresh, "a", big.NewInt(1), time.Minute); err != nil {
		t.Fatalf("the new token: %v", err)
	}
}

// A session moved from an instance's own ledger keeps what it committed,
// its used requestIds and its reservations in flight; publishing a session
// that is already there changes nothing; a record published before the
// token hash had a field of its own still checks the token.
func TestSessionsPublishMoved(t *testing.T) {
	r := testsvc.StartRedis(t)
	s := newGuard(t, r.URL(0), "mv").Sessions()
	ctx, id := context.Background(), [32]byte{6}
	moved := &escrow.MovedSession{Status: escrow.StatusActive, Committed: big.NewInt(300), Requests: []string{"old-1", "old-2"},
		Reserved: map[string]*big.Int{"flight": big.NewInt(100)}}
	if err := s.Publish(ctx, id, testRecord(1000), moved); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx, id, testRecord(5), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, id, tok, "old-2", big.NewInt(1), time.Minute); !errors.Is(err, escrow.ErrSharedDuplicate) {
		t.Fatalf("a moved requestId: %v", err)
	}
	if err := s.Reserve(ctx, id, tok, "big", big.NewInt(601), time.Minute); !errors.Is(err, escrow.ErrSharedBalance) {
		t.Fatalf("reserve beyond deposit − committed − moved reservation: %v", err)
	}
	bal, err := s.Commit(ctx, id, "flight", big.NewInt(100))
	if err != nil || bal.Int64() != 600 {
		t.Fatalf("commit of the moved reservation: %v %v", bal, err)
	}
	// Legacy record: token hash only inside the record JSON.
	legacy := [32]byte{7}
	_ = s.Publish(ctx, legacy, testRecord(100), nil)
	if err := s.rdb.HDel(ctx, s.keys(legacy)[0], "tokenhash").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, legacy, tok, "a", big.NewInt(1), time.Minute); err != nil {
		t.Fatalf("legacy record, right token: %v", err)
	}
	if err := s.Reserve(ctx, legacy, [32]byte{}, "b", big.NewInt(1), time.Minute); !errors.Is(err, escrow.ErrSharedToken) {
		t.Fatalf("legacy record, wrong token: %v", err)
	}
}

// Reservations of an instance that died expire instead of locking the
// balance forever.
func TestSessionsReservationsExpire(t *testing.T) {
	r := testsvc.StartRedis(t)
	s := newGuard(t, r.URL(0), "exp").Sessions()
	ctx, id := context.Background(), [32]byte{2}
	_ = s.Publish(ctx, id, testRecord(100), nil)
	if err := s.Reserve(ctx, id, tok, "lost", big.NewInt(100), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, id, tok, "next", big.NewInt(100), time.Minute); !errors.Is(err, escrow.ErrSharedBalance) {
		t.Fatalf("before expiry: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Reserve(ctx, id, tok, "next", big.NewInt(100), time.Minute)
		if err == nil {
			break
		}
		if !errors.Is(err, escrow.ErrSharedBalance) || time.Now().After(deadline) {
			t.Fatalf("after expiry: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The late commit of the expired reservation cannot overdraw.
	if _, err := s.Commit(ctx, id, "lost", big.NewInt(100)); !errors.Is(err, escrow.ErrSharedBalance) {
		t.Fatalf("late commit: %v", err)
	}
}

// Two instances (two clients) spending one session concurrently: exactly
// deposit/price reservations succeed, committed never exceeds the deposit.
func TestSessionsNoOverdraftAcrossInstances(t *testing.T) {
	r := testsvc.StartRedis(t)
	a := newGuard(t, r.URL(0), "race").Sessions()
	b := newGuard(t, r.URL(0), "race").Sessions()
	ctx, id := context.Background(), [32]byte{3}
	_ = a.Publish(ctx, id, testRecord(500), nil)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			rid := fmt.Sprintf("r%d", i)
			switch err := s.Reserve(ctx, id, tok, rid, big.NewInt(10), time.Minute); {
			case err == nil:
				if _, err := s.Commit(ctx, id, rid, big.NewInt(10)); err != nil {
					t.Error(err)
				}
				ok.Add(1)
			case errors.Is(err, escrow.ErrSharedBalance):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	c, _ := a.Committed(ctx, id)
	if ok.Load() != 50 || refused.Load() != 150 || c.Int64() != 500 {
		t.Fatalf("%d served, %d refused, committed %v", ok.Load(), refused.Load(), c)
	}
}
