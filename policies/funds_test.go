package policies

import (
	"math/big"
	"testing"
)

func TestDecideFunds(t *testing.T) {
	n := func(s string) *big.Int {
		v, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatal(s)
		}
		return v
	}
	for _, tc := range []struct {
		name                              string
		balance, pending, settled, amount string
		allowed                           bool
		available                         string
	}{
		{"empty wallet", "0", "0", "0", "1", false, "0"},
		{"exactly the balance", "10000", "0", "0", "10000", true, "10000"},
		{"one unit short", "9999", "0", "0", "10000", false, "9999"},
		{"pending counts", "20000", "10000", "0", "10000", true, "10000"},
		{"pending and settled count", "20000", "10000", "10000", "1", false, "0"},
		{"counted beyond the balance", "10000", "20000", "5000", "1", false, "0"},
		{"zero amount", "0", "0", "0", "0", true, "0"},
		{"uint256 amounts", "115792089237316195423570985008687907853269984665640564039457584007913129639935", "1", "0",
			"115792089237316195423570985008687907853269984665640564039457584007913129639934", true,
			"115792089237316195423570985008687907853269984665640564039457584007913129639934"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DecideFunds(FundsState{Balance: n(tc.balance), Pending: n(tc.pending), Settled: n(tc.settled)}, FundsRequest{Amount: n(tc.amount)})
			if d.Allowed != tc.allowed || d.Available.String() != tc.available {
				t.Fatalf("got allowed %v available %s, want %v %s", d.Allowed, d.Available, tc.allowed, tc.available)
			}
		})
	}
	// Nil amounts count as zero (an empty state: no reading yet).
	if d := DecideFunds(FundsState{}, FundsRequest{Amount: big.NewInt(1)}); d.Allowed {
		t.Fatal("a nil balance allowed a payment")
	}
}
