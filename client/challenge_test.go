package client

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
)

func mustEncode(t *testing.T, v any) string {
	t.Helper()
	s, err := facilitator.EncodeHeader(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseChallenge(t *testing.T) {
	req := testRequirements("10000")
	res := facilitator.ResourceInfo{URL: "https://api.example/paid", Description: "d"}
	v2 := mustEncode(t, facilitator.PaymentRequired{X402Version: 2, Resource: &res, Accepts: []facilitator.PaymentRequirements{req}})
	v1 := `{"x402Version":1,"error":"X-PAYMENT header is required","accepts":[{"scheme":"exact","network":"base-sepolia","maxAmountRequired":"777","resource":"https://api.example/paid","description":"","mimeType":"","payTo":"` + testPayTo + `","maxTimeoutSeconds":60,"asset":"` + testAsset + `","extra":{"name":"USDC","version":"2"}}]}`
	tests := []struct {
		name       string
		header     string
		body       string
		prefer     int
		wantVer    int
		wantAmount string
		wantErr    bool
	}{
		{"v2 header and v1 body", v2, v1, 2, 2, "10000", false},
		{"v2 header, prefer v1", v2, v1, 1, 1, "777", false},
		{"v2 header only, prefer v1", v2, `null`, 1, 2, "10000", false},
		{"v1 body only", "", v1, 2, 1, "777", false},
		{"malformed header falls back to body", "not base64!", v1, 2, 1, "777", false},
		{"header with v1 version falls back", mustEncode(t, map[string]any{"x402Version": 1, "accepts": []any{req}}), v1, 2, 1, "777", false},
		{"header without accepts", mustEncode(t, facilitator.PaymentRequired{X402Version: 2}), "{}", 2, 0, "", true},
		{"nothing", "", "<html>pay</html>", 2, 0, "", true},
		{"v2 body is not a v1 challenge", "", `{"x402Version":2,"accepts":[]}`, 2, 0, "", true},
		{"v1 body over the read bound", "", v1[:len(v1)-1] + strings.Repeat(" ", MaxChallengeBytes) + "}", 2, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 402, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			if tt.header != "" {
				resp.Header.Set(facilitator.HeaderPaymentRequired, tt.header)
			}
			pr, ver, err := parseChallenge(resp, tt.prefer)
			if tt.wantErr {
				if !errors.Is(err, ErrNoChallenge) {
					t.Fatalf("err = %v, want ErrNoChallenge", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if ver != tt.wantVer || pr.X402Version != tt.wantVer || pr.Accepts[0].Amount != tt.wantAmount {
					t.Errorf("version %d (%d), amount %s; want %d, %s", ver, pr.X402Version, pr.Accepts[0].Amount, tt.wantVer, tt.wantAmount)
				}
				if pr.Resource == nil || pr.Resource.URL != "https://api.example/paid" {
					t.Errorf("resource = %+v", pr.Resource)
				}
			}
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.body {
				t.Errorf("body not intact after parsing: %d bytes, want %d", len(b), len(tt.body))
			}
		})
	}
}

func TestParseChallengeExported(t *testing.T) {
	resp := &http.Response{StatusCode: 402, Header: http.Header{}, Body: http.NoBody}
	resp.Header.Set(facilitator.HeaderPaymentRequired, mustEncode(t, facilitator.PaymentRequired{X402Version: 2, Accepts: []facilitator.PaymentRequirements{testRequirements("1")}}))
	pr, ver, err := ParseChallenge(resp)
	if err != nil || ver != 2 || len(pr.Accepts) != 1 {
		t.Fatalf("ParseChallenge = %+v, %d, %v", pr, ver, err)
	}
}

func TestRefusal(t *testing.T) {
	failed := &facilitator.SettleResponse{Success: false, ErrorReason: "invalid_exact_evm_transaction_failed", ErrorMessage: "reverted"}
	ok := &facilitator.SettleResponse{Success: true}
	tests := []struct {
		name     string
		status   int
		header   string
		body     string
		sr       *facilitator.SettleResponse
		wantNil  bool
		wantCode string
		wantMsg  string
	}{
		{"200 settled", 200, "", "hello", ok, true, "", ""},
		{"200 without settlement", 200, "", "hello", nil, true, "", ""},
		{"plain application 400", 400, "", `{"error":"bad query"}`, ok, true, "", ""},
		{"402 with header code and body message", 402, mustEncode(t, facilitator.PaymentRequired{X402Version: 2, Error: "invalid_exact_evm_signature"}), `{"x402Version":1,"error":"x","message":"bad signature"}`, nil, false, "invalid_exact_evm_signature", "bad signature"},
		{"400 from the paywall", 400, "", `{"x402Version":1,"error":"invalid_payload","message":"not base64"}`, nil, false, "invalid_payload", "not base64"},
		{"402 settle failure", 402, "", `{"x402Version":2,"error":"other"}`, failed, false, "invalid_exact_evm_transaction_failed", "reverted"},
		{"200 with failed settlement", 200, "", "hello", failed, false, "invalid_exact_evm_transaction_failed", "reverted"},
		{"402 with nothing readable", 402, "", "<html>", nil, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			if tt.header != "" {
				resp.Header.Set(facilitator.HeaderPaymentRequired, tt.header)
			}
			pe := refusal(resp, tt.sr)
			if tt.wantNil {
				if pe != nil {
					t.Fatalf("refusal = %+v, want nil", pe)
				}
				return
			}
			if pe == nil || pe.Status != tt.status || pe.Code != tt.wantCode || pe.Message != tt.wantMsg {
				t.Fatalf("refusal = %+v, want %d %q %q", pe, tt.status, tt.wantCode, tt.wantMsg)
			}
			if pe.Error() == "" {
				t.Error("empty Error()")
			}
		})
	}
}

func TestSettleResponseHeaders(t *testing.T) {
	for _, name := range []string{facilitator.HeaderPaymentResponse, facilitator.HeaderXPaymentResponse} {
		h := http.Header{}
		h.Set(name, mustEncode(t, facilitator.SettleResponse{Success: true, Transaction: "0x1"}))
		if sr := settleResponse(h); sr == nil || sr.Transaction != "0x1" {
			t.Errorf("%s: %+v", name, sr)
		}
	}
	h := http.Header{}
	h.Set(facilitator.HeaderPaymentResponse, "%%%")
	if sr := settleResponse(h); sr != nil {
		t.Errorf("malformed header decoded to %+v", sr)
	}
}
