package paywall

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// failingClaim fails every settlement attempt until ok is set.
type failingClaim struct{ ok atomic.Bool }

func (*failingClaim) Payer() string  { return "0xpayer" }
func (*failingClaim) Scheme() string { return facilitator.SchemeExact }
func (c *failingClaim) Settle(context.Context) (facilitator.SettleResponse, error) {
	if c.ok.Load() {
		return facilitator.SettleResponse{Success: true, Transaction: "0x01"}, nil
	}
	return facilitator.SettleResponse{}, errors.New("rpc down")
}
func (*failingClaim) Release(context.Context)            {}
func (*failingClaim) Queued() facilitator.SettleResponse { return facilitator.SettleResponse{} }
func (*failingClaim) Deadline() time.Time                { return time.Now().Add(time.Hour) }
func (*failingClaim) Entry() *Entry                      { return nil }
func (*failingClaim) Deferred() bool                     { return true }
func (q *SettlementQueue) waitLen(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for q.Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("queue length %d, want %d", q.Len(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// OldestAge counts from the first enqueue, across failed attempts, and is
// 0 once nothing waits.
func TestQueueOldestAge(t *testing.T) {
	q := NewSettlementQueue(QueueConfig{Workers: 1, MaxBackoff: 20 * time.Millisecond})
	defer q.Close(context.Background())
	if q.OldestAge() != 0 {
		t.Fatal("empty queue has an age")
	}
	c := &failingClaim{}
	if err := q.Reserve(); err != nil {
		t.Fatal(err)
	}
	q.Enqueue(c, "", "r", 0)
	// The age grows across failed attempts (a job being attempted is not
	// in the heap, so poll).
	deadline := time.Now().Add(20 * time.Second)
	for q.OldestAge() < 100*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("oldest age %v after failed attempts", q.OldestAge())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.ok.Store(true)
	q.waitLen(t, 0)
	if q.OldestAge() != 0 {
		t.Fatal("settled queue still has an age")
	}
}
