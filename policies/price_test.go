package policies

import (
	"math/big"
	"testing"
)

func TestParsePrice(t *testing.T) {
	for _, tc := range []struct {
		in       string
		decimals int
		want     string // "" = error
	}{
		{"0.01", 6, "10000"},
		{"$0.01", 6, "10000"},
		{"1", 6, "1000000"},
		{"1.5", 6, "1500000"},
		{".5", 6, "500000"},
		{"0.000001", 6, "1"},
		{"10000 units", 6, "10000"},
		{"10000units", 6, "10000"},
		{" 25 units ", 6, "25"},
		{"2", 0, "2"},
		{"0.1", 18, "100000000000000000"},
		{"0.0000001", 6, ""},
		{"0", 6, ""},
		{"0.000000", 6, ""},
		{"0 units", 6, ""},
		{"-1", 6, ""},
		{"1e6", 6, ""},
		{"1.", 6, ""},
		{"", 6, ""},
		{"abc", 6, ""},
		{"1.5 units", 6, ""},
		{"$$1", 6, ""},
		{"1,000", 6, ""},
		{"115792089237316195423570985008687907853269984665640564039457584007913129639936 units", 6, ""},
	} {
		got, err := ParsePrice(tc.in, tc.decimals)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParsePrice(%q, %d) = %s, want error", tc.in, tc.decimals, got)
		case tc.want != "" && err != nil:
			t.Errorf("ParsePrice(%q, %d) error %v, want %s", tc.in, tc.decimals, err, tc.want)
		case tc.want != "" && got.String() != tc.want:
			t.Errorf("ParsePrice(%q, %d) = %s, want %s", tc.in, tc.decimals, got, tc.want)
		}
	}
}

func TestFormatUnits(t *testing.T) {
	for _, tc := range []struct {
		units    int64
		decimals int
		want     string
	}{
		{10000, 6, "0.01"}, {1000000, 6, "1"}, {1500000, 6, "1.5"}, {1, 6, "0.000001"}, {0, 6, "0"}, {42, 0, "42"},
	} {
		if got := FormatUnits(big.NewInt(tc.units), tc.decimals); got != tc.want {
			t.Errorf("FormatUnits(%d, %d) = %s, want %s", tc.units, tc.decimals, got, tc.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		units    *big.Int
		decimals int
		symbol   string
		want     string
	}{
		{big.NewInt(20000), 6, "USDC", "0.02 USDC (20000 units)"},
		{big.NewInt(1), 6, "USDC", "0.000001 USDC (1 unit)"},
		{big.NewInt(5), 0, "", "5 tokens (5 units)"},
		{big.NewInt(20000), -1, "", "20000 units"},
		{nil, 6, "USDC", "0 USDC (0 units)"},
	} {
		if got := FormatAmount(tc.units, tc.decimals, tc.symbol); got != tc.want {
			t.Errorf("FormatAmount(%v, %d, %q) = %q, want %q", tc.units, tc.decimals, tc.symbol, got, tc.want)
		}
	}
}

func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"0.01", "$1", "10 units", "1.", "", "-0", "9999999999999999999999999999999999999999"} {
		f.Add(s, 6)
	}
	f.Fuzz(func(t *testing.T, s string, d int) {
		d = d % 30
		if d < 0 {
			d = -d
		}
		u, err := ParsePrice(s, d)
		if err == nil && (u.Sign() <= 0 || u.Cmp(maxUnits) > 0) {
			t.Fatalf("ParsePrice(%q) = %s out of range", s, u)
		}
	})
}
