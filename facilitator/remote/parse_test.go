package remote

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	type parser func(int, []byte) error
	verify := func(s int, b []byte) error { _, err := parseVerify(s, b); return err }
	settle := func(s int, b []byte) error { _, err := parseSettle(s, b); return err }
	supported := func(s int, b []byte) error { _, err := parseSupported(s, b); return err }
	for _, tc := range []struct {
		name   string
		parse  parser
		status int
		body   string
		want   error // nil: an answer
	}{
		{"verify valid", verify, 200, `{"isValid":true,"payer":"0x1","invalidReason":null}`, nil},
		{"verify invalid 400", verify, 400, `{"isValid":false,"invalidReason":"r"}`, nil},
		{"verify invalid 200", verify, 200, `{"isValid":false,"invalidReason":"r"}`, nil},
		{"verify 202", verify, 202, `{"isValid":true}`, ErrStatus},
		{"verify 500", verify, 500, `{"isValid":false,"invalidReason":"r"}`, ErrStatus},
		{"verify null", verify, 200, `null`, ErrBadResponse},
		{"verify array", verify, 200, `[]`, ErrBadResponse},
		{"verify isValid string", verify, 200, `{"isValid":"true"}`, ErrBadResponse},
		{"verify no reason", verify, 400, `{"isValid":false}`, ErrBadResponse},
		{"verify valid 400", verify, 400, `{"isValid":true}`, ErrBadResponse},
		{"settle ok", settle, 200, `{"success":true,"transaction":"0x1","network":"n","errorReason":null}`, nil},
		{"settle pending", settle, 202, `{"success":false,"errorReason":"settlement_pending","transaction":"0x1"}`, nil},
		{"settle failed", settle, 400, `{"success":false,"errorReason":"r","transaction":""}`, nil},
		{"settle failed 200", settle, 200, `{"success":false,"errorReason":"r"}`, nil},
		{"settle 503", settle, 503, `{"success":false,"errorReason":"unexpected_settle_error"}`, ErrStatus},
		{"settle no success", settle, 200, `{"transaction":"0x1"}`, ErrBadResponse},
		{"settle no tx", settle, 200, `{"success":true,"transaction":""}`, ErrBadResponse},
		{"settle success 400", settle, 400, `{"success":true,"transaction":"0x1"}`, ErrBadResponse},
		{"settle no reason", settle, 400, `{"success":false}`, ErrBadResponse},
		{"settle session", settle, 200, `{"success":true,"transaction":"0x1","session":{"id":"s"}}`, nil},
		{"settle bad session", settle, 200, `{"success":true,"transaction":"0x1","session":"s"}`, ErrBadResponse},
		{"supported", supported, 200, `{"kinds":[{"x402Version":1,"scheme":"exact","network":"base"}],"signers":{"eip155:*":["0x1"]}}`, nil},
		{"supported empty", supported, 200, `{"kinds":[]}`, nil},
		{"supported null kinds", supported, 200, `{"kinds":null}`, ErrBadResponse},
		{"supported bad kind", supported, 200, `{"kinds":[{"x402Version":1,"scheme":"","network":"base"}]}`, ErrBadResponse},
		{"supported 204", supported, 204, ``, ErrStatus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse(tc.status, []byte(tc.body))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "empty body",
		"  \n":                    "empty body",
		"a\nb\x00c":               "body a b c",
		"\xff{}":                  "body ?{}",
		string(make([]byte, 300)): "empty body",
	} {
		if got := snippet([]byte(in)); got != want {
			t.Errorf("snippet(%q) = %q, want %q", in, got, want)
		}
	}
	if got := snippet([]byte(strings.Repeat("x", 300))); len(got) > 220 {
		t.Errorf("not clipped: %d", len(got))
	}
}
