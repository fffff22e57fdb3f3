package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/caddy-x402/x402/facilitator"
)

// ParseChallenge reads the x402 challenge of a 402 response: the v2
// PAYMENT-REQUIRED header when present and valid (version 2), else the v1
// JSON body {x402Version: 1, accepts: [...]}, whose requirements are
// converted to the v2 shape (amount = maxAmountRequired; the network keeps
// its v1 name). version says which one was read and therefore which payload
// version and header the server expects.
//
// At most MaxChallengeBytes of the body are read, and only when the header
// is absent or unusable; the body stays readable by the caller in full.
// Errors wrap ErrNoChallenge.
func ParseChallenge(resp *http.Response) (pr *facilitator.PaymentRequired, version int, err error) {
	return parseChallenge(resp, facilitator.V2)
}

// parseChallenge is ParseChallenge with a version preference: with prefer 1
// the v1 body wins when it is usable.
func parseChallenge(resp *http.Response, prefer int) (*facilitator.PaymentRequired, int, error) {
	hdr, herr := headerChallenge(resp)
	if hdr != nil && prefer != facilitator.V1 {
		return hdr, facilitator.V2, nil
	}
	body, berr := bodyChallenge(resp)
	switch {
	case body != nil:
		return body, facilitator.V1, nil
	case hdr != nil:
		return hdr, facilitator.V2, nil
	case herr != nil:
		return nil, 0, fmt.Errorf("%w: %v; body: %v", ErrNoChallenge, herr, berr)
	default:
		return nil, 0, fmt.Errorf("%w: no %s header; body: %v", ErrNoChallenge, facilitator.HeaderPaymentRequired, berr)
	}
}

// headerChallenge decodes PAYMENT-REQUIRED; nil, nil when it is absent.
func headerChallenge(resp *http.Response) (*facilitator.PaymentRequired, error) {
	pr, err := decodeRequiredHeader(resp.Header)
	if pr == nil || err != nil {
		return nil, err
	}
	if pr.X402Version != facilitator.V2 {
		return nil, fmt.Errorf("%s header: x402Version %d, want 2", facilitator.HeaderPaymentRequired, pr.X402Version)
	}
	if len(pr.Accepts) == 0 {
		return nil, fmt.Errorf("%s header: no requirements in accepts", facilitator.HeaderPaymentRequired)
	}
	return pr, nil
}

// decodeRequiredHeader decodes PAYMENT-REQUIRED without judging its content;
// nil, nil when it is absent.
func decodeRequiredHeader(h http.Header) (*facilitator.PaymentRequired, error) {
	v := h.Get(facilitator.HeaderPaymentRequired)
	if v == "" {
		return nil, nil
	}
	var pr facilitator.PaymentRequired
	if err := facilitator.DecodeHeader(v, maxChallengeHeader, &pr); err != nil {
		return nil, fmt.Errorf("%s header: %w", facilitator.HeaderPaymentRequired, err)
	}
	return &pr, nil
}

// v1Body is the JSON body of a 402 (v1 challenge) or of a refusal; message
// is an extension our server adds.
type v1Body struct {
	X402Version int                                 `json:"x402Version"`
	Error       string                              `json:"error"`
	Message     string                              `json:"message"`
	Accepts     []facilitator.PaymentRequirementsV1 `json:"accepts"`
}

// bodyChallenge reads a v1 challenge from the body.
func bodyChallenge(resp *http.Response) (*facilitator.PaymentRequired, error) {
	b, err := peekBody(resp, MaxChallengeBytes)
	if err != nil {
		return nil, err
	}
	var body v1Body
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, fmt.Errorf("not an x402 v1 JSON body: %w", err)
	}
	if body.X402Version != facilitator.V1 {
		return nil, fmt.Errorf("x402Version %d in the body, want 1", body.X402Version)
	}
	if len(body.Accepts) == 0 {
		return nil, fmt.Errorf("no requirements in the body's accepts")
	}
	pr := &facilitator.PaymentRequired{X402Version: facilitator.V1, Error: body.Error}
	first := body.Accepts[0]
	pr.Resource = &facilitator.ResourceInfo{URL: first.Resource, Description: first.Description, MimeType: first.MimeType}
	for i := range body.Accepts {
		pr.Accepts = append(pr.Accepts, body.Accepts[i].V2())
	}
	return pr, nil
}

// peekBody reads up to limit bytes of the response body and puts them back
// in front of the rest, so the caller still reads the whole body. It reads
// the body only once per response: later calls see the same bytes.
func peekBody(resp *http.Response, limit int64) ([]byte, error) {
	if pb, ok := resp.Body.(*peekedBody); ok {
		return pb.peek, nil
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("reading the 402 body: %w", err)
	}
	resp.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(b), resp.Body), peek: b, closer: resp.Body}
	return b, nil
}

// peekedBody is a response body whose first bytes were already read.
type peekedBody struct {
	io.Reader
	peek   []byte
	closer io.Closer
}

func (p *peekedBody) Close() error { return p.closer.Close() }

// settleResponse decodes PAYMENT-RESPONSE (v2) or X-PAYMENT-RESPONSE (v1);
// nil when neither is present or decodable.
func settleResponse(h http.Header) *facilitator.SettleResponse {
	for _, name := range []string{facilitator.HeaderPaymentResponse, facilitator.HeaderXPaymentResponse} {
		v := h.Get(name)
		if v == "" {
			continue
		}
		var sr facilitator.SettleResponse
		if err := facilitator.DecodeHeader(v, maxChallengeHeader, &sr); err == nil {
			return &sr
		}
	}
	return nil
}

// refusal inspects the answer to a paid request. It returns a
// *PaymentError when the server refused the payment: status 402, a
// PAYMENT-RESPONSE with success false, or a 400 whose body names an x402
// error. Code and message come from, in order: the settlement response, the
// PAYMENT-REQUIRED header, the JSON body.
func refusal(resp *http.Response, sr *facilitator.SettleResponse) *PaymentError {
	failed := sr != nil && !sr.Success
	pe := &PaymentError{Status: resp.StatusCode}
	if failed {
		pe.Code, pe.Message = sr.ErrorReason, sr.ErrorMessage
	}
	if resp.StatusCode != http.StatusPaymentRequired && resp.StatusCode != http.StatusBadRequest && !failed {
		return nil
	}
	hdr, _ := decodeRequiredHeader(resp.Header)
	if hdr != nil && pe.Code == "" {
		pe.Code = hdr.Error
	}
	var body v1Body
	if b, err := peekBody(resp, MaxChallengeBytes); err == nil && json.Unmarshal(b, &body) == nil && body.X402Version != 0 {
		if pe.Code == "" {
			pe.Code = body.Error
		}
		if pe.Message == "" {
			pe.Message = body.Message
		}
	}
	if resp.StatusCode == http.StatusBadRequest && !failed && hdr == nil && body.X402Version == 0 {
		return nil // a plain 400 from the application, not an x402 refusal
	}
	return pe
}
