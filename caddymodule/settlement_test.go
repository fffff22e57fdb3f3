package caddymodule

import (
	"testing"
)

func TestParseGasPrice(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // wei, "" = error
	}{
		{"1", "1"},
		{"2500000000", "2500000000"},
		{"7 wei", "7"},
		{"50 gwei", "50000000000"},
		{"0.5 gwei", "500000000"},
		{"1.000000001 GWEI", "1000000001"},
		{"1000000 gwei", "1000000000000000"},
		{"1000001 gwei", ""},
		{"0", ""},
		{"0 gwei", ""},
		{"-1", ""},
		{"+1", ""},
		{"1.5", ""},
		{"1e9", ""},
		{".5 gwei", ""},
		{"1.0000000001 gwei", ""},
		{"5 ether", ""},
		{"1 2 gwei", ""},
		{"", ""},
	} {
		got, err := parseGasPrice(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%q: %s, want an error", tc.in, got)
		case tc.want != "" && (err != nil || got.String() != tc.want):
			t.Errorf("%q: %v %v, want %s", tc.in, got, err, tc.want)
		}
	}
}
