package paywall

import (
	"errors"
	"net/http"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
)

// intake reads and decodes the payment header, and returns it with its
// decoded JSON (the payment as the client sent it, for the journal). No
// header → a 402 challenge with no error; a malformed one → 400 with the
// precise code.
func (rt *Route) intake(r *http.Request) (*facilitator.PaymentPayload, []byte, *Rejection) {
	v2 := r.Header.Values(facilitator.HeaderPaymentSignature)
	v1 := r.Header.Values(facilitator.HeaderXPayment)
	switch {
	case len(v2) == 0 && len(v1) == 0:
		return nil, nil, &Rejection{Status: http.StatusPaymentRequired}
	case len(v2)+len(v1) > 1:
		return nil, nil, reject(http.StatusBadRequest, facilitator.CodeInvalidPayload, "send exactly one payment header (PAYMENT-SIGNATURE for v2 or X-PAYMENT for v1)")
	}
	value, want, name := "", facilitator.V2, facilitator.HeaderPaymentSignature
	if len(v2) == 1 {
		value = v2[0]
	} else {
		value, want, name = v1[0], facilitator.V1, facilitator.HeaderXPayment
	}
	var p facilitator.PaymentPayload
	raw, err := facilitator.DecodeHeaderJSON(strings.TrimSpace(value), rt.engine.MaxHeaderBytes, &p)
	if err != nil {
		switch {
		case errors.Is(err, facilitator.ErrHeaderTooLarge):
			return nil, nil, reject(http.StatusBadRequest, facilitator.CodeHeaderTooLarge, "%s is larger than the %d bytes accepted", name, maxHeader(rt.engine.MaxHeaderBytes))
		case errors.Is(err, facilitator.ErrHeaderEmpty):
			return nil, nil, reject(http.StatusBadRequest, facilitator.CodeInvalidPayload, "%s is empty", name)
		case errors.Is(err, facilitator.ErrHeaderBase64):
			return nil, nil, reject(http.StatusBadRequest, facilitator.CodeInvalidPayload, "%s is not standard base64 with padding", name)
		case errors.Is(err, facilitator.ErrAmbiguousJSON):
			return nil, nil, reject(http.StatusBadRequest, facilitator.CodeInvalidPayload, "%s can be read more than one way (%v); send each key once, spelled exactly", name, err)
		default:
			return nil, nil, reject(http.StatusBadRequest, facilitator.CodeInvalidPayload, "%s does not hold a JSON payment payload: %v", name, err)
		}
	}
	if p.X402Version != want {
		return nil, nil, reject(http.StatusBadRequest, facilitator.CodeInvalidX402Version, "%s carries x402Version %d; it takes version %d payloads", name, p.X402Version, want)
	}
	return &p, raw, nil
}

func maxHeader(n int) int {
	if n <= 0 {
		return facilitator.MaxHeaderBytes
	}
	return n
}

// accept matches the payment to one of this route's offers and lets the
// offer's scheme verify and claim it. Only this route's offers are tried, so
// a payment for a cheaper route or another payee never passes.
func (rt *Route) accept(r *http.Request, p *facilitator.PaymentPayload) (Claim, *Rejection) {
	scheme, network := p.SchemeNetwork()
	var first *Rejection
	matched := false
	for _, o := range rt.Offers {
		req := &o.Requirements
		if req.Scheme != scheme || !facilitator.SameNetwork(network, req.Network) {
			continue
		}
		if p.X402Version == facilitator.V2 && (p.Accepted == nil || !o.echoMatches(p.Accepted)) {
			continue
		}
		matched = true
		claim, rej := o.Scheme.Accept(r.Context(), rt.engine, r, p, o)
		if rej == nil {
			return claim, nil
		}
		if first == nil || (first.Status == http.StatusPaymentRequired && rej.Status == http.StatusServiceUnavailable) {
			first = rej
		}
	}
	if !matched {
		return nil, reject(http.StatusPaymentRequired, facilitator.CodeNoMatchingRequirements,
			"the payment (scheme %q, network %q) does not match what this route accepts: scheme, network, asset, payTo and amount must equal one of the offered requirements", clipText(scheme), clipText(network))
	}
	return nil, first
}

func clipText(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}
