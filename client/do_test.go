package client

import (
	"bytes"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/crypto"
)

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDoPays(t *testing.T) {
	tests := []struct {
		name       string
		v1Only     bool
		prefer     int
		wantHeader string
		wantVer    int
		wantResp   string
	}{
		{"v2 header and v1 body", false, 0, facilitator.HeaderPaymentSignature, 2, facilitator.HeaderPaymentResponse},
		{"v1 body only", true, 0, facilitator.HeaderXPayment, 1, facilitator.HeaderXPaymentResponse},
		{"both offered, v1 preferred", false, 1, facilitator.HeaderXPayment, 1, facilitator.HeaderXPaymentResponse},
		{"v1 only, v2 preferred", true, 2, facilitator.HeaderXPayment, 1, facilitator.HeaderXPaymentResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &x402Server{t: t, accepts: []facilitator.PaymentRequirements{testRequirements("10000")}, v1Only: tt.v1Only}
			ts := srv.start(t)
			key := testKey(t)
			c := &Client{Key: key, PreferVersion: tt.prefer, MaxAmount: big.NewInt(1000000)}
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/paid/x", nil)
			res, err := c.Do(req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if got := readBody(t, res.Response); got != "paid content: " {
				t.Errorf("body = %q", got)
			}
			if !res.Paid || res.Version != tt.wantVer || res.Response.StatusCode != 200 {
				t.Errorf("Paid=%v Version=%d status=%d", res.Paid, res.Version, res.Response.StatusCode)
			}
			if srv.paidCount() != 1 || srv.headers[0] != tt.wantHeader {
				t.Fatalf("server saw %d payments with headers %v, want one %s", srv.paidCount(), srv.headers, tt.wantHeader)
			}
			if res.Payment == nil || res.Payment.X402Version != tt.wantVer {
				t.Errorf("Payment = %+v", res.Payment)
			}
			if tt.wantVer == 1 && (res.Payment.Scheme != "exact" || res.Payment.Network != "base-sepolia" || res.Payment.Accepted != nil) {
				t.Errorf("v1 payload has scheme %q network %q accepted %v", res.Payment.Scheme, res.Payment.Network, res.Payment.Accepted)
			}
			if tt.wantVer == 2 && (res.Payment.Accepted == nil || res.Payment.Resource == nil || !strings.HasSuffix(res.Payment.Resource.URL, "/paid/x")) {
				t.Errorf("v2 payload lacks accepted or resource: %+v", res.Payment)
			}
			if res.Response.Header.Get(tt.wantResp) == "" {
				t.Errorf("no %s header", tt.wantResp)
			}
			payer := crypto.PubkeyToAddress(key.PublicKey).Hex()
			if res.PaymentResponse == nil || !res.PaymentResponse.Success || res.PaymentResponse.Payer != payer {
				t.Errorf("PaymentResponse = %+v, want success by %s", res.PaymentResponse, payer)
			}
			if res.Requirement == nil || res.Requirement.Amount != "10000" {
				t.Errorf("Requirement = %+v", res.Requirement)
			}
		})
	}
}

func TestDoRefused(t *testing.T) {
	tests := []struct {
		name, refuse, settleFail string
		wantCode, wantMsg        string
	}{
		{"402 again", facilitator.CodeExactNonceUsed, "", facilitator.CodeExactNonceUsed, "refused by the test server"},
		{"settlement failed", "", facilitator.CodeExactInsufficientBalance, facilitator.CodeExactInsufficientBalance, "settlement failed in test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &x402Server{t: t, accepts: []facilitator.PaymentRequirements{testRequirements("10000")}, refuse: tt.refuse, settleFail: tt.settleFail}
			ts := srv.start(t)
			c := &Client{Key: testKey(t)}
			req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
			res, err := c.Do(req)
			var pe *PaymentError
			if !errors.As(err, &pe) || !IsRefused(err) {
				t.Fatalf("err = %v, want *PaymentError", err)
			}
			if pe.Status != http.StatusPaymentRequired || pe.Code != tt.wantCode || pe.Message != tt.wantMsg {
				t.Errorf("PaymentError = %+v", pe)
			}
			if res == nil || res.Response == nil || res.Paid || res.Payment == nil {
				t.Fatalf("Result = %+v, want the refused response and the payment sent", res)
			}
			if body := readBody(t, res.Response); !strings.Contains(body, tt.wantCode) {
				t.Errorf("body %q lost after parsing", body)
			}
			if srv.paidCount() != 1 {
				t.Errorf("server saw %d payments, want 1 (one retry only)", srv.paidCount())
			}
		})
	}
}

func TestDoUnpayable(t *testing.T) {
	escrow := testRequirements("10000")
	escrow.Scheme = facilitator.SchemeEscrow
	solana := testRequirements("10000")
	solana.Network = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
	noDomain := testRequirements("10000")
	noDomain.Asset, noDomain.Extra = "0x1111111111111111111111111111111111111111", nil
	tests := []struct {
		name      string
		accepts   []facilitator.PaymentRequirements
		max       int64
		networks  []string
		wantAmt   bool
		wantCount int
	}{
		{"above MaxAmount", []facilitator.PaymentRequirements{testRequirements("2000000")}, 1000000, nil, true, 1},
		{"other scheme", []facilitator.PaymentRequirements{escrow}, 0, nil, false, 1},
		{"non-EVM network", []facilitator.PaymentRequirements{solana}, 0, nil, false, 1},
		{"network not allowed", []facilitator.PaymentRequirements{testRequirements("1")}, 0, []string{"base"}, false, 1},
		{"no EIP-712 domain", []facilitator.PaymentRequirements{noDomain}, 0, nil, false, 1},
		{"bad amount", []facilitator.PaymentRequirements{testRequirements("-5")}, 0, nil, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &x402Server{t: t, accepts: tt.accepts}
			ts := srv.start(t)
			c := &Client{Key: testKey(t), Networks: tt.networks}
			if tt.max > 0 {
				c.MaxAmount = big.NewInt(tt.max)
			}
			req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
			res, err := c.Do(req)
			var ue *UnpayableError
			if !errors.As(err, &ue) || len(ue.Reasons) != tt.wantCount {
				t.Fatalf("err = %v, want *UnpayableError with %d reasons", err, tt.wantCount)
			}
			var ae *AmountError
			if got := errors.As(err, &ae); got != tt.wantAmt {
				t.Errorf("errors.As AmountError = %v, want %v (%v)", got, tt.wantAmt, err)
			}
			if res == nil || res.Response.StatusCode != http.StatusPaymentRequired || res.Paid {
				t.Fatalf("Result = %+v, want the 402", res)
			}
			res.Response.Body.Close()
			if srv.paidCount() != 0 {
				t.Errorf("server saw %d payments, want none", srv.paidCount())
			}
		})
	}
}

func TestDoChoosesFirstPayable(t *testing.T) {
	escrow := testRequirements("10000")
	escrow.Scheme = facilitator.SchemeEscrow
	mainnet := testRequirements("10000")
	mainnet.Network = "base"
	mainnet.Asset, mainnet.Extra = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", nil
	srv := &x402Server{t: t, accepts: []facilitator.PaymentRequirements{escrow, testRequirements("5000000"), mainnet, testRequirements("20000"), testRequirements("10000")}}
	ts := srv.start(t)
	c := &Client{Key: testKey(t), MaxAmount: big.NewInt(1000000), Networks: []string{"base-sepolia"}}
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Response.Body.Close()
	if res.Requirement.Amount != "20000" || res.Requirement.Network != testNetwork {
		t.Errorf("paid %+v, want the first payable (20000 on %s)", res.Requirement, testNetwork)
	}
}

// onceReader is a body without GetBody (like a pipe or a file).
type onceReader struct{ io.Reader }

func (onceReader) Close() error { return nil }

func TestDoResendsBody(t *testing.T) {
	payload := strings.Repeat(`{"q":"select"}`, 100)
	tests := []struct {
		name    string
		body    func() io.Reader
		maxBody int64
		wantErr bool
	}{
		{"GetBody from strings.Reader", func() io.Reader { return strings.NewReader(payload) }, 0, false},
		{"buffered body without GetBody", func() io.Reader { return onceReader{bytes.NewBufferString(payload)} }, 0, false},
		{"body over the buffer bound", func() io.Reader { return onceReader{bytes.NewBufferString(payload)} }, 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &x402Server{t: t, accepts: []facilitator.PaymentRequirements{testRequirements("10000")}}
			ts := srv.start(t)
			c := &Client{Key: testKey(t), MaxBodyBytes: tt.maxBody}
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api", tt.body())
			req.Header.Set("Content-Type", "application/json")
			res, err := c.Do(req)
			if tt.wantErr {
				if err == nil || res != nil {
					t.Fatalf("Do = %v, %v; want an error and no result", res, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := readBody(t, res.Response); got != "paid content: "+payload {
				t.Errorf("body = %.40q…", got)
			}
			if len(srv.bodies) != 2 || srv.bodies[0] != payload || srv.bodies[1] != payload {
				t.Errorf("server saw bodies of lengths %d, want the same %d-byte body twice", len(srv.bodies), len(payload))
			}
		})
	}
}

func TestDoPassesThrough(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/free":
			_, _ = io.WriteString(w, "free")
		case "/teapot402":
			w.WriteHeader(http.StatusPaymentRequired)
			_, _ = io.WriteString(w, "pay me somehow")
		}
	}))
	defer ts.Close()
	c := &Client{Key: testKey(t)}

	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/free", nil)
	res, err := c.Do(req)
	if err != nil || res.Paid || res.Payment != nil || readBody(t, res.Response) != "free" {
		t.Fatalf("free route: %+v, %v", res, err)
	}

	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/teapot402", nil)
	res, err = c.Do(req)
	if !errors.Is(err, ErrNoChallenge) || res == nil {
		t.Fatalf("non-x402 402: %+v, %v; want ErrNoChallenge with the response", res, err)
	}
	if got := readBody(t, res.Response); got != "pay me somehow" {
		t.Errorf("body = %q, want it intact", got)
	}
}

func TestDoNoKey(t *testing.T) {
	srv := &x402Server{t: t, accepts: []facilitator.PaymentRequirements{testRequirements("10000")}}
	ts := srv.start(t)
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	res, err := (&Client{}).Do(req)
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("err = %v, want ErrNoKey", err)
	}
	res.Response.Body.Close()
}
