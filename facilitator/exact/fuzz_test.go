package exact

import (
	"encoding/json"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/crypto"
)

// fuzzSeeds are valid payments (v2 and v1) for testRequirements, and small
// edits of them, as JSON.
func fuzzSeeds(f *testing.F) [][]byte {
	key := mustKey(f, payerKeyHex)
	var out [][]byte
	for _, v := range []int{2, 1} {
		p := signed(f, key, testRequirements(), v)
		b, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// checkInvariants runs Check and fails on anything but a clean verdict: a
// *facilitator.Error with a code, or a payment that really pays the
// requirement (payee, amount, and the signer when no chain check is needed).
func checkInvariants(t *testing.T, p *facilitator.PaymentPayload, prep *Prepared) {
	c, xerr := Check(p, prep, testNow, 0)
	switch {
	case c == nil && xerr == nil:
		t.Fatal("Check returned neither a payment nor an error")
	case c != nil && xerr != nil:
		t.Fatal("Check returned a payment and an error")
	case xerr != nil:
		if xerr.Code == "" {
			t.Fatalf("error without a code: %v", xerr)
		}
		return
	}
	if c.Auth.To != prep.PayTo || !c.Auth.Value.Eq(&prep.Amount) {
		t.Fatalf("accepted a payment of %s to %s", c.Auth.Value.Dec(), c.Auth.To.Hex())
	}
	if !c.NeedsChain {
		pub, err := crypto.SigToPub(c.Digest[:], append(append([]byte(nil), c.Inner[:64]...), c.Inner[64]%27))
		if err != nil || crypto.PubkeyToAddress(*pub) != c.Auth.From {
			t.Fatalf("accepted an ECDSA signature that is not the payer's (%v)", err)
		}
	}
}

// FuzzCheck feeds arbitrary payment payload JSON to Check with fixed
// requirements: it must never panic and only answer with a
// *facilitator.Error or a payment that pays exactly what is required. The
// committed corpus is in testdata/fuzz/FuzzCheck. Run with
//
//	go test ./facilitator/exact -run '^$' -fuzz '^FuzzCheck$' -fuzztime 30s
func FuzzCheck(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"x402Version":2,"accepted":{"scheme":"exact","network":"eip155:1337"},"payload":{"authorization":{},"signature":"0x"}}`))
	f.Add([]byte(`{"x402Version":1,"scheme":"exact","network":"eip155:1337","payload":[]}`))
	prep, err := Prepare(testRequirements())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p facilitator.PaymentPayload
		if json.Unmarshal(raw, &p) != nil {
			return
		}
		checkInvariants(t, &p, prep)
	})
}

// FuzzCheckSchemePayload keeps a valid v2 envelope and fuzzes only the
// scheme payload (authorization and signature), where most of Check's
// parsing happens. Corpus: testdata/fuzz/FuzzCheckSchemePayload.
func FuzzCheckSchemePayload(f *testing.F) {
	seeds := fuzzSeeds(f)
	var envelope facilitator.PaymentPayload
	if err := json.Unmarshal(seeds[0], &envelope); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(envelope.Payload))
	var ep evm.ExactPayload
	_ = json.Unmarshal(envelope.Payload, &ep)
	for _, sig := range []string{"0x", "0x00", ep.Signature + "00", "0x6492", ep.Signature[:40]} {
		q := ep
		q.Signature = sig
		b, _ := json.Marshal(q)
		f.Add(b)
	}
	f.Add([]byte(`{"authorization":{"from":"0x0","to":"0x0","value":"-1","validAfter":"x","validBefore":"99999999999999999999999999999999999999999999999999999999999999999999999999999999","nonce":"0x"},"signature":"0x"}`))
	prep, err := Prepare(testRequirements())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		p := envelope
		p.Payload = payload
		checkInvariants(t, &p, prep)
	})
}
