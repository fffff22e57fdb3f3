package redisstore

import (
	"context"
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

func testRecord(deposit int64) *escrow.SessionRecord {
	exp := uint64(time.Now().Add(time.Hour).Unix())
	return &escrow.SessionRecord{ID: "0x01", Network: "eip155:1337", Escrow: common.HexToAddress("0xe7").Hex(), Status: escrow.StatusActive,
		PaymentInfo: escrow.PaymentInfo{MaxAmount: big.NewInt(deposit), PreApprovalExpiry: exp, AuthorizationExpiry: exp, RefundExpiry: exp + 86400, Salt: big.NewInt(1)}}
}

func TestSessionsReserveCommitRelease(t *testing.T) {
	r := testsvc.StartRedis(t)
	s := newGuard(t, r.URL(0), "sess").Sessions()
	ctx := context.Background()
	id := [32]byte{1}
	if err := s.Reserve(ctx, id, "a", big.NewInt(10), time.Minute); !errors.Is(err, escrow.ErrSharedUnknown) {
		t.Fatalf("reserve on an unknown session: %v", err)
	}
	if err := s.Publish(ctx, id, testRecord(100)); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.Load(ctx, id); err != nil || rec == nil || rec.PaymentInfo.MaxAmount.Int64() != 100 {
		t.Fatalf("load: %+v %v", rec, err)
	}
	for i, want := range []error{nil, escrow.ErrSharedDuplicate} {
		if err := s.Reserve(ctx, id, "a", big.NewInt(60), time.Minute); !errors.Is(err, want) {
			t.Fatalf("reserve %d: %v, want %v", i, err, want)
		}
	}
	if err := s.Reserve(ctx, id, "b", big.NewInt(50), time.Minute); !errors.Is(err, escrow.ErrSharedBalance) {
		t.Fatalf("overdraft reserve: %v", err)
	}
	bal, err := s.Commit(ctx, id, "a", big.NewInt(40)) // metered: less than reserved
	if err != nil || bal.Int64() != 60 {
		t.Fatalf("commit: %v %v", bal, err)
	}
	if err := s.Reserve(ctx, id, "a", big.NewInt(1), time.Minute); !errors.Is(err, escrow.ErrSharedDuplicate) {
		t.Fatalf("committed requestId reused: %v", err)
	}
	if err := s.Reserve(ctx, id, "b", big.NewInt(50), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, id, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, id, "b", big.NewInt(60), time.Minute); err != nil {
		t.Fatalf("released requestId not reusable: %v", err)
	}
	if c, _ := s.Committed(ctx, id); c.Int64() != 40 {
		t.Fatalf("committed %v", c)
	}
	if err := s.SetStatus(ctx, id, escrow.StatusClosing); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, id, "c", big.NewInt(1), time.Minute); !errors.Is(err, escrow.ErrSharedClosed) {
		t.Fatalf("reserve on a closing session: %v", err)
	}
	if st, _ := s.Status(ctx, id); st != escrow.StatusClosing {
		t.Fatalf("status %s", st)
	}
}

// Reservations of an instance that died expire instead of locking the
// balance forever.
func TestSessionsReservationsExpire(t *testing.T) {
	r := testsvc.StartRedis(t)
	s := newGuard(t, r.URL(0), "exp").Sessions()
	ctx, id := context.Background(), [32]byte{2}
	_ = s.Publish(ctx, id, testRecord(100))
	if err := s.Reserve(ctx, id, "lost", big.NewInt(100), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, id, "next", big.NewInt(100), time.Minute); !errors.Is(err, escrow.ErrSharedBalance) {
		t.Fatalf("before expiry: %v", err)
	}
	time.Sleep(80 * time.Millisecond)
	if err := s.Reserve(ctx, id, "next", big.NewInt(100), time.Minute); err != nil {
		t.Fatalf("after expiry: %v", err)
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
	_ = a.Publish(ctx, id, testRecord(500))
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
			switch err := s.Reserve(ctx, id, rid, big.NewInt(10), time.Minute); {
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
