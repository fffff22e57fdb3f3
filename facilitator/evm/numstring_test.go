package evm_test

import (
	"encoding/json"
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
		`1.5e3`:                "1.5e3",
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
