package evm

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseUint256(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0", true}, {"10000", true}, {"007", false}, {"00", false}, {"\x0010", false}, {"1\x00", false},
		{"115792089237316195423570985008687907853269984665640564039457584007913129639935", true},
		{"115792089237316195423570985008687907853269984665640564039457584007913129639936", false},
		{"", false}, {"-1", false}, {"+1", false}, {"1.5", false}, {"1e6", false}, {" 1", false}, {"0x10", false},
		{strings.Repeat("9", 79), false},
	} {
		_, err := ParseUint256(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseUint256(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestAuthorizationJSONAcceptsNumbersAndStrings(t *testing.T) {
	var p ExactPayload
	raw := `{"signature":"0x00","authorization":{"from":"0x2000000000000000000000000000000000000002","to":"0x3000000000000000000000000000000000000003",
		"value":"1000000","validAfter":1700000000,"validBefore":"1700003600","nonce":"0x` + strings.Repeat("ab", 32) + `"}}`
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatal(err)
	}
	a, err := p.Authorization.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if a.ValidAfter.Uint64() != 1700000000 || a.ValidBefore.Uint64() != 1700003600 || a.Value.Uint64() != 1000000 {
		t.Fatalf("parsed %+v", a)
	}
	back := a.JSON()
	if string(back.ValidAfter) != "1700000000" || back.Nonce != "0x"+strings.Repeat("ab", 32) {
		t.Fatalf("round trip %+v", back)
	}
	// Placeholders from hosted facilitators' docs fail precisely, naming the field.
	p.Authorization.From = "0xPAYER_ADDRESS"
	if _, err := p.Authorization.Parse(); err == nil || !strings.Contains(err.Error(), "authorization.from") {
		t.Fatalf("placeholder from: %v", err)
	}
	p.Authorization.From = "0x2000000000000000000000000000000000000002"
	p.Authorization.ValidBefore = "1.5"
	if _, err := p.Authorization.Parse(); err == nil || !strings.Contains(err.Error(), "validBefore") {
		t.Fatalf("fractional validBefore: %v", err)
	}
}
