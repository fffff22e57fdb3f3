package evm_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/facilitator/evm"
)

// TestNumStringForms: plain strings (fast path), strings with JSON escapes,
// bare numbers and null all decode to the same text the parser then judges.
func TestNumStringForms(t *testing.T) {
	for in, want := range map[string]string{
		`"1700000000"`:         "1700000000",
		`"\u0031\u0037\u0030"`: "170",
		`"12\"3"`:              `12"3`,
		`1700000000`:           "1700000000",
		`9007199254740991`:     "9007199254740991",
		`null`:                 "",
		`""`:                   "",
	} {
		var v struct {
			N evm.NumString `json:"n"`
		}
		if err := json.Unmarshal([]byte(`{"n":`+in+`}`), &v); err != nil || string(v.N) != want {
			t.Errorf("%s: got %q, %v; want %q", in, v.N, err, want)
		}
	}
	var v struct {
		N evm.NumString `json:"n"`
	}
	if err := json.Unmarshal([]byte(`{"n":"1\x00"}`), &v); err == nil {
		t.Error("a control character inside a string was accepted")
	}
}

// FuzzNumString feeds arbitrary JSON values to NumString and ParseUint256:
// whatever is accepted must be read the same way by every parser — a
// canonical decimal (no sign, fraction, exponent or leading zero) that
// round-trips, and, when it came as a bare JSON number, one that a float64
// (JavaScript's reading) holds exactly. Corpus: testdata/fuzz/FuzzNumString.
func FuzzNumString(f *testing.F) {
	for _, s := range []string{`"10000"`, `10000`, `"0"`, `0`, `"007"`, `1.5`, `1e3`, `-1`, `"-1"`, `9007199254740991`, `9007199254740992`,
		`"115792089237316195423570985008687907853269984665640564039457584007913129639935"`, `null`, `"\u0031"`, `" 1"`, `true`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		var v struct {
			N evm.NumString `json:"n"`
		}
		if json.Unmarshal([]byte(`{"n":`+token+`}`), &v) != nil {
			return
		}
		u, err := evm.ParseUint256(string(v.N))
		if err != nil {
			return
		}
		if u.Dec() != string(v.N) {
			t.Fatalf("%s read as %q but means %s", token, v.N, u.Dec())
		}
		trimmed := strings.TrimSpace(token)
		if trimmed != "" && trimmed[0] != '"' {
			f, perr := strconv.ParseFloat(trimmed, 64)
			if perr != nil || !u.IsUint64() || f != float64(u.Uint64()) || u.Uint64() > evm.MaxSafeJSONInteger {
				t.Fatalf("bare JSON number %s accepted as %s, which JavaScript reads as %v", token, u.Dec(), f)
			}
		}
	})
}
