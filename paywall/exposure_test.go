package paywall

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// The memory ledger on its own clock: a reservation past its deadline
// keeps counting on a reading older than the deadline (decided on while
// the chain cannot be read), stops counting on a reading taken after it,
// and ForgetAfter past the last deadline the payer is forgotten, reading
// included, so that the next decision reads the chain again.
func TestMemoryExposureExpiresOnReadingsNotOnTheClock(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := NewMemoryExposure()
	m.now = func() time.Time { return now }
	ctx := context.Background()
	k := ExposureKey{Network: "eip155:84532", Asset: common.Address{1}, Payer: common.Address{2}}
	lag := 4 * time.Second
	x := &Exposure{Key: k, ID: [32]byte{1}, Amount: big.NewInt(10_000), Until: now.Add(70 * time.Second)}
	reading := func(units int64) ReserveOptions {
		return ReserveOptions{TTL: 15 * time.Second, Lag: lag, Reading: &BalanceReading{Balance: big.NewInt(units)}}
	}
	stale := ReserveOptions{TTL: 15 * time.Second, Lag: lag, AllowStale: true}
	second := &Exposure{Key: k, ID: [32]byte{2}, Amount: big.NewInt(10_000), Until: now.Add(10 * time.Minute)}

	if d, err := m.Reserve(ctx, x, reading(10_000)); err != nil || !d.Allowed {
		t.Fatal(d, err)
	}
	now = now.Add(5 * time.Second)
	if err := m.Finish(ctx, k, x.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{time.Minute, 70 * time.Second, 2 * time.Minute} {
		now = x.Until.Add(-70 * time.Second).Add(at)
		if d, err := m.Reserve(ctx, second, stale); err != nil || d.Allowed {
			t.Fatalf("at +%s, on the reading taken before the settlement: %+v %v, want refused", at, d, err)
		}
	}
	now = x.Until.Add(ForgetAfter)
	if _, err := m.Reserve(ctx, second, stale); !errors.Is(err, ErrBalanceStale) {
		t.Fatalf("ForgetAfter past the deadline: %v, want ErrBalanceStale (a fresh reading is needed)", err)
	}
	if d, err := m.Reserve(ctx, second, reading(10_000)); err != nil || !d.Allowed {
		t.Fatalf("on a fresh reading: %+v %v", d, err)
	}

	// A pending reservation past its deadline (its settlement's outcome
	// never came) stops counting on a reading taken lag after the deadline.
	k2 := ExposureKey{Network: k.Network, Asset: k.Asset, Payer: common.Address{3}}
	p1 := &Exposure{Key: k2, ID: [32]byte{3}, Amount: big.NewInt(10_000), Until: now.Add(time.Minute)}
	p2 := &Exposure{Key: k2, ID: [32]byte{4}, Amount: big.NewInt(10_000), Until: now.Add(10 * time.Minute)}
	if d, err := m.Reserve(ctx, p1, reading(10_000)); err != nil || !d.Allowed {
		t.Fatal(d, err)
	}
	now = p1.Until.Add(lag / 2)
	if d, _ := m.Reserve(ctx, p2, reading(10_000)); d.Allowed {
		t.Fatal("a reading taken within the lag after the deadline dropped the reservation")
	}
	now = p1.Until.Add(lag)
	if d, err := m.Reserve(ctx, p2, reading(10_000)); err != nil || !d.Allowed {
		t.Fatalf("a reading taken lag after the deadline: %+v %v", d, err)
	}
}
