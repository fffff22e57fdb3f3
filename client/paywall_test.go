package client

import (
	"context"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/paywall"
	"github.com/ethereum/go-ethereum/crypto"
)

// settleOK is a facilitator that settles every payment it is given (the
// paywall has already verified the signature in-process).
type settleOK struct{ failWith string }

func (settleOK) Supported(context.Context) (facilitator.SupportedResponse, error) {
	return facilitator.SupportedResponse{}, nil
}

func (settleOK) Verify(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
	return facilitator.VerifyResponse{IsValid: true}, nil
}

func (f settleOK) Settle(_ context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
	if f.failWith != "" {
		return facilitator.SettleResponse{ErrorReason: f.failWith, ErrorMessage: "test settlement failure", Network: r.Network}, nil
	}
	return facilitator.SettleResponse{Success: true, Transaction: "0x01", Network: r.Network}, nil
}

// paywallServer serves a real paywall.Route (settle mode "before") in front
// of a handler that echoes the verified payer.
func paywallServer(t *testing.T, f facilitator.Facilitator) *httptest.Server {
	t.Helper()
	offer, err := paywall.NewExactOffer(testRequirements("10000"), "USDC", 6)
	if err != nil {
		t.Fatal(err)
	}
	guard := paywall.NewMemoryGuard(1024, time.Minute)
	t.Cleanup(func() { _ = guard.Close() })
	rt := &paywall.Route{Offers: []*paywall.Offer{offer}, Mode: paywall.SettleBefore, Description: "interop"}
	if err := rt.Init(&paywall.Engine{Facilitator: f, Guard: guard}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rt.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "payer="+r.Header.Get(paywall.DefaultPayerHeader))
	})))
	t.Cleanup(ts.Close)
	return ts
}

// TestPaywallInterop pays our own paywall engine in both protocol versions:
// the honest check that the client and the server agree on the wire.
func TestPaywallInterop(t *testing.T) {
	ts := paywallServer(t, settleOK{})
	for _, prefer := range []int{2, 1} {
		key := testKey(t)
		c := &Client{Key: key, PreferVersion: prefer, MaxAmount: big.NewInt(10000)}
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/paid/data", nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("v%d: %v", prefer, err)
		}
		body := readBody(t, res.Response)
		if want := "payer=" + crypto.PubkeyToAddress(key.PublicKey).Hex(); body != want || !res.Paid || res.Version != prefer {
			t.Errorf("v%d: body %q paid %v version %d; want %q", prefer, body, res.Paid, res.Version, want)
		}
		if res.PaymentResponse == nil || !res.PaymentResponse.Success {
			t.Errorf("v%d: PaymentResponse = %+v", prefer, res.PaymentResponse)
		}
	}
}

func TestPaywallInteropRefused(t *testing.T) {
	ts := paywallServer(t, settleOK{failWith: facilitator.CodeExactInsufficientBalance})
	c := &Client{Key: testKey(t)}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/paid/data", nil)
	res, err := c.Do(req)
	var pe *PaymentError
	if !errors.As(err, &pe) || pe.Code != facilitator.CodeExactInsufficientBalance || pe.Status != http.StatusPaymentRequired {
		t.Fatalf("err = %v, want a 402 PaymentError %s", err, facilitator.CodeExactInsufficientBalance)
	}
	res.Response.Body.Close()

	// A replayed payment header is refused by the replay guard.
	ts = paywallServer(t, settleOK{})
	pr, version, err := challengeOf(t, ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	name, value, err := c.Sign(&pr.Accepts[0], pr.Resource, version)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{200, 402} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/paid/data", nil)
		req.Header.Set(name, value)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("send %d of the same payment: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

func challengeOf(t *testing.T, url string) (*facilitator.PaymentRequired, int, error) {
	t.Helper()
	resp, err := http.Get(url + "/paid/data")
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	return ParseChallenge(resp)
}
