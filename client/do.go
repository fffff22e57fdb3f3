package client

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/caddy-x402/x402/facilitator"
)

// Result is the outcome of Do.
type Result struct {
	// Response is the final response: the paid retry's, or the first one
	// when no payment was made. The caller must close its body.
	Response *http.Response
	// Paid is true when a payment was sent and the server did not refuse it.
	// Whether it was charged depends on the server's settlement (see
	// PaymentResponse; the paywall charges only chargeable, by default 2xx,
	// answers).
	Paid bool
	// Challenge is the 402 challenge that was answered, nil without one.
	Challenge *facilitator.PaymentRequired
	// Version is the x402 protocol version used to pay (1 or 2), 0 if none.
	Version int
	// Requirement is the requirement that was paid, nil if none.
	Requirement *facilitator.PaymentRequirements
	// Payment is the signed payment that was sent, nil if none.
	Payment *facilitator.PaymentPayload
	// PaymentResponse is the decoded PAYMENT-RESPONSE (v2) or
	// X-PAYMENT-RESPONSE (v1) header of the final response, nil if absent.
	PaymentResponse *facilitator.SettleResponse
}

// Do sends req. When the server answers 402 with an x402 challenge, Do picks
// the first requirement it may pay (scheme, network allow-list, MaxAmount,
// scheme details such as the EIP-712 domain), signs a payment and sends the
// request once more with the payment header; the request body is re-sent
// identically (req.GetBody, or a buffer of up to MaxBodyBytes).
//
// Errors: whenever a response was received Do returns it in the Result, also
// together with an error, and the caller must close Result.Response.Body
// whenever the Result is non-nil. The errors that come with a response are a
// *PaymentError (the paid retry was refused; Result.Payment is what was
// sent), an *UnpayableError (nothing offered may be paid; the Response is the
// 402), ErrNoChallenge (a 402 without a readable challenge), ErrNoKey and
// signing errors. The Result is nil only when no response was received.
func (c *Client) Do(req *http.Request) (*Result, error) {
	req, err := replayable(req, c.maxBodyBytes())
	if err != nil {
		return nil, err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("x402 client: %w", err)
	}
	res := &Result{Response: resp}
	if resp.StatusCode != http.StatusPaymentRequired {
		res.PaymentResponse = settleResponse(resp.Header)
		return res, nil
	}
	pr, version, err := parseChallenge(resp, c.preferVersion())
	if err != nil {
		return res, fmt.Errorf("x402 client: %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	res.Challenge, res.Version = pr, version
	if c.Key == nil {
		return res, ErrNoKey
	}
	r, err := c.Choose(pr)
	if err != nil {
		return res, err
	}
	p, name, value, err := c.sign(req.Context(), r, pr.Resource, version)
	if err != nil {
		return res, err
	}
	retry, err := resend(req)
	if err != nil {
		return res, err
	}
	drain(resp)
	retry.Header.Del(facilitator.HeaderPaymentSignature)
	retry.Header.Del(facilitator.HeaderXPayment)
	retry.Header.Set(name, value)
	resp, err = c.http().Do(retry)
	if err != nil {
		return nil, fmt.Errorf("x402 client: sending the paid request: %w", err)
	}
	res.Response, res.Requirement, res.Payment = resp, r, p
	res.PaymentResponse = settleResponse(resp.Header)
	pe := refusal(resp, res.PaymentResponse)
	if s, ok := lookupScheme(r.Scheme); ok {
		s.settled(c, &exchange{Request: retry, Requirement: r, Payment: p, Status: resp.StatusCode, Response: res.PaymentResponse, Refused: pe})
	}
	if pe != nil {
		return res, pe
	}
	res.Paid = true
	return res, nil
}

// Challenge is ParseChallenge honouring c.PreferVersion: with PreferVersion
// 1 a usable v1 body wins over the v2 header.
func (c *Client) Challenge(resp *http.Response) (*facilitator.PaymentRequired, int, error) {
	return parseChallenge(resp, c.preferVersion())
}

// Choose returns the first requirement of pr this client may pay (scheme,
// network allow-list, MaxAmount, scheme details), or an *UnpayableError
// saying why each one was skipped. With Challenge and Sign it lets callers
// drive the exchange themselves, e.g. to pre-sign many payments.
func (c *Client) Choose(pr *facilitator.PaymentRequired) (*facilitator.PaymentRequirements, error) {
	ue := &UnpayableError{}
	for i := range pr.Accepts {
		r := &pr.Accepts[i]
		if _, err := c.payable(r); err != nil {
			ue.Reasons = append(ue.Reasons, describe(r)+": "+err.Error())
			ue.Errs = append(ue.Errs, err)
			continue
		}
		return r, nil
	}
	return nil, ue
}

// drain reads a little of a body we are done with and closes it, so the
// connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// IsRefused reports whether err is (or wraps) a *PaymentError, i.e. the
// server refused a payment that was sent.
func IsRefused(err error) bool {
	var pe *PaymentError
	return errors.As(err, &pe)
}
