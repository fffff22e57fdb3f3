package facilitator

import (
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzDecodeHeader feeds arbitrary header values to DecodeHeader into a
// PaymentPayload: it must never panic, must refuse anything over the size
// cap, and must fail only with one of its documented errors. The committed
// corpus is in testdata/fuzz/FuzzDecodeHeader. Run with
//
//	go test ./facilitator -run '^$' -fuzz FuzzDecodeHeader -fuzztime 30s
func FuzzDecodeHeader(f *testing.F) {
	for _, s := range []string{
		`{"x402Version":2,"accepted":{"scheme":"exact","network":"eip155:84532","amount":"10000","asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3","payTo":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","maxTimeoutSeconds":60,"extra":{"name":"USD Coin","version":"2"}},"payload":{"authorization":{"from":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC","to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","value":"10000","validAfter":"0","validBefore":"1800000600","nonce":"0x1111111111111111111111111111111111111111111111111111111111111111"},"signature":"0x00"}}`,
		`{"x402Version":1,"scheme":"exact","network":"base-sepolia","payload":{}}`,
		`null`, `[]`, `{}`, ` {"x402Version":2} `, `{"x402Version":2}{}`, `{"payload":"\u0000"}`,
		`{"x402Version":2,"x402Version":1}`, `{"payload":{"authorization":{"value":"1","VALUE":"2"}}}`,
	} {
		f.Add(base64.StdEncoding.EncodeToString([]byte(s)))
	}
	f.Add("")
	f.Add("e30")    // unpadded
	f.Add("e3 0=")  // whitespace
	f.Add("e30=\n") // trailing newline
	f.Add("-_-_")   // URL alphabet
	f.Add("////")   // decodes to non-JSON bytes
	f.Fuzz(func(t *testing.T, value string) {
		var p PaymentPayload
		err := DecodeHeader(value, 0, &p)
		if len(value) > MaxHeaderBytes && !errors.Is(err, ErrHeaderTooLarge) {
			t.Fatalf("%d-byte header: %v, want ErrHeaderTooLarge", len(value), err)
		}
		if err == nil {
			if _, derr := base64.StdEncoding.Strict().DecodeString(value); derr != nil {
				t.Fatalf("accepted a header that is not strict base64: %q", value)
			}
			return
		}
		for _, want := range []error{ErrHeaderEmpty, ErrHeaderTooLarge, ErrHeaderBase64, ErrHeaderJSON, ErrAmbiguousJSON} {
			if errors.Is(err, want) {
				return
			}
		}
		t.Fatalf("undocumented error %v", err)
	})
}

// FuzzDecodeRequest feeds arbitrary bodies to DecodeRequest (the /verify and
// /settle bodies of the facilitator API): it must never panic, and must fail
// only with an *Error that carries an x402 code. The committed corpus is in
// testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"x402Version":2,"paymentPayload":{"x402Version":2,"accepted":{"scheme":"exact","network":"eip155:84532","amount":"1","asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3","payTo":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},"payload":{}},"paymentRequirements":{"scheme":"exact","network":"eip155:84532","amount":"1","asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3","payTo":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","maxTimeoutSeconds":60}}`,
		`{"x402Version":1,"paymentPayload":{"x402Version":1,"scheme":"exact","network":"base-sepolia","payload":{}},"paymentRequirements":{"scheme":"exact","network":"base-sepolia","maxAmountRequired":"1","resource":"http://x/","payTo":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3","maxTimeoutSeconds":60}}`,
		`{"x402Version":1,"paymentPayload":{"x402Version":2,"payload":{}},"paymentRequirements":{}}`,
		`{"paymentPayload":{"x402Version":1},"paymentRequirements":{"amount":"5"}}`,
		`{"paymentPayload":{"x402Version":2},"paymentRequirements":{"maxAmountRequired":"5"}}`,
		`{"paymentPayload":null,"paymentRequirements":[]}`,
		`{"paymentPayload":{"x402Version":3},"paymentRequirements":{}}`,
		``, `null`, `{`, `{"paymentPayload":{"x402Version":1e400}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(body)
		if err != nil {
			var xe *Error
			if !errors.As(err, &xe) || xe.Code == "" {
				t.Fatalf("error without an x402 code: %T %v", err, err)
			}
			if req != nil {
				t.Fatal("a request came back with the error")
			}
			return
		}
		if req.X402Version != V1 && req.X402Version != V2 {
			t.Fatalf("accepted x402Version %d", req.X402Version)
		}
	})
}
