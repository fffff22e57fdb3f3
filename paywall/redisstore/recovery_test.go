package redisstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall"
	"github.com/redis/go-redis/v9"
)

// journal stands for one instance's journal: what it served, listed for a
// re-arm. hold, when set, blocks the re-arm until closed (a slow instance).
type journal struct {
	mu     sync.Mutex
	claims map[[32]byte]time.Time
	hold   chan struct{}
	calls  atomic.Int32
}

func newJournal() *journal { return &journal{claims: map[[32]byte]time.Time{}} }

func (j *journal) source() (*paywall.RearmSet, error) {
	j.calls.Add(1)
	j.mu.Lock()
	hold := j.hold
	j.mu.Unlock()
	if hold != nil {
		<-hold
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	set := &paywall.RearmSet{}
	for k, until := range j.claims {
		set.Claims = append(set.Claims, paywall.RearmClaim{Key: k, Until: until})
	}
	return set, nil
}

// serve claims k on s as a paid request would, and journals it.
func (j *journal) serve(t *testing.T, s *Store, k [32]byte) {
	t.Helper()
	until := time.Now().Add(10 * time.Minute)
	if err := s.Claim(context.Background(), k, until); err != nil {
		t.Fatalf("claim %x: %v", k[:2], err)
	}
	j.mu.Lock()
	j.claims[k] = until
	j.mu.Unlock()
}

// counter counts recovery events.
type counter struct {
	created, joined, claims, exposures atomic.Int64
	refusing                           atomic.Int64
}

func (c *counter) StoreGeneration(created bool) {
	if created {
		c.created.Add(1)
	} else {
		c.joined.Add(1)
	}
}
func (c *counter) StoreRearmed(claims, exposures int) {
	c.claims.Add(int64(claims))
	c.exposures.Add(int64(exposures))
}
func (c *counter) StoreRecovering(parts int) { c.refusing.Store(int64(parts)) }

// instance is a store with its journal and its event counter.
type instance struct {
	s *Store
	j *journal
	c *counter
}

func startInstance(t *testing.T, o Options) *instance {
	t.Helper()
	in := &instance{j: newJournal(), c: &counter{}}
	o.Observer = in.c
	in.s = startStore(t, o, in.j.source)
	return in
}

// spread is a payment key in part p.
func spread(p, i int) [32]byte {
	var k [32]byte
	k[0], k[1], k[2] = byte(p), byte(i), byte(i>>8)
	k[31] = 0x5a
	return k
}

// mustNotServe claims every key on s and fails the test if any claim is
// accepted: each was served already, so the answer must be a replay or
// "recovering" (503), never a pass. It returns how many were replays.
func mustNotServe(t *testing.T, s *Store, keys [][32]byte) (replays int) {
	t.Helper()
	for _, k := range keys {
		switch err := s.Claim(context.Background(), k, time.Now().Add(time.Minute)); {
		case err == nil:
			t.Fatalf("payment %x served a second time", k[:3])
		case errors.Is(err, paywall.ErrReplay):
			replays++
		case errors.Is(err, paywall.ErrStoreRecovering):
		default:
			t.Fatalf("claim %x: %v", k[:3], err)
		}
	}
	return replays
}

// After FLUSHALL no payment served by either instance is served again, on
// either: claims are refused during the recovery, and afterwards every
// payment is a replay everywhere. The recovery is short.
func TestFlushAllRecoversEveryInstancesPayments(t *testing.T) {
	r := testsvc.StartRedis(t)
	a := startInstance(t, Options{URL: r.URL(0), Namespace: "loss"})
	b := startInstance(t, Options{URL: r.URL(0), Namespace: "loss"})
	var keys [][32]byte
	for i := range 64 {
		k := spread(i%Partitions, i)
		keys = append(keys, k)
		in := a
		if i%2 == 1 {
			in = b
		}
		in.j.serve(t, in.s, k)
	}
	// Both instances must know each other before the loss.
	time.Sleep(3 * fastRecovery.Heartbeat)
	createdBefore := a.c.created.Load() + b.c.created.Load() // the first start on an empty Redis
	claimsBefore := a.c.claims.Load() + b.c.claims.Load()
	r.CLI(t, "FLUSHALL")
	start := time.Now()
	fresh := spread(3, 999)
	deadline := start.Add(10 * time.Second)
	for !(a.s.Ready() && b.s.Ready() && mustNotServe(t, a.s, keys) == len(keys) && mustNotServe(t, b.s, keys) == len(keys)) {
		if time.Now().After(deadline) {
			t.Fatalf("not recovered within 10 s (a ready %v, b ready %v)", a.s.Ready(), b.s.Ready())
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	if err := a.s.Claim(context.Background(), fresh, time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("a new payment after the recovery: %v", err)
	}
	if err := b.s.Claim(context.Background(), fresh, time.Now().Add(time.Minute)); !errors.Is(err, paywall.ErrReplay) {
		t.Fatalf("the new payment on the other instance: %v", err)
	}
	if took < fastRecovery.Join {
		t.Fatalf("recovered in %s, before the join window (%s) passed", took, fastRecovery.Join)
	}
	if created := a.c.created.Load() + b.c.created.Load() - createdBefore; created != Partitions {
		t.Fatalf("%d generations created, want one per part (%d)", created, Partitions)
	}
	if n := a.c.claims.Load() + b.c.claims.Load() - claimsBefore; n != 64 {
		t.Fatalf("%d claims re-armed after the loss, want 64", n)
	}
	t.Logf("recovered in %s", took.Round(time.Millisecond))
}

// The trap: the instance that notices the loss first must not resume
// before the others have put their payments back. Instance b re-arms
// slowly; until it has, a keeps refusing claims, long after the join window.
func TestRecoveryWaitsForEveryMember(t *testing.T) {
	r := testsvc.StartRedis(t)
	o := Options{URL: r.URL(0), Namespace: "slow", Recovery: RecoveryOptions{Heartbeat: 100 * time.Millisecond, Join: 300 * time.Millisecond, Timeout: 20 * time.Second}}
	a, b := startInstance(t, o), startInstance(t, o)
	var bKeys [][32]byte
	for i := range 32 {
		k := spread(i%Partitions, i)
		bKeys = append(bKeys, k)
		b.j.serve(t, b.s, k)
	}
	time.Sleep(3 * o.Recovery.Heartbeat)
	hold := make(chan struct{})
	b.j.mu.Lock()
	b.j.hold = hold
	b.j.mu.Unlock()
	r.CLI(t, "FLUSHALL")
	// a notices on its next claim and starts the recovery.
	if err := a.s.Claim(context.Background(), bKeys[0], time.Now().Add(time.Minute)); !errors.Is(err, paywall.ErrStoreRecovering) {
		t.Fatalf("first claim after the flush: %v, want ErrStoreRecovering", err)
	}
	until := time.Now().Add(2 * time.Second) // well past the join window
	for time.Now().Before(until) {
		mustNotServe(t, a.s, bKeys)
		if err := a.s.Claim(context.Background(), spread(1, 5000), time.Now().Add(time.Minute)); !errors.Is(err, paywall.ErrStoreRecovering) {
			t.Fatalf("a new payment while b re-arms: %v, want ErrStoreRecovering", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b.j.calls.Load() < 2 {
		t.Fatal("b never started its re-arm")
	}
	close(hold)
	waitReady(t, a.s, 10*time.Second)
	waitReady(t, b.s, 10*time.Second)
	if n := mustNotServe(t, a.s, bKeys); n != len(bKeys) {
		t.Fatalf("%d of %d of b's payments are replays on a after the recovery", n, len(bKeys))
	}
}

// A member that never acknowledges (it died between its last heartbeat and
// the loss) holds the recovery until the deadline, not longer.
func TestRecoveryDeadlineBoundsAMissingMember(t *testing.T) {
	r := testsvc.StartRedis(t)
	o := Options{URL: r.URL(0), Namespace: "dead", Recovery: RecoveryOptions{Heartbeat: 100 * time.Millisecond, Join: 300 * time.Millisecond, Timeout: 2 * time.Second}}
	a := startInstance(t, o)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	ctx := context.Background()
	// A peer that heartbeats and then dies with the store.
	for range 3 {
		for p := range Partitions {
			if err := rdb.HSet(ctx, a.s.marker(p), "h:deadbeef00000000", time.Now().UnixMilli()).Err(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(o.Recovery.Heartbeat)
	}
	r.CLI(t, "FLUSHALL")
	start := time.Now()
	_ = a.s.Claim(ctx, spread(0, 1), time.Now().Add(time.Minute))
	waitReady(t, a.s, 10*time.Second)
	took := time.Since(start)
	if took < o.Recovery.Timeout-200*time.Millisecond || took > o.Recovery.Timeout+3*time.Second {
		t.Fatalf("recovery took %s; want about the deadline, %s", took, o.Recovery.Timeout)
	}
}

// A restart that keeps the data (an RDB snapshot) but lost the writes after
// it keeps the generation marker: the marker names the server it was
// written on (run_id), so the restarted server is detected all the same
// and the payments after the snapshot are re-armed.
func TestRestartWithSnapshotIsDetected(t *testing.T) {
	r := testsvc.StartRedis(t, "--save", "3600 1")
	a := startInstance(t, Options{URL: r.URL(0), Namespace: "snap", Recovery: RecoveryOptions{Heartbeat: time.Second, Join: 300 * time.Millisecond, Timeout: 3 * time.Second}})
	before, after := spread(2, 1), spread(2, 2)
	a.j.serve(t, a.s, before)
	r.CLI(t, "SAVE")
	a.j.serve(t, a.s, after)
	_ = r.Signal(syscall.SIGKILL)
	r.Restart(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	ctx := context.Background()
	if n, _ := rdb.Exists(ctx, a.s.marker(2), a.s.Key(before)).Result(); n != 2 {
		t.Fatalf("the snapshot did not keep the marker and the first claim (%d of 2 keys)", n)
	}
	if n, _ := rdb.Exists(ctx, a.s.Key(after)).Result(); n != 0 {
		t.Fatal("the claim after the snapshot survived the kill; the test shows nothing")
	}
	deadline := time.Now().Add(15 * time.Second)
	for mustNotServe(t, a.s, [][32]byte{before, after}) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("not recovered within 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if a.c.created.Load() == 0 {
		t.Fatal("no new generation after the restart")
	}
}

// Redis restarted empty while an instance serves: same recovery.
func TestRestartEmptyIsDetected(t *testing.T) {
	r := testsvc.StartRedis(t)
	a := startInstance(t, Options{URL: r.URL(0), Namespace: "empty"})
	var keys [][32]byte
	for i := range 20 {
		keys = append(keys, spread(i%Partitions, i))
		a.j.serve(t, a.s, keys[i])
	}
	r.Restart(t)
	deadline := time.Now().Add(15 * time.Second)
	for mustNotServe(t, a.s, keys) != len(keys) {
		if time.Now().After(deadline) {
			t.Fatal("not recovered within 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An instance that goes quiet (no claims) still notices a loss through its
// heartbeat within about a second, and re-arms before anyone resumes.
func TestIdleInstanceNoticesByHeartbeat(t *testing.T) {
	r := testsvc.StartRedis(t)
	a := startInstance(t, Options{URL: r.URL(0), Namespace: "idle"})
	a.j.serve(t, a.s, spread(4, 1))
	r.CLI(t, "FLUSHALL")
	deadline := time.Now().Add(5 * time.Second)
	for a.c.created.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the heartbeat did not notice the flush")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for mustNotServe(t, a.s, [][32]byte{spread(4, 1)}) != 1 {
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatal("not re-armed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
