package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddy-x402/x402/policies"
	"github.com/ethereum/go-ethereum/common"
	"github.com/redis/go-redis/v9"
)

func num(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

func payer(b byte) paywall.ExposureKey {
	return paywall.ExposureKey{Network: "eip155:84532", Asset: common.HexToAddress("0x036CbD53842c5426634e7929541eC2318f3dCF7e"), Payer: common.Address{19: b}}
}

func exposure(k paywall.ExposureKey, id byte, amount string) *paywall.Exposure {
	return &paywall.Exposure{Key: k, ID: [32]byte{0: id, 31: 1}, Amount: num(amount), Until: time.Now().Add(10 * time.Minute)}
}

// The Lua script decides as policies.DecideFunds does, on amounts of any
// size (token amounts are uint256; Lua's numbers are doubles): the same
// table of states and requests through both gives the same answers.
func TestFundsScriptAgreesWithPolicy(t *testing.T) {
	r := testsvc.StartRedis(t)
	s := newGuard(t, r.URL(0), "agree")
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	ctx := context.Background()
	u256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)).String()
	for i, tc := range []struct{ balance, pending, settled, amount string }{
		{"0", "0", "0", "1"},
		{"1", "0", "0", "1"},
		{"10000", "0", "0", "10000"},
		{"10000", "1", "0", "10000"},
		{"30000", "10000", "10000", "10000"},
		{"30000", "10000", "10000", "10001"},
		{"30000", "20000", "20000", "1"},                   // counted beyond the balance
		{"9007199254740993", "0", "0", "9007199254740993"}, // 2^53+1: not a double
		{"9007199254740993", "1", "0", "9007199254740993"},
		{"9999999", "0", "0", "9999999"}, // one limb exactly
		{"10000000", "1", "0", "9999999"},
		{"10000000", "1", "0", "10000000"},
		{"100000000000000000000", "99999999999999999999", "0", "1"}, // 18-decimal amounts
		{"100000000000000000000", "99999999999999999999", "1", "1"},
		{u256, "0", "0", u256},
		{u256, u256, "0", "1"},
		{"1000000000000000000000000", "123456789012345678901", "987654321098765432109", "888888888888888888888990"},
		{"1000000000000000000000000", "123456789012345678901", "987654321098765432109", "888888888888888888888991"},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			k := payer(byte(i))
			keys := s.fundsKeys(k)
			if err := rdb.HSet(ctx, keys[1], "bal", tc.balance, "at", time.Now().UnixMilli(), "pend", tc.pending, "sett", tc.settled).Err(); err != nil {
				t.Fatal(err)
			}
			want := policies.DecideFunds(policies.FundsState{Balance: num(tc.balance), Pending: num(tc.pending), Settled: num(tc.settled)},
				policies.FundsRequest{Amount: num(tc.amount)})
			got, err := s.Reserve(ctx, exposure(k, byte(i), tc.amount), paywall.ReserveOptions{TTL: time.Minute, Lag: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if got.Allowed != want.Allowed || got.Available.Cmp(want.Available) != 0 {
				t.Fatalf("script: allowed %v available %s; policy: allowed %v available %s", got.Allowed, got.Available, want.Allowed, want.Available)
			}
			pend, _ := rdb.HGet(ctx, keys[1], "pend").Result()
			wantPend := num(tc.pending)
			if want.Allowed {
				wantPend.Add(wantPend, num(tc.amount))
			}
			if pend != wantPend.String() {
				t.Fatalf("pending after the decision %s, want %s", pend, wantPend)
			}
		})
	}
}

// Two instances on one store sell one balance once: a payer holding three
// payments' worth gets exactly three of eight concurrent reservations.
func TestFundsSharedAcrossInstances(t *testing.T) {
	r := testsvc.StartRedis(t)
	a, b := newGuard(t, r.URL(0), "shared"), newGuard(t, r.URL(0), "shared")
	ctx := context.Background()
	k := payer(1)
	reading := &paywall.BalanceReading{Balance: num("30000")}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := s.Reserve(ctx, exposure(k, byte(i), "10000"), paywall.ReserveOptions{TTL: time.Minute, Reading: reading, Lag: time.Second})
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 3 {
		t.Fatalf("%d of 8 reservations allowed for a balance of 3, want 3", allowed.Load())
	}
}

// The life of a reservation, the same in Redis and in memory: released
// gives the amount back at once; settled keeps it counted until a reading
// dated after the settlement (minus the lag) replaces the stored one; a
// stale reading asks for a new one; an expired reservation stops counting.
func TestFundsReservationLifecycle(t *testing.T) {
	r := testsvc.StartRedis(t)
	for name, s := range map[string]paywall.ExposureLedger{
		"redis":  newGuard(t, r.URL(0), "life"),
		"memory": paywall.NewMemoryExposure(),
	} {
		t.Run(name, func(t *testing.T) { fundsLifecycle(t, s) })
	}
}

func fundsLifecycle(t *testing.T, s paywall.ExposureLedger) {
	ctx := context.Background()
	k := payer(2)
	o := paywall.ReserveOptions{TTL: time.Minute, Lag: 200 * time.Millisecond}
	if _, err := s.Reserve(ctx, exposure(k, 1, "10000"), o); !errors.Is(err, paywall.ErrBalanceStale) {
		t.Fatalf("no reading yet: %v, want ErrBalanceStale", err)
	}
	fresh := o
	fresh.Reading = &paywall.BalanceReading{Balance: num("20000")}
	for id := byte(1); id <= 2; id++ {
		if d, err := s.Reserve(ctx, exposure(k, id, "10000"), fresh); err != nil || !d.Allowed {
			t.Fatalf("reservation %d: %+v %v", id, d, err)
		}
	}
	third := exposure(k, 3, "10000")
	if d, _ := s.Reserve(ctx, third, o); d.Allowed {
		t.Fatal("a third payment fits a balance of two")
	}
	// The same payment again is not counted twice.
	if d, err := s.Reserve(ctx, exposure(k, 1, "10000"), o); err != nil || !d.Allowed {
		t.Fatalf("repeated reservation: %+v %v", d, err)
	}
	if err := s.Finish(ctx, k, exposure(k, 1, "0").ID, false); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Reserve(ctx, third, o); !d.Allowed {
		t.Fatal("a released payment still counts")
	}
	if err := s.Finish(ctx, k, exposure(k, 2, "0").ID, true); err != nil {
		t.Fatal(err)
	}
	// The chain now holds 10000 (one settled); a reading taken at once may
	// not show it yet, so the settled payment still counts against it.
	same := o
	same.Reading = &paywall.BalanceReading{Balance: num("20000")}
	if d, _ := s.Reserve(ctx, exposure(k, 4, "10000"), same); d.Allowed {
		t.Fatal("a reading taken right after a settlement forgot the settlement")
	}
	time.Sleep(2 * o.Lag)
	later := o
	later.Reading = &paywall.BalanceReading{Balance: num("10000")}
	if d, _ := s.Reserve(ctx, exposure(k, 5, "10000"), later); d.Allowed {
		t.Fatal("the third payment is still counted: nothing is left")
	}
	if err := s.Finish(ctx, k, third.ID, false); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Reserve(ctx, exposure(k, 5, "10000"), later); err != nil || !d.Allowed || d.Available.String() != "10000" {
		t.Fatalf("after the settlement is reflected: %+v %v", d, err)
	}
	// Stale reading: a fresh one is asked for, unless stale ones are allowed.
	stale := paywall.ReserveOptions{TTL: time.Millisecond, Lag: o.Lag}
	time.Sleep(5 * time.Millisecond)
	if _, err := s.Reserve(ctx, exposure(k, 6, "1"), stale); !errors.Is(err, paywall.ErrBalanceStale) {
		t.Fatalf("stale reading: %v", err)
	}
	stale.AllowStale = true
	if d, err := s.Reserve(ctx, exposure(k, 6, "1"), stale); err != nil || d.Allowed {
		t.Fatalf("stale reading allowed: %+v %v (balance all counted)", d, err)
	}
	// Expiry: a reservation past its deadline stops counting once a
	// reading taken after the deadline (and the lag) is stored: that
	// reading shows whatever settled before the deadline. Decided on an
	// older reading (the chain cannot be read now), it still counts.
	k2 := payer(3)
	short := exposure(k2, 1, "10000")
	short.Until = time.Now().Add(300 * time.Millisecond)
	if d, err := s.Reserve(ctx, short, fresh); err != nil || !d.Allowed {
		t.Fatal(d, err)
	}
	if d, _ := s.Reserve(ctx, exposure(k2, 2, "20000"), o); d.Allowed {
		t.Fatal("over the balance")
	}
	for !time.Now().After(short.Until.Add(2 * o.Lag)) {
		time.Sleep(20 * time.Millisecond)
	}
	if d, err := s.Reserve(ctx, exposure(k2, 2, "20000"), paywall.ReserveOptions{TTL: time.Minute, Lag: o.Lag, AllowStale: true}); err != nil || d.Allowed {
		t.Fatalf("past its deadline, on a reading older than the deadline: %+v %v; the reservation must still count", d, err)
	}
	if d, err := s.Reserve(ctx, exposure(k2, 2, "20000"), fresh); err != nil || !d.Allowed {
		t.Fatalf("the expired reservation still counts after a reading taken past its deadline: %+v %v", d, err)
	}
}

// Attack: a payer funded for one payment is served it and it settles; the
// balance reading stored before the settlement is all there is while the
// chain cannot be read (an RPC outage, or a rate limit a flood of new
// payers drove the server into). When the settled payment's deadline
// passed, its amount used to stop counting while the stored reading still
// showed it: a second payment on the same money was served, and could not
// settle. It counts until a reading taken after the settlement (or after
// the deadline) shows the balance.
func TestFundsSettledCountsUntilAReadingShowsIt(t *testing.T) {
	r := testsvc.StartRedis(t)
	for name, s := range map[string]paywall.ExposureLedger{
		"redis":  newGuard(t, r.URL(0), "settledstale"),
		"memory": paywall.NewMemoryExposure(),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			k := payer(9)
			lag := 50 * time.Millisecond
			x := exposure(k, 1, "10000")
			x.Until = time.Now().Add(300 * time.Millisecond)
			fresh := paywall.ReserveOptions{TTL: 100 * time.Millisecond, Lag: lag, Reading: &paywall.BalanceReading{Balance: num("10000")}}
			if d, err := s.Reserve(ctx, x, fresh); err != nil || !d.Allowed {
				t.Fatal(d, err)
			}
			if err := s.Finish(ctx, k, x.ID, true); err != nil {
				t.Fatal(err)
			}
			for !time.Now().After(x.Until.Add(2 * lag)) {
				time.Sleep(20 * time.Millisecond)
			}
			stale := paywall.ReserveOptions{TTL: 100 * time.Millisecond, Lag: lag, AllowStale: true}
			if d, err := s.Reserve(ctx, exposure(k, 2, "10000"), stale); err != nil || d.Allowed {
				t.Fatalf("%+v %v: the settled payment's money was sold again on the reading taken before it settled", d, err)
			}
			// The chain answers again: the balance is 0.
			empty := paywall.ReserveOptions{TTL: time.Minute, Lag: lag, Reading: &paywall.BalanceReading{Balance: num("0")}}
			if d, err := s.Reserve(ctx, exposure(k, 2, "10000"), empty); err != nil || d.Allowed || d.Available.Sign() != 0 {
				t.Fatalf("on a fresh reading of an empty wallet: %+v %v", d, err)
			}
			refunded := paywall.ReserveOptions{TTL: time.Minute, Lag: lag, Reading: &paywall.BalanceReading{Balance: num("10000")}}
			for ms := time.Now().UnixMilli(); time.Now().UnixMilli() <= ms+1; {
				time.Sleep(time.Millisecond) // a later reading: the ledgers keep the newest
			}
			if d, err := s.Reserve(ctx, exposure(k, 3, "10000"), refunded); err != nil || !d.Allowed {
				t.Fatalf("funded again, on a fresh reading: %+v %v (nothing else is counted)", d, err)
			}
		})
	}
}

// After a flush the served-not-settled reservations are put back from the
// journals: the payer's balance is not sold a second time.
func TestFundsRearmedAfterFlush(t *testing.T) {
	r := testsvc.StartRedis(t)
	var mu sync.Mutex
	var xs []*paywall.Exposure
	source := func() (*paywall.RearmSet, error) {
		mu.Lock()
		defer mu.Unlock()
		return &paywall.RearmSet{Exposures: append([]*paywall.Exposure(nil), xs...)}, nil
	}
	s := startStore(t, Options{URL: r.URL(0), Namespace: "fundsloss"}, source)
	ctx := context.Background()
	k := payer(4)
	o := paywall.ReserveOptions{TTL: time.Minute, Lag: time.Second, Reading: &paywall.BalanceReading{Balance: num("20000")}}
	for id := byte(1); id <= 2; id++ {
		x := exposure(k, id, "10000")
		if d, err := s.Reserve(ctx, x, o); err != nil || !d.Allowed {
			t.Fatal(d, err)
		}
		mu.Lock()
		xs = append(xs, x)
		mu.Unlock()
	}
	r.CLI(t, "FLUSHALL")
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := s.Reserve(ctx, exposure(k, 3, "10000"), o)
		if err == nil {
			if d.Allowed {
				t.Fatal("after the flush the payer's balance was sold again")
			}
			break
		}
		if !errors.Is(err, paywall.ErrStoreRecovering) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("not recovered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	keys := s.fundsKeys(k)
	if !strings.HasPrefix(keys[1], "x402:{fundsloss:") {
		t.Fatalf("funds key %q", keys[1])
	}
}
