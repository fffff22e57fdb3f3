package exact

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

var (
	testNow   = time.Unix(1_800_000_000, 0)
	testAsset = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
	testPayTo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
)

func testRequirements() *facilitator.PaymentRequirements {
	return &facilitator.PaymentRequirements{
		Scheme: "exact", Network: "eip155:1337", Amount: "10000", Asset: testAsset, PayTo: testPayTo,
		MaxTimeoutSeconds: 60, Extra: json.RawMessage(`{"name":"USD Coin","version":"2"}`),
	}
}

func mustKey(t testing.TB, hexKey string) *ecdsa.PrivateKey {
	k, err := crypto.HexToECDSA(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// payerKey is a throwaway key used only in these tests.
const payerKeyHex = "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"

func signed(t testing.TB, key *ecdsa.PrivateKey, r *facilitator.PaymentRequirements, version int) *facilitator.PaymentPayload {
	t.Helper()
	p, err := evm.NewExactPayment(key, r, evm.ExactOptions{Version: version, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// edit decodes the scheme payload, applies fn and re-encodes it.
func edit(t testing.TB, p *facilitator.PaymentPayload, fn func(*evm.ExactPayload)) *facilitator.PaymentPayload {
	t.Helper()
	var ep evm.ExactPayload
	if err := json.Unmarshal(p.Payload, &ep); err != nil {
		t.Fatal(err)
	}
	fn(&ep)
	raw, err := json.Marshal(ep)
	if err != nil {
		t.Fatal(err)
	}
	q := *p
	q.Payload = raw
	return &q
}

// resign signs an authorization edited by fn with key under domain d.
func resign(t testing.TB, key *ecdsa.PrivateKey, d evm.Domain, fn func(*evm.Authorization)) *facilitator.PaymentPayload {
	t.Helper()
	p := signed(t, key, testRequirements(), 2)
	return edit(t, p, func(ep *evm.ExactPayload) {
		a, err := ep.Authorization.Parse()
		if err != nil {
			t.Fatal(err)
		}
		fn(&a)
		sig, err := evm.SignAuthorization(key, evm.TransferWithAuthorizationTypeHash, &d, &a)
		if err != nil {
			t.Fatal(err)
		}
		aj := a.JSON()
		ep.Authorization = &aj
		ep.Signature = "0x" + hex.EncodeToString(sig)
	})
}

func TestVerifyAcceptsValidPayments(t *testing.T) {
	f, _ := New(Config{ChainID: 1337, Now: func() time.Time { return testNow }})
	key := mustKey(t, payerKeyHex)
	for _, v := range []int{1, 2} {
		p := signed(t, key, testRequirements(), v)
		got, err := f.Verify(context.Background(), p, testRequirements())
		if err != nil || !got.IsValid || got.Payer != crypto.PubkeyToAddress(key.PublicKey).Hex() {
			t.Fatalf("v%d: %+v, %v", v, got, err)
		}
	}
	// A v1 payload naming the network by its v1 name verifies against CAIP-2 requirements.
	f2, _ := New(Config{ChainID: 84532, Now: func() time.Time { return testNow }})
	r := testRequirements()
	r.Network = "eip155:84532"
	p := signed(t, key, r, 1)
	if p.Network != "base-sepolia" {
		t.Fatalf("v1 network = %q", p.Network)
	}
	if got, _ := f2.Verify(context.Background(), p, r); !got.IsValid {
		t.Fatalf("v1 base-sepolia: %+v", got)
	}
}

func TestVerifyRejectsInvalidPayments(t *testing.T) {
	key := mustKey(t, payerKeyHex)
	other := mustKey(t, "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
	good := func() *facilitator.PaymentPayload { return signed(t, key, testRequirements(), 2) }
	dom, _ := evm.DomainFor(testRequirements())
	withDomain := func(fn func(*evm.Domain)) evm.Domain { d := dom; fn(&d); return d }
	accepted := func(fn func(*facilitator.PaymentRequirements)) *facilitator.PaymentPayload {
		p := good()
		a := *p.Accepted
		fn(&a)
		p.Accepted = &a
		return p
	}
	nowS := uint64(testNow.Unix())

	cases := []struct {
		name string
		p    *facilitator.PaymentPayload
		req  func(*facilitator.PaymentRequirements)
		code string
	}{
		{"version 3", func() *facilitator.PaymentPayload { p := good(); p.X402Version = 3; return p }(), nil, facilitator.CodeInvalidX402Version},
		{"version 0", func() *facilitator.PaymentPayload { p := good(); p.X402Version = 0; return p }(), nil, facilitator.CodeInvalidX402Version},
		{"v2 scheme upto", accepted(func(a *facilitator.PaymentRequirements) { a.Scheme = "upto" }), nil, facilitator.CodeExactScheme},
		{"v1 scheme escrow", func() *facilitator.PaymentPayload {
			p := signed(t, key, testRequirements(), 1)
			p.Scheme = "escrow"
			return p
		}(), nil, facilitator.CodeExactScheme},
		{"v2 other chain", accepted(func(a *facilitator.PaymentRequirements) { a.Network = "eip155:1" }), nil, facilitator.CodeExactNetworkMismatch},
		{"v1 network name base", func() *facilitator.PaymentPayload {
			p := signed(t, key, testRequirements(), 1)
			p.Network = "base"
			return p
		}(), nil, facilitator.CodeExactNetworkMismatch},
		{"v1 payload with v2 accepted only", func() *facilitator.PaymentPayload { p := good(); p.X402Version = 1; return p }(), nil, facilitator.CodeExactScheme},
		{"v2 without accepted", func() *facilitator.PaymentPayload {
			p := signed(t, key, testRequirements(), 1)
			p.X402Version = 2
			return p
		}(), nil, facilitator.CodeInvalidPayload},
		{"accepted other asset", accepted(func(a *facilitator.PaymentRequirements) { a.Asset = "0x036CbD53842c5426634e7929541eC2318f3dCF7e" }), nil, facilitator.CodeExactAssetMismatch},
		{"accepted other payee", accepted(func(a *facilitator.PaymentRequirements) { a.PayTo = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" }), nil, facilitator.CodeExactRecipientMismatch},
		{"accepted cheaper route", accepted(func(a *facilitator.PaymentRequirements) { a.Amount = "1" }), nil, facilitator.CodeExactValueMismatch},
		{"payload missing", func() *facilitator.PaymentPayload { p := good(); p.Payload = nil; return p }(), nil, facilitator.CodeExactPayload},
		{"payload is an array", func() *facilitator.PaymentPayload { p := good(); p.Payload = json.RawMessage(`[1,2]`); return p }(), nil, facilitator.CodeExactPayload},
		{"payload wrong types", func() *facilitator.PaymentPayload {
			p := good()
			p.Payload = json.RawMessage(`{"signature":5}`)
			return p
		}(), nil, facilitator.CodeExactPayload},
		{"authorization missing", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization = nil }), nil, facilitator.CodeExactPayload},
		{"signature missing", edit(t, good(), func(ep *evm.ExactPayload) { ep.Signature = "" }), nil, facilitator.CodeExactMissingSignature},
		{"from placeholder", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.From = "0xPAYER_ADDRESS" }), nil, facilitator.CodeExactPayload},
		{"nonce too short", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.Nonce = "0x1234" }), nil, facilitator.CodeExactPayload},
		{"nonce not hex", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.Nonce = "0x" + strings.Repeat("zz", 32) }), nil, facilitator.CodeExactPayload},
		{"value negative", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.Value = "-10000" }), nil, facilitator.CodeExactAuthorizationValue},
		{"value fractional", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.Value = "10000.0" }), nil, facilitator.CodeExactAuthorizationValue},
		{"value exponent", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.Value = "1e4" }), nil, facilitator.CodeExactAuthorizationValue},
		{"value plus sign", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.Value = "+10000" }), nil, facilitator.CodeExactAuthorizationValue},
		{"value leading zero", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.Value = "010000" }), nil, facilitator.CodeExactAuthorizationValue},
		{"value overflows uint256", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.Value = evm.NumString(strings.Repeat("9", 78)) }), nil, facilitator.CodeExactAuthorizationValue},
		{"validAfter leading zero", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.ValidAfter = "00" }), nil, facilitator.CodeExactValidAfter},
		{"validBefore with spaces", edit(t, good(), func(ep *evm.ExactPayload) { ep.Authorization.ValidBefore = " 1" }), nil, facilitator.CodeExactValidBefore},
		{"authorization pays someone else", resign(t, key, dom, func(a *evm.Authorization) { a.To = common.HexToAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC") }), nil, facilitator.CodeExactRecipientMismatch},
		{"underpaid", resign(t, key, dom, func(a *evm.Authorization) { a.Value.SetUint64(9999) }), nil, facilitator.CodeExactValueMismatch},
		{"overpaid", resign(t, key, dom, func(a *evm.Authorization) { a.Value.SetUint64(10001) }), nil, facilitator.CodeExactValueMismatch},
		{"expired", resign(t, key, dom, func(a *evm.Authorization) { a.ValidBefore.SetUint64(nowS - 1) }), nil, facilitator.CodeExactValidBefore},
		{"expires within grace", resign(t, key, dom, func(a *evm.Authorization) { a.ValidBefore.SetUint64(nowS + 3) }), nil, facilitator.CodeExactValidBefore},
		{"valid for 30 days", resign(t, key, dom, func(a *evm.Authorization) { a.ValidBefore.SetUint64(nowS + 30*86400) }), nil, facilitator.CodeExactValidBefore},
		{"validBefore max uint256", resign(t, key, dom, func(a *evm.Authorization) { a.ValidBefore.SetAllOne() }), nil, facilitator.CodeExactValidBefore},
		{"not valid yet", resign(t, key, dom, func(a *evm.Authorization) { a.ValidAfter.SetUint64(nowS + 60) }), nil, facilitator.CodeExactValidAfter},
		{"signature not hex", edit(t, good(), func(ep *evm.ExactPayload) { ep.Signature = "0xnothex" }), nil, facilitator.CodeExactSignatureFormat},
		{"signature without 0x", edit(t, good(), func(ep *evm.ExactPayload) { ep.Signature = strings.TrimPrefix(ep.Signature, "0x") }), nil, facilitator.CodeExactSignatureFormat},
		{"signature placeholder", edit(t, good(), func(ep *evm.ExactPayload) { ep.Signature = "0xSIGNED_ERC3009_SIGNATURE" }), nil, facilitator.CodeExactSignatureFormat},
		{"signature truncated", edit(t, good(), func(ep *evm.ExactPayload) { ep.Signature = ep.Signature[:len(ep.Signature)-2] }), nil, facilitator.CodeExactSignature},
		{"signed by another key", resign(t, other, dom, func(a *evm.Authorization) { a.From = crypto.PubkeyToAddress(key.PublicKey) }), nil, facilitator.CodeExactSignature},
		{"signed for another chain", resign(t, key, withDomain(func(d *evm.Domain) { d.ChainID = 8453 }), func(*evm.Authorization) {}), nil, facilitator.CodeExactSignature},
		{"signed for another token name", resign(t, key, withDomain(func(d *evm.Domain) { d.Name = "USDC" }), func(*evm.Authorization) {}), nil, facilitator.CodeExactSignature},
		{"signed for another contract", resign(t, key, withDomain(func(d *evm.Domain) { d.VerifyingContract[0] ^= 1 }), func(*evm.Authorization) {}), nil, facilitator.CodeExactSignature},
		{"high-s malleated signature", edit(t, good(), func(ep *evm.ExactPayload) { ep.Signature = malleate(t, ep.Signature) }), nil, facilitator.CodeExactSignature},
		{"broken ERC-6492 wrapper", edit(t, good(), func(ep *evm.ExactPayload) {
			ep.Signature = "0x" + strings.Repeat("00", 40) + strings.Repeat("6492", 16)
		}), nil, facilitator.CodeExactSignatureFormat},
		{"server asset without EIP-712 domain", good(), func(r *facilitator.PaymentRequirements) { r.Extra = nil }, facilitator.CodeExactMissingDomain},
		{"server requirement for another chain", good(), func(r *facilitator.PaymentRequirements) { r.Network = "eip155:8453" }, facilitator.CodeExactNetworkConfig},
		{"server amount not a number", good(), func(r *facilitator.PaymentRequirements) { r.Amount = "0.01" }, facilitator.CodeExactRequiredAmount},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	f, _ := New(Config{ChainID: 1337, Now: func() time.Time { return testNow }})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testRequirements()
			if tc.req != nil {
				tc.req(r)
			}
			got, err := f.Verify(context.Background(), tc.p, r)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if got.IsValid || got.InvalidReason != tc.code {
				t.Fatalf("got %+v, want invalid %s", got, tc.code)
			}
			if got.InvalidMessage == "" {
				t.Fatal("no human message")
			}
		})
	}
}

// malleate returns the high-s twin of a 65-byte signature (same signer, but
// tokens reject it).
func malleate(t testing.TB, sigHex string) string {
	sig, err := evm.DecodeHexBytes(sigHex, 65)
	if err != nil {
		t.Fatal(err)
	}
	n := uint256.MustFromHex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
	var s uint256.Int
	s.SetBytes32(sig[32:64])
	s.Sub(n, &s)
	b := s.Bytes32()
	out := bytes.Clone(sig)
	copy(out[32:64], b[:])
	out[64] = 27 + (28 - out[64])
	return "0x" + hex.EncodeToString(out)
}

func BenchmarkVerifyOffline(b *testing.B) {
	key := mustKey(b, payerKeyHex)
	r := testRequirements()
	prep, err := Prepare(r)
	if err != nil {
		b.Fatal(err)
	}
	p := signed(b, key, r, 2)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, xerr := Check(p, prep, testNow, 0)
		if xerr != nil || c.NeedsChain {
			b.Fatal(xerr)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	key := mustKey(b, payerKeyHex)
	r := testRequirements()
	f, _ := New(Config{ChainID: 1337, Now: func() time.Time { return testNow }})
	p := signed(b, key, r, 2)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := f.Verify(context.Background(), p, r)
		if err != nil || !got.IsValid {
			b.Fatal(got, err)
		}
	}
}
