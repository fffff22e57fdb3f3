package exact

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
)

// One reading of every signed number: the authorization's value and times
// are accepted as decimal strings or as plain JSON integers up to 2^53-1
// (what some clients send), and refused with the field's code when a
// fraction, exponent, sign, leading zero or a JSON number that JavaScript
// would round makes the value mean different things to different parsers.
func TestCheckReadsNumbersOneWay(t *testing.T) {
	prep, err := Prepare(testRequirements())
	if err != nil {
		t.Fatal(err)
	}
	p := signed(t, mustKey(t, payerKeyHex), testRequirements(), 2)
	var auth struct {
		Authorization struct {
			Value, ValidAfter, ValidBefore string
		}
	}
	if err := json.Unmarshal(p.Payload, &auth); err != nil {
		t.Fatal(err)
	}
	a := auth.Authorization
	// with replaces one field's JSON value (as written, so numbers stay bare).
	with := func(field, value string) *facilitator.PaymentPayload {
		re := regexp.MustCompile(`"` + field + `":"[^"]*"`)
		q := *p
		q.Payload = json.RawMessage(re.ReplaceAllString(string(p.Payload), `"`+field+`":`+value))
		if string(q.Payload) == string(p.Payload) && value != strconv.Quote(a.Value) {
			t.Fatalf("%s not found in %s", field, p.Payload)
		}
		return &q
	}
	for _, tc := range []struct {
		name, field, value, code string
	}{
		{"value as string", "value", strconv.Quote(a.Value), ""},
		{"value as JSON integer", "value", a.Value, ""},
		{"validAfter as JSON integer", "validAfter", a.ValidAfter, ""},
		{"validBefore as JSON integer", "validBefore", a.ValidBefore, ""},
		{"value JSON fraction", "value", a.Value + ".0", facilitator.CodeExactAuthorizationValue},
		{"value JSON exponent", "value", "1e4", facilitator.CodeExactAuthorizationValue},
		{"value JSON negative", "value", "-" + a.Value, facilitator.CodeExactAuthorizationValue},
		{"value JSON beyond 2^53", "value", "9007199254740993", facilitator.CodeExactAuthorizationValue},
		{"value string leading zero", "value", `"0` + a.Value + `"`, facilitator.CodeExactAuthorizationValue},
		{"value string exponent", "value", `"1e4"`, facilitator.CodeExactAuthorizationValue},
		{"value string plus", "value", `"+` + a.Value + `"`, facilitator.CodeExactAuthorizationValue},
		{"value null", "value", `null`, facilitator.CodeExactAuthorizationValue},
		{"validAfter JSON exponent", "validAfter", "0e0", facilitator.CodeExactValidAfter},
		{"validAfter JSON negative zero", "validAfter", "-0", facilitator.CodeExactValidAfter},
		{"validAfter string leading zero", "validAfter", `"00"`, facilitator.CodeExactValidAfter},
		{"validBefore JSON fraction", "validBefore", a.ValidBefore + ".5", facilitator.CodeExactValidBefore},
		{"validBefore JSON exponent", "validBefore", "1.8000006e9", facilitator.CodeExactValidBefore},
		{"validBefore string fraction", "validBefore", `"` + a.ValidBefore + `.0"`, facilitator.CodeExactValidBefore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, xerr := Check(with(tc.field, tc.value), prep, testNow, 0)
			switch {
			case tc.code == "" && xerr != nil:
				t.Fatalf("refused: %v", xerr)
			case tc.code == "" && c == nil:
				t.Fatal("no payment")
			case tc.code != "" && (xerr == nil || xerr.Code != tc.code):
				t.Fatalf("got %v, want %s", xerr, tc.code)
			}
		})
	}
}
