package facilitator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// Facilitator verifies and settles x402 payments. The embedded schemes
// (exact, escrow) and the remote HTTP client implement it.
//
// An invalid payment is not an error: Verify returns a VerifyResponse with
// IsValid false and an x402 code, Settle a SettleResponse with Success false.
// The error result is reserved for failures that say nothing about the
// payment (RPC down, facilitator unreachable, context cancelled), which a
// caller may retry or fail over.
//
// The requirements passed in are always the server's own, never the copy the
// client echoed in PaymentPayload.Accepted.
type Facilitator interface {
	Supported(ctx context.Context) (SupportedResponse, error)
	Verify(ctx context.Context, p *PaymentPayload, r *PaymentRequirements) (VerifyResponse, error)
	Settle(ctx context.Context, p *PaymentPayload, r *PaymentRequirements) (SettleResponse, error)
}

// Request is the body of POST /verify and POST /settle, normalised: the
// requirements are in the v2 shape whatever the version on the wire.
type Request struct {
	X402Version  int
	Payload      PaymentPayload
	Requirements PaymentRequirements
}

type rawRequest struct {
	X402Version         int             `json:"x402Version"`
	PaymentPayload      json.RawMessage `json:"paymentPayload"`
	PaymentRequirements json.RawMessage `json:"paymentRequirements"`
}

// DecodeRequest parses a /verify or /settle body of either version. The
// version comes from paymentPayload.x402Version (the reference facilitators
// ignore the top-level field); v1 requirements (maxAmountRequired) are
// converted to the v2 shape. Errors are *Error values with x402 codes.
func DecodeRequest(body []byte) (*Request, error) {
	if !looksLikeObject(body) {
		return nil, Errorf(CodeInvalidPayload, "request body is not a JSON object")
	}
	var raw rawRequest
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, Wrap(CodeInvalidPayload, "request body is not valid JSON: "+err.Error(), err)
	}
	if err := CheckUnambiguous(body); err != nil {
		return nil, Wrap(CodeInvalidPayload, "request body can be read more than one way: "+err.Error(), err)
	}
	if !looksLikeObject(raw.PaymentPayload) {
		return nil, Errorf(CodeInvalidPayload, "paymentPayload is missing or not an object")
	}
	if !looksLikeObject(raw.PaymentRequirements) {
		return nil, Errorf(CodeInvalidPaymentRequirements, "paymentRequirements is missing or not an object")
	}
	req := &Request{}
	if err := json.Unmarshal(raw.PaymentPayload, &req.Payload); err != nil {
		return nil, Wrap(CodeInvalidPayload, "paymentPayload: "+err.Error(), err)
	}
	req.X402Version = req.Payload.X402Version
	switch req.X402Version {
	case V1:
		var v1 PaymentRequirementsV1
		if err := json.Unmarshal(raw.PaymentRequirements, &v1); err != nil {
			return nil, Wrap(CodeInvalidPaymentRequirements, "paymentRequirements: "+err.Error(), err)
		}
		if v1.MaxAmountRequired == "" && bytes.Contains(raw.PaymentRequirements, []byte(`"amount"`)) {
			return nil, Errorf(CodeInvalidPaymentRequirements, "v1 requirements carry maxAmountRequired, not amount (v1/v2 mix-up)")
		}
		req.Requirements = v1.V2()
	case V2:
		if err := json.Unmarshal(raw.PaymentRequirements, &req.Requirements); err != nil {
			return nil, Wrap(CodeInvalidPaymentRequirements, "paymentRequirements: "+err.Error(), err)
		}
		if req.Requirements.Amount == "" && bytes.Contains(raw.PaymentRequirements, []byte(`"maxAmountRequired"`)) {
			return nil, Errorf(CodeInvalidPaymentRequirements, "v2 requirements carry amount, not maxAmountRequired (v1/v2 mix-up)")
		}
	default:
		return nil, Errorf(CodeInvalidX402Version, "x402Version %d is not supported (want 1 or 2)", req.X402Version)
	}
	if raw.X402Version != 0 && raw.X402Version != req.X402Version {
		return nil, Errorf(CodeInvalidX402Version, "top-level x402Version %d differs from paymentPayload.x402Version %d", raw.X402Version, req.X402Version)
	}
	return req, nil
}

// EncodeRequest builds a /verify or /settle body for p and r in the version
// of p; v1 requirements are sent with maxAmountRequired and the resource.
func EncodeRequest(p *PaymentPayload, r *PaymentRequirements, res ResourceInfo) ([]byte, error) {
	body := struct {
		X402Version         int             `json:"x402Version"`
		PaymentPayload      *PaymentPayload `json:"paymentPayload"`
		PaymentRequirements any             `json:"paymentRequirements"`
	}{X402Version: p.X402Version, PaymentPayload: p, PaymentRequirements: r}
	switch p.X402Version {
	case V1:
		body.PaymentRequirements = r.V1(res)
	case V2:
	default:
		return nil, fmt.Errorf("encoding request: x402Version %d is not supported", p.X402Version)
	}
	return json.Marshal(body)
}
