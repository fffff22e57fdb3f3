package server

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

var hexAddress = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)

// placeholderScheme answers like a scheme would for the published
// placeholders: the payload decodes, but its payer is not an address.
func placeholderScheme(rec *servertest.Recorder) {
	check := func(p *facilitator.PaymentPayload) *facilitator.Error {
		var ep struct {
			Authorization struct {
				From string `json:"from"`
			} `json:"authorization"`
		}
		if err := json.Unmarshal(p.Payload, &ep); err != nil {
			return facilitator.Errorf(facilitator.CodeExactPayload, "payload: %v", err)
		}
		if !hexAddress.MatchString(ep.Authorization.From) {
			return facilitator.Errorf(facilitator.CodeExactPayload, "authorization.from %q is not an address", ep.Authorization.From)
		}
		return nil
	}
	rec.VerifyFunc = func(_ context.Context, p *facilitator.PaymentPayload, _ *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
		if xe := check(p); xe != nil {
			return xe.Invalid(""), nil
		}
		return facilitator.VerifyResponse{IsValid: true}, nil
	}
	rec.SettleFunc = func(_ context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
		if xe := check(p); xe != nil {
			return facilitator.SettleResponse{ErrorReason: xe.Code, ErrorMessage: xe.Message, Network: r.Network}, nil
		}
		return facilitator.SettleResponse{Success: true, Transaction: "0x1", Network: r.Network}, nil
	}
}

// TestWildBodies sends the two request bodies hosted facilitators document
// (reference §11), verbatim, to /verify and /settle: they must decode and
// reach the Facilitator, whose precise invalid answer comes back as 400.
func TestWildBodies(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version int
	}{{"testdata/wild_v1.json", 1}, {"testdata/wild_v2.json", 2}} {
		body := readFile(t, tc.file)
		var raw struct {
			PaymentPayload struct {
				Payload json.RawMessage `json:"payload"`
			} `json:"paymentPayload"`
		}
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatal(err)
		}
		for _, route := range []struct{ path, reason, msg string }{
			{"/verify", "invalidReason", "invalidMessage"},
			{"/settle", "errorReason", "errorMessage"},
		} {
			t.Run(tc.file+route.path, func(t *testing.T) {
				rec := &servertest.Recorder{}
				placeholderScheme(rec)
				resp, m := serve(t, New(rec), "POST", route.path, body, nil)
				if resp.StatusCode != 400 {
					t.Fatalf("status %d, body %v", resp.StatusCode, m)
				}
				if m[route.reason] != facilitator.CodeExactPayload || m[route.msg] != `authorization.from "0xPAYER_ADDRESS" is not an address` {
					t.Errorf("body %v", m)
				}
				c, ok := rec.Last()
				if !ok {
					t.Fatal("the Facilitator was not called")
				}
				want := facilitator.PaymentRequirements{Scheme: "exact", Network: "eip155:11155111", Amount: "1000000",
					Asset: "0xUSDC_CONTRACT_ADDRESS", PayTo: "0xFACILITATOR_ADDRESS"}
				if !reflect.DeepEqual(*c.Requirements, want) {
					t.Errorf("requirements %+v, want %+v", *c.Requirements, want)
				}
				if c.Payload.X402Version != tc.version {
					t.Errorf("version %d, want %d", c.Payload.X402Version, tc.version)
				}
				if string(c.Payload.Payload) != string(raw.PaymentPayload.Payload) {
					t.Errorf("payload changed:\n got %s\nwant %s", c.Payload.Payload, raw.PaymentPayload.Payload)
				}
				if scheme, network := c.Payload.SchemeNetwork(); scheme != "exact" || network != "eip155:11155111" {
					t.Errorf("payload scheme/network %q %q", scheme, network)
				}
			})
		}
	}
}
