package paywall

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// Hostile or malformed payments: each gets 400 or 402 with its precise x402
// code; none reaches the upstream, none gets a 5xx, none panics.
func TestHostileRequests(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleAfter, "10000")
	req := v.requirements("10000")
	sign := func(mut func(*facilitator.PaymentRequirements), opts evm.ExactOptions) *facilitator.PaymentPayload {
		r := req
		if mut != nil {
			mut(&r)
		}
		p, err := evm.NewExactPayment(v.payer, &r, opts)
		if err != nil {
			t.Fatal(err)
		}
		if mut != nil { // the client claims it accepted the real requirements
			a := req
			p.Accepted = &a
		}
		return p
	}
	good := func() *facilitator.PaymentPayload { return sign(nil, evm.ExactOptions{}) }
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	enc := func(p *facilitator.PaymentPayload) string { _, v := encodePayment(t, p); return v }
	with := func(fn func(p *facilitator.PaymentPayload)) string { p := good(); fn(p); return enc(p) }
	editPayload := func(fn func(ep *evm.ExactPayload)) string {
		return with(func(p *facilitator.PaymentPayload) {
			var ep evm.ExactPayload
			_ = json.Unmarshal(p.Payload, &ep)
			fn(&ep)
			p.Payload, _ = json.Marshal(ep)
		})
	}
	other := newKey(t)
	otherSigned := func() string {
		p, err := evm.NewExactPayment(other, &req, evm.ExactOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var ep, mine evm.ExactPayload
		_ = json.Unmarshal(p.Payload, &ep)
		_ = json.Unmarshal(good().Payload, &mine)
		ep.Authorization.From = mine.Authorization.From // claim to be the payer
		p.Payload, _ = json.Marshal(ep)
		return enc(p)
	}
	v1 := func() string { p, _ := evm.NewExactPayment(v.payer, &req, evm.ExactOptions{Version: 1}); return enc(p) }
	ps := facilitator.HeaderPaymentSignature
	// rawPayload edits the JSON text of a good payment (so that keys and
	// numbers can be written in ways encoding/json never produces).
	rawPayload := func(old, new string) string {
		b, err := json.Marshal(good())
		if err != nil || !strings.Contains(string(b), old) {
			t.Fatalf("%s not in %s", old, b)
		}
		return b64(strings.Replace(string(b), old, new, 1))
	}

	cases := []struct {
		name   string
		hdr    []string
		status int
		code   string
	}{
		{"not base64", []string{ps, "!!!not-base64!!!"}, 400, facilitator.CodeInvalidPayload},
		{"url-safe base64", []string{ps, strings.NewReplacer("+", "-", "/", "_").Replace(enc(good())) + "-_"}, 400, facilitator.CodeInvalidPayload},
		{"unpadded base64", []string{ps, strings.TrimRight(b64(`{"x402Version":2}x`), "=")}, 400, facilitator.CodeInvalidPayload},
		{"base64 with inner space", []string{ps, b64(`{"x402Version":2,"a":1}`)[:8] + " " + b64(`{"x402Version":2,"a":1}`)[8:]}, 400, facilitator.CodeInvalidPayload},
		{"base64 of text", []string{ps, b64("hello world!")}, 400, facilitator.CodeInvalidPayload},
		{"base64 of a JSON array", []string{ps, b64(`[1,2,3]`)}, 400, facilitator.CodeInvalidPayload},
		{"base64 of null", []string{ps, b64(`null`)}, 400, facilitator.CodeInvalidPayload},
		{"truncated JSON", []string{ps, b64(`{"x402Version":2,"accepted":{`)}, 400, facilitator.CodeInvalidPayload},
		{"wrong JSON types", []string{ps, b64(`{"x402Version":"two"}`)}, 400, facilitator.CodeInvalidPayload},
		{"oversized header", []string{ps, strings.Repeat("A", 9000)}, 400, facilitator.CodeHeaderTooLarge},
		{"empty header", []string{ps, ""}, 400, facilitator.CodeInvalidPayload},
		{"two payment headers", []string{ps, enc(good()), facilitator.HeaderXPayment, v1()}, 400, facilitator.CodeInvalidPayload},
		{"PAYMENT-SIGNATURE twice", []string{ps, enc(good()), ps, enc(good())}, 400, facilitator.CodeInvalidPayload},
		{"v1 payload in PAYMENT-SIGNATURE", []string{ps, v1()}, 400, facilitator.CodeInvalidX402Version},
		{"v2 payload in X-PAYMENT", []string{facilitator.HeaderXPayment, enc(good())}, 400, facilitator.CodeInvalidX402Version},
		{"version 3", []string{ps, with(func(p *facilitator.PaymentPayload) { p.X402Version = 3 })}, 400, facilitator.CodeInvalidX402Version},
		{"scheme not offered", []string{ps, with(func(p *facilitator.PaymentPayload) { p.Accepted.Scheme = "escrow" })}, 402, facilitator.CodeNoMatchingRequirements},
		{"other network", []string{ps, with(func(p *facilitator.PaymentPayload) { p.Accepted.Network = "eip155:8453" })}, 402, facilitator.CodeNoMatchingRequirements},
		{"cheaper route", []string{ps, enc(sign(func(r *facilitator.PaymentRequirements) { r.Amount = "1" }, evm.ExactOptions{}))}, 402, facilitator.CodeExactValueMismatch},
		{"accepted cheaper amount", []string{ps, with(func(p *facilitator.PaymentPayload) { p.Accepted.Amount = "1" })}, 402, facilitator.CodeNoMatchingRequirements},
		{"accepted other payee", []string{ps, with(func(p *facilitator.PaymentPayload) { p.Accepted.PayTo = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" })}, 402, facilitator.CodeNoMatchingRequirements},
		{"accepted other asset", []string{ps, with(func(p *facilitator.PaymentPayload) { p.Accepted.Asset = "0x036CbD53842c5426634e7929541eC2318f3dCF7e" })}, 402, facilitator.CodeNoMatchingRequirements},
		{"no accepted", []string{ps, with(func(p *facilitator.PaymentPayload) { p.Accepted = nil })}, 402, facilitator.CodeNoMatchingRequirements},
		{"signed to another payee", []string{ps, enc(sign(func(r *facilitator.PaymentRequirements) { r.PayTo = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" }, evm.ExactOptions{}))}, 402, facilitator.CodeExactRecipientMismatch},
		{"payload missing", []string{ps, with(func(p *facilitator.PaymentPayload) { p.Payload = nil })}, 402, facilitator.CodeExactPayload},
		{"payload a string", []string{ps, with(func(p *facilitator.PaymentPayload) { p.Payload = json.RawMessage(`"0xdeadbeef"`) })}, 402, facilitator.CodeExactPayload},
		{"signature missing", []string{ps, editPayload(func(ep *evm.ExactPayload) { ep.Signature = "" })}, 402, facilitator.CodeExactMissingSignature},
		{"signature garbage", []string{ps, editPayload(func(ep *evm.ExactPayload) { ep.Signature = "0x" + strings.Repeat("zz", 65) })}, 402, facilitator.CodeExactSignatureFormat},
		{"signature of 100 bytes", []string{ps, editPayload(func(ep *evm.ExactPayload) { ep.Signature = "0x" + strings.Repeat("ab", 100) })}, 402, facilitator.CodeExactSignature},
		{"signed by someone else", []string{ps, otherSigned()}, 402, facilitator.CodeExactSignature},
		{"from placeholder", []string{ps, editPayload(func(ep *evm.ExactPayload) { ep.Authorization.From = "0xPAYER_ADDRESS" })}, 402, facilitator.CodeExactPayload},
		{"nonce short", []string{ps, editPayload(func(ep *evm.ExactPayload) { ep.Authorization.Nonce = "0x01" })}, 402, facilitator.CodeExactPayload},
		{"value tampered after signing", []string{ps, editPayload(func(ep *evm.ExactPayload) { ep.Authorization.Value = "1" })}, 402, facilitator.CodeExactValueMismatch},
		{"validBefore tampered", []string{ps, editPayload(func(ep *evm.ExactPayload) { ep.Authorization.ValidBefore = evm.NumString("9999999999") })}, 402, facilitator.CodeExactValidBefore},
		{"expired", []string{ps, enc(sign(nil, evm.ExactOptions{Now: time.Now().Add(-2 * time.Hour)}))}, 402, facilitator.CodeExactValidBefore},
		{"not valid yet", []string{ps, enc(sign(nil, evm.ExactOptions{Now: time.Now().Add(time.Hour), Skew: time.Second}))}, 402, facilitator.CodeExactValidAfter},
		{"window of a week", []string{ps, enc(sign(nil, evm.ExactOptions{ValidFor: 7 * 24 * time.Hour}))}, 402, facilitator.CodeExactValidBefore},
		{"signed for another chain", []string{ps, enc(sign(func(r *facilitator.PaymentRequirements) { r.Network = "eip155:8453" }, evm.ExactOptions{}))}, 402, facilitator.CodeExactSignature},
		{"signed under another token name", []string{ps, enc(sign(func(r *facilitator.PaymentRequirements) { r.Extra = json.RawMessage(`{"name":"USDC","version":"2"}`) }, evm.ExactOptions{}))}, 402, facilitator.CodeExactSignature},
		{"duplicate value key", []string{ps, rawPayload(`"value":"10000"`, `"value":"10000","value":"10000"`)}, 400, facilitator.CodeInvalidPayload},
		{"case variant of validBefore", []string{ps, rawPayload(`"validBefore"`, `"VALIDBEFORE"`)}, 400, facilitator.CodeInvalidPayload},
		{"duplicate top-level key", []string{ps, rawPayload(`"x402Version":2`, `"x402Version":2,"x402Version":2`)}, 400, facilitator.CodeInvalidPayload},
		{"value as JSON fraction", []string{ps, rawPayload(`"value":"10000"`, `"value":10000.0`)}, 402, facilitator.CodeExactAuthorizationValue},
		{"value with leading zero", []string{ps, rawPayload(`"value":"10000"`, `"value":"010000"`)}, 402, facilitator.CodeExactAuthorizationValue},
		{"validAfter as JSON exponent", []string{ps, rawPayload(`"validAfter":"`, `"validAfter":0e0,"x":"`)}, 402, facilitator.CodeExactValidAfter},
		{"signature with v=0x1f", []string{ps, editPayload(func(ep *evm.ExactPayload) {
			b, _ := hex.DecodeString(ep.Signature[2:])
			b[64] = 0x1f
			ep.Signature = "0x" + hex.EncodeToString(b)
		})}, 402, facilitator.CodeExactSignature},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := v.do(rt, v.upstream(200), tc.hdr...)
			if w.Code >= 500 {
				t.Fatalf("5xx: %d %s", w.Code, w.Body)
			}
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			var body challengeBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if body.Error != tc.code || body.Message == "" {
				t.Fatalf("code %q (%s), want %q", body.Error, body.Message, tc.code)
			}
			if pr := decodeRequired(t, w); pr.Error != tc.code || len(pr.Accepts) != 1 {
				t.Fatalf("PAYMENT-REQUIRED error %q, want %q", pr.Error, tc.code)
			}
		})
	}
	if n := v.hits.Load(); n != 0 {
		t.Fatalf("%d hostile requests reached the upstream", n)
	}
}
