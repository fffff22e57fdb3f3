package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
	"github.com/caddy-x402/x402/facilitator/remote"
	"github.com/caddy-x402/x402/facilitator/server"
)

// TestExactFacilitatorOverHTTP serves the embedded exact facilitator on a
// dev chain (chain ID 11155111, so that the reference §11 bodies name it)
// and drives it through the remote client: /supported, v1 and v2 payments
// verified and settled with exact balance changes, invalid payments answered
// 400 with their code and no failover to the second URL, and the two
// published example bodies answered with precise reasons.
func TestExactFacilitatorOverHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	chain, err := devchain.Start(devchain.Options{ChainID: 11155111, Accounts: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	facKey, payTo, payer, other := chain.Accounts[1], chain.Accounts[2], chain.Accounts[3], chain.Accounts[4]
	f, err := exact.New(exact.Config{ChainID: 11155111, Backend: chain.Client, Key: facKey.Key})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(f))
	defer srv.Close()
	var spareHits atomic.Int32
	spare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		spareHits.Add(1)
		http.Error(w, "spare", http.StatusServiceUnavailable)
	}))
	defer spare.Close()
	rc, err := remote.New(remote.Config{URLs: []string{srv.URL, spare.URL}})
	if err != nil {
		t.Fatal(err)
	}

	sup, err := rc.Supported(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []facilitator.SupportedKind{
		{X402Version: 1, Scheme: "exact", Network: "sepolia"},
		{X402Version: 2, Scheme: "exact", Network: "eip155:11155111"},
	} {
		if !slices.ContainsFunc(sup.Kinds, func(k facilitator.SupportedKind) bool {
			return k.X402Version == want.X402Version && k.Scheme == want.Scheme && k.Network == want.Network
		}) {
			t.Errorf("/supported %+v lacks %+v", sup.Kinds, want)
		}
	}
	if got := sup.Signers["eip155:*"]; len(got) != 1 || got[0] != facKey.Address.Hex() {
		t.Errorf("/supported signers %v, want [%s]", sup.Signers, facKey.Address.Hex())
	}

	balance := func(a common.Address) *big.Int {
		b, err := chain.BalanceOf(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const amount = 250_000
	r := &facilitator.PaymentRequirements{Scheme: "exact", Network: "eip155:11155111", Amount: "250000",
		Asset: chain.Token.Hex(), PayTo: payTo.Address.Hex(), MaxTimeoutSeconds: 120,
		Extra: json.RawMessage(`{"name":"USD Coin","version":"2"}`)}

	for _, tc := range []struct {
		version int
		network string
	}{{1, "sepolia"}, {2, "eip155:11155111"}} {
		payerBefore, payToBefore := balance(payer.Address), balance(payTo.Address)
		p, err := evm.NewExactPayment(payer.Key, r, evm.ExactOptions{Version: tc.version})
		if err != nil {
			t.Fatal(err)
		}
		v, err := rc.Verify(ctx, p, r)
		if err != nil || !v.IsValid || v.Payer != payer.Address.Hex() {
			t.Fatalf("v%d verify: %+v, %v", tc.version, v, err)
		}
		s, err := rc.Settle(ctx, p, r)
		if err != nil || !s.Success || len(s.Transaction) != 66 || s.Network != tc.network || s.Payer != payer.Address.Hex() {
			t.Fatalf("v%d settle: %+v, %v", tc.version, s, err)
		}
		if again, err := rc.Settle(ctx, p, r); err != nil || !again.Success || again.Transaction != s.Transaction {
			t.Fatalf("v%d settle again: %+v, %v; want %s", tc.version, again, err, s.Transaction)
		}
		if got, want := balance(payer.Address), new(big.Int).Sub(payerBefore, big.NewInt(amount)); got.Cmp(want) != 0 {
			t.Errorf("v%d: payer balance %s, want %s", tc.version, got, want)
		}
		if got, want := balance(payTo.Address), new(big.Int).Add(payToBefore, big.NewInt(amount)); got.Cmp(want) != 0 {
			t.Errorf("v%d: payee balance %s, want %s", tc.version, got, want)
		}
	}

	// Invalid payments: a definitive 400 with the code, via the client (no
	// failover) and on the wire.
	cheaper := *r
	cheaper.Amount = "1"
	for _, tc := range []struct {
		name string
		p    *facilitator.PaymentPayload
		r    *facilitator.PaymentRequirements
		code string
	}{
		{"paid for a cheaper route", mustPay(t, payer, &cheaper, 2), r, facilitator.CodeExactValueMismatch},
		{"v1, signed by someone else", forge(t, mustPay(t, payer, r, 1), r, other), r, facilitator.CodeExactSignature},
		{"v2, signed by someone else", forge(t, mustPay(t, payer, r, 2), r, other), r, facilitator.CodeExactSignature},
	} {
		v, err := rc.Verify(ctx, tc.p, tc.r)
		if err != nil || v.IsValid || v.InvalidReason != tc.code || v.InvalidMessage == "" {
			t.Errorf("%s: verify %+v, %v; want %s", tc.name, v, err, tc.code)
		}
		s, err := rc.Settle(ctx, tc.p, tc.r)
		if err != nil || s.Success || s.ErrorReason != tc.code || s.Transaction != "" {
			t.Errorf("%s: settle %+v, %v; want %s", tc.name, s, err, tc.code)
		}
		body, err := facilitator.EncodeRequest(tc.p, tc.r, facilitator.ResourceInfo{})
		if err != nil {
			t.Fatal(err)
		}
		for _, route := range []string{"/verify", "/settle"} {
			if status, m := post(t, srv.URL+route, body); status != http.StatusBadRequest || (m["invalidReason"] != tc.code && m["errorReason"] != tc.code) {
				t.Errorf("%s: POST %s: %d %v; want 400 with %s", tc.name, route, status, m, tc.code)
			}
		}
	}
	if n := spareHits.Load(); n != 0 {
		t.Errorf("the spare facilitator was asked %d times; invalid answers must not fail over", n)
	}

	// Reference §11 bodies, verbatim: placeholders get a precise reason.
	for _, file := range []string{"testdata/wild_v1.json", "testdata/wild_v2.json"} {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		status, m := post(t, srv.URL+"/verify", body)
		msg, _ := m["invalidMessage"].(string)
		if status != http.StatusBadRequest || m["isValid"] != false || m["invalidReason"] != facilitator.CodeInvalidPaymentRequirements ||
			!strings.Contains(msg, `"0xUSDC_CONTRACT_ADDRESS" is not a 0x-prefixed 20-byte hex address`) {
			t.Errorf("%s: %d %v; want 400 %s naming the placeholder asset", file, status, m, facilitator.CodeInvalidPaymentRequirements)
		}
	}
}

func mustPay(t *testing.T, payer devchain.Account, r *facilitator.PaymentRequirements, version int) *facilitator.PaymentPayload {
	t.Helper()
	p, err := evm.NewExactPayment(payer.Key, r, evm.ExactOptions{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// forge replaces the signature of p with signer's signature of the same
// authorization (a valid signature, by the wrong key).
func forge(t *testing.T, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements, signer devchain.Account) *facilitator.PaymentPayload {
	t.Helper()
	var ep evm.ExactPayload
	if err := json.Unmarshal(p.Payload, &ep); err != nil {
		t.Fatal(err)
	}
	a, err := ep.Authorization.Parse()
	if err != nil {
		t.Fatal(err)
	}
	d, err := evm.DomainFor(r)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := evm.SignAuthorization(signer.Key, evm.TransferWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		t.Fatal(err)
	}
	ep.Signature = "0x" + hex.EncodeToString(sig)
	q := *p
	if q.Payload, err = json.Marshal(ep); err != nil {
		t.Fatal(err)
	}
	return &q
}

func post(t *testing.T, url string, body []byte) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return resp.StatusCode, m
}
