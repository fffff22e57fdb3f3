package remote

import (
	"context"
	"errors"
	"net/http"

	"github.com/caddy-x402/x402/facilitator"
)

// Route names appended to each base URL.
const (
	routeVerify    = "verify"
	routeSettle    = "settle"
	routeSupported = "supported"
)

// Client is a facilitator.Facilitator backed by remote facilitators over
// HTTP. It is safe for concurrent use.
type Client struct {
	cfg       Config
	endpoints []endpoint
}

var _ facilitator.Facilitator = (*Client)(nil)

// New validates cfg, applies its defaults and returns a Client. It makes no
// request.
func New(cfg Config) (*Client, error) {
	cfg, eps, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, endpoints: eps}, nil
}

// Supported returns the answer of the first URL that gives a valid one.
func (c *Client) Supported(ctx context.Context) (facilitator.SupportedResponse, error) {
	var out facilitator.SupportedResponse
	err := c.call(ctx, routeSupported, http.MethodGet, nil, c.cfg.SupportedTimeout, func(status int, body []byte) error {
		s, err := parseSupported(status, body)
		if err == nil {
			out = s
		}
		return err
	})
	return out, err
}

// Verify asks the facilitators to verify p against r. An invalid payment is
// an answer (IsValid false, no error); an error means no facilitator gave
// an answer. A payload that cannot be encoded is answered invalid locally.
func (c *Client) Verify(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
	body, xe, err := encode(p, r)
	if err != nil {
		return facilitator.VerifyResponse{}, err
	}
	if xe != nil {
		return xe.Invalid(""), nil
	}
	var out facilitator.VerifyResponse
	err = c.call(ctx, routeVerify, http.MethodPost, body, c.cfg.VerifyTimeout, func(status int, body []byte) error {
		v, err := parseVerify(status, body)
		if err == nil {
			out = v
		}
		return err
	})
	return out, err
}

// Settle asks the facilitators to settle p against r. A failed settlement
// is an answer (Success false with ErrorReason; settlement_pending when the
// transaction is broadcast but not confirmed); an error means no facilitator
// gave an answer. See the package documentation on double submission.
func (c *Client) Settle(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
	body, xe, err := encode(p, r)
	if err != nil {
		return facilitator.SettleResponse{}, err
	}
	if xe != nil {
		return facilitator.SettleResponse{ErrorReason: xe.Code, ErrorMessage: xe.Message, Network: r.Network}, nil
	}
	var out facilitator.SettleResponse
	err = c.call(ctx, routeSettle, http.MethodPost, body, c.cfg.SettleTimeout, func(status int, body []byte) error {
		s, err := parseSettle(status, body)
		if err == nil {
			out = s
		}
		return err
	})
	return out, err
}

// encode builds the request body in the version of p (v1 requirements are
// sent with maxAmountRequired and the payload's resource, if any). A payload
// that cannot be sent is an x402 rejection, not an error; nil arguments are
// a caller bug and an error.
func encode(p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) ([]byte, *facilitator.Error, error) {
	if p == nil || r == nil {
		return nil, nil, errors.New("remote facilitator: nil payment payload or requirements")
	}
	if p.X402Version != facilitator.V1 && p.X402Version != facilitator.V2 {
		return nil, facilitator.Errorf(facilitator.CodeInvalidX402Version, "x402Version %d is not supported (want 1 or 2)", p.X402Version), nil
	}
	var res facilitator.ResourceInfo
	if p.Resource != nil {
		res = *p.Resource
	}
	body, err := facilitator.EncodeRequest(p, r, res)
	if err != nil {
		return nil, facilitator.Wrap(facilitator.CodeInvalidPayload, "payment does not encode as JSON", err), nil
	}
	return body, nil, nil
}
