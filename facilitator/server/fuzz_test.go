package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

// FuzzServerBodies posts arbitrary bodies to /verify and /settle: the
// server must never panic, never answer 5xx and always answer a JSON object.
// The committed corpus is in testdata/fuzz/FuzzServerBodies. Run with
//
//	go test ./facilitator/server -run '^$' -fuzz FuzzServerBodies -fuzztime 30s
func FuzzServerBodies(f *testing.F) {
	f.Add([]byte(readFile(f, "testdata/wild_v1.json")))
	f.Add([]byte(readFile(f, "testdata/wild_v2.json")))
	f.Add([]byte(v1Body()))
	f.Add([]byte(v2Body()))
	f.Add([]byte(`{"x402Version":2,"paymentPayload":{"x402Version":2,"payload":{}},"paymentRequirements":{"scheme":"exact","network":"eip155:1","maxAmountRequired":"1"}}`))
	f.Add([]byte(`{"paymentPayload":null,"paymentRequirements":[]}`))

	rec := &servertest.Recorder{
		VerifyFunc: func(_ context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
			if len(p.Payload)%2 == 0 {
				return facilitator.VerifyResponse{IsValid: true, Payer: servertest.DefaultPayer}, nil
			}
			return facilitator.Errorf(facilitator.CodeExactPayload, "odd payload for %s", r.Network).Invalid(""), nil
		},
		SettleFunc: func(_ context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
			switch len(p.Payload) % 3 {
			case 0:
				return facilitator.SettleResponse{Success: true, Transaction: servertest.DefaultTransaction, Network: r.Network}, nil
			case 1:
				return facilitator.SettleResponse{ErrorReason: facilitator.CodeSettlementPending, Transaction: servertest.DefaultTransaction}, nil
			default:
				return facilitator.SettleResponse{ErrorReason: facilitator.CodeExactPayload}, nil
			}
		},
	}
	h := New(rec, WithMaxBodyBytes(4<<10))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{PathVerify, PathSettle} {
			resp, m := serve(t, h, http.MethodPost, path, string(body), nil)
			if resp.StatusCode >= 500 {
				t.Fatalf("%s: status %d for body %q: %v", path, resp.StatusCode, body, m)
			}
			switch resp.StatusCode {
			case http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			default:
				t.Fatalf("%s: unexpected status %d", path, resp.StatusCode)
			}
		}
		rec.Reset()
	})
}
