package reliability

import (
	"context"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
)

// session is an escrow session a test opened through Caddy.
type session struct {
	req  *facilitator.PaymentRequirements // the route's escrow requirement
	info *facilitator.SessionInfo         // id and token
	id   [32]byte
	tx   string // the authorize transaction
}

// openSession opens a session of deposit units on instance i's /session/
// route with the client package; the opening call is served and charged.
func (e *env) openSession(i *instance, deposit int64) *session {
	e.t.Helper()
	c := &client.Client{Key: e.payer.Key, Scheme: "escrow", HTTP: &http.Client{Timeout: 90 * time.Second},
		Escrow: &client.EscrowOptions{Deposit: bigInt(deposit)}}
	res, err := c.Do(mustGet(e.t, i.url("/session/open")))
	if err != nil || res.Response.StatusCode != http.StatusOK || res.PaymentResponse == nil || res.PaymentResponse.Session == nil ||
		res.PaymentResponse.Session.Token == "" {
		e.t.Fatalf("opening a session: %+v %v", res, err)
	}
	_, _ = io.Copy(io.Discard, res.Response.Body)
	res.Response.Body.Close()
	s := &session{req: res.Requirement, info: res.PaymentResponse.Session, tx: res.PaymentResponse.Transaction}
	if s.id, err = escrowID(s.info.ID); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// answer is the outcome of one request with a payment header.
type answer struct {
	status int
	code   string                      // x402 error code of a refusal
	resp   *facilitator.SettleResponse // decoded PAYMENT-RESPONSE, if any
}

// sendPayment sends a payment header to url and decodes the answer.
func sendPayment(t *testing.T, url, header string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set(facilitator.HeaderPaymentSignature, header)
	resp, err := (&http.Client{Timeout: 120 * time.Second}).Do(req)
	if err != nil {
		t.Errorf("sending a payment to %s: %v", url, err)
		return answer{}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	var body struct {
		Error string `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") == "application/json" {
		_ = json.Unmarshal(b, &body)
		a.code = body.Error
	}
	if v := resp.Header.Get(facilitator.HeaderPaymentResponse); v != "" {
		var sr facilitator.SettleResponse
		if err := facilitator.DecodeHeader(v, 0, &sr); err == nil {
			a.resp = &sr
		}
	}
	return a
}

// payloadHeader wraps an escrow payload for req as a PAYMENT-SIGNATURE.
func payloadHeader(t *testing.T, req *facilitator.PaymentRequirements, payload any) string {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	h, err := facilitator.EncodeHeader(facilitator.PaymentPayload{X402Version: 2, Accepted: req, Payload: raw})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// escrowState reads the session's payment on the escrow.
func (e *env) escrowState(id [32]byte) (escrow.PaymentState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return escrow.NewContract(e.ec, e.escrow).PaymentState(ctx, id)
}

// waitEscrow waits until the payment holds capturable and has captured
// refundable units.
func (e *env) waitEscrow(id [32]byte, capturable, captured int64, d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for {
		st, err := e.escrowState(id)
		if err == nil && st.CapturableAmount.Cmp(big.NewInt(capturable)) == 0 && st.RefundableAmount.Cmp(big.NewInt(captured)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("escrow state %+v (%v) after %s; want capturable %d, captured %d", st, err, d, capturable, captured)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
