package evm

import (
	"math/big"
	"testing"
)

func TestReplacementFees(t *testing.T) {
	g := func(n int64) *big.Int { return big.NewInt(n) }
	for _, tc := range []struct {
		name                                 string
		oldTip, oldCap, suggested, base, max *big.Int
		wantTip, wantCap                     *big.Int
		wantOK                               bool
	}{
		{"bump by 12.5 %", g(1000), g(3000), g(1000), g(1000), g(1_000_000), g(1125), g(3375), true},
		{"cap follows a risen base fee", g(1000), g(3000), g(1000), g(10000), g(1_000_000), g(1125), g(21125), true},
		{"tip follows a higher suggestion", g(1000), g(3000), g(5000), g(1000), g(1_000_000), g(5000), g(7000), true},
		{"rounded up, at least 1 wei", g(1), g(3), nil, nil, g(100), g(2), g(4), true},
		{"capped but still 10 % more", g(1000), g(3000), g(1000), g(1000), g(3300), g(1125), g(3300), true},
		{"max fee leaves no 10 %", g(1000), g(3000), g(1000), g(1000), g(3200), g(1125), g(3200), false},
		{"max fee below the base fee", g(1000), g(3000), g(1000), g(50000), g(40000), g(1125), g(40000), false},
		{"tip above the capped cap", g(1000), g(1100), g(9000), g(100), g(5000), g(5000), g(5000), true},
	} {
		tip, feeCap, ok := replacementFees(tc.oldTip, tc.oldCap, tc.suggested, tc.base, tc.max)
		if tip.Cmp(tc.wantTip) != 0 || feeCap.Cmp(tc.wantCap) != 0 || ok != tc.wantOK {
			t.Errorf("%s: tip %s cap %s ok %v; want %s %s %v", tc.name, tip, feeCap, ok, tc.wantTip, tc.wantCap, tc.wantOK)
		}
	}
}
