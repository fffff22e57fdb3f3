package client

import (
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/exact"
	"github.com/ethereum/go-ethereum/crypto"
)

// Test fixtures: Base Sepolia USDC with its EIP-712 domain.
const (
	testNetwork = "eip155:84532"
	testAsset   = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
	testPayTo   = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
)

func testRequirements(amount string) facilitator.PaymentRequirements {
	return facilitator.PaymentRequirements{
		Scheme: facilitator.SchemeExact, Network: testNetwork, Amount: amount,
		Asset: testAsset, PayTo: testPayTo, MaxTimeoutSeconds: 60,
		Extra: json.RawMessage(`{"name":"USDC","version":"2"}`),
	}
}

func testKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// x402Server is an httptest handler that speaks x402 the way our paywall
// does: a 402 with the v2 PAYMENT-REQUIRED header (unless v1Only) and the v1
// JSON body, then offline verification of the payment with exact.Check.
type x402Server struct {
	t       testing.TB
	accepts []facilitator.PaymentRequirements
	v1Only  bool
	// refuse, when set, is the code of a 402 sent for every payment.
	refuse string
	// settleFail, when set, answers a valid payment with 402 and a
	// PAYMENT-RESPONSE with success false and this reason.
	settleFail string

	mu       sync.Mutex
	bodies   []string
	headers  []string // the payment header name of each paid request
	payments []*facilitator.PaymentPayload
}

func (s *x402Server) start(t testing.TB) *httptest.Server {
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func (s *x402Server) paidCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.payments)
}

func (s *x402Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(body))
	s.mu.Unlock()
	name, value := facilitator.HeaderPaymentSignature, r.Header.Get(facilitator.HeaderPaymentSignature)
	if value == "" {
		name, value = facilitator.HeaderXPayment, r.Header.Get(facilitator.HeaderXPayment)
	}
	if value == "" {
		s.challenge(w, r, facilitator.CodePaymentRequired, "payment required")
		return
	}
	var p facilitator.PaymentPayload
	if err := facilitator.DecodeHeader(value, 0, &p); err != nil {
		s.challenge(w, r, facilitator.CodeInvalidPayload, err.Error())
		return
	}
	s.mu.Lock()
	s.headers = append(s.headers, name)
	s.payments = append(s.payments, &p)
	s.mu.Unlock()
	if want := map[string]int{facilitator.HeaderPaymentSignature: 2, facilitator.HeaderXPayment: 1}[name]; p.X402Version != want {
		s.challenge(w, r, facilitator.CodeInvalidX402Version, "wrong version for the header")
		return
	}
	if s.refuse != "" {
		s.challenge(w, r, s.refuse, "refused by the test server")
		return
	}
	var checked *exact.Checked
	for i := range s.accepts {
		if s.accepts[i].Scheme != facilitator.SchemeExact {
			continue
		}
		prep, err := exact.Prepare(&s.accepts[i])
		if err != nil {
			s.t.Errorf("test server: Prepare: %v", err)
			continue
		}
		c, xerr := exact.Check(&p, prep, time.Now(), 0)
		if xerr == nil && !c.NeedsChain {
			checked = c
			break
		}
		if xerr != nil {
			s.t.Logf("test server: requirement %d: %v", i, xerr)
		}
	}
	respHeader := facilitator.HeaderPaymentResponse
	if p.X402Version == facilitator.V1 {
		respHeader = facilitator.HeaderXPaymentResponse
	}
	if checked == nil {
		s.challenge(w, r, facilitator.CodeExactSignature, "no requirement verified")
		return
	}
	_, network := p.SchemeNetwork()
	if s.settleFail != "" {
		sr := facilitator.SettleResponse{Success: false, ErrorReason: s.settleFail, ErrorMessage: "settlement failed in test", Payer: checked.Payer(), Network: network}
		enc, _ := facilitator.EncodeHeader(sr)
		w.Header().Set(respHeader, enc)
		w.WriteHeader(http.StatusPaymentRequired)
		_, _ = io.WriteString(w, `{"x402Version":2,"error":"`+s.settleFail+`"}`)
		return
	}
	sr := facilitator.SettleResponse{Success: true, Payer: checked.Payer(), Transaction: "0x" + strings.Repeat("ab", 32), Network: network}
	enc, _ := facilitator.EncodeHeader(sr)
	w.Header().Set(respHeader, enc)
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "paid content: "+string(body))
}

// challenge answers 402 like paywall/challenge.go.
func (s *x402Server) challenge(w http.ResponseWriter, r *http.Request, code, msg string) {
	res := facilitator.ResourceInfo{URL: "http://" + r.Host + r.URL.RequestURI(), Description: "test resource"}
	if !s.v1Only {
		pr := facilitator.PaymentRequired{X402Version: 2, Error: code, Resource: &res, Accepts: s.accepts}
		enc, err := facilitator.EncodeHeader(pr)
		if err != nil {
			s.t.Fatal(err)
		}
		w.Header().Set(facilitator.HeaderPaymentRequired, enc)
	}
	body := v1Body{X402Version: 1, Error: code, Message: msg}
	for i := range s.accepts {
		body.Accepts = append(body.Accepts, s.accepts[i].V1(res))
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusPaymentRequired)
	_, _ = w.Write(b)
}
