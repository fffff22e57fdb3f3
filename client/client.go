package client

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// DefaultTimeout is the timeout of the HTTP client used when Client.HTTP is
// nil.
const DefaultTimeout = 30 * time.Second

// DefaultMaxBodyBytes bounds how much of a request body without GetBody is
// buffered so that it can be sent again with the payment (10 MiB).
const DefaultMaxBodyBytes = 10 << 20

// MaxChallengeBytes bounds how much of a 402 response body is read when
// looking for a v1 challenge or an error message (1 MiB).
const MaxChallengeBytes = 1 << 20

// maxChallengeHeader bounds an encoded PAYMENT-REQUIRED header (64 KiB: a
// route may offer many requirements).
const maxChallengeHeader = 64 << 10

var defaultHTTP = &http.Client{Timeout: DefaultTimeout}

// Client pays for HTTP resources protected by x402. Set the fields before the
// first use; a Client is then safe for concurrent use.
type Client struct {
	// HTTP sends the requests. Default: an http.Client with a 30 s timeout.
	HTTP *http.Client
	// Key signs payments. Required to pay; it is never logged or printed.
	Key *ecdsa.PrivateKey
	// Scheme is the payment scheme to use. Default: "exact".
	Scheme string
	// PreferVersion is the x402 protocol version to pay with when the server
	// offers both (1 or 2). Default: 2. A server that offers only one
	// version is paid in that version.
	PreferVersion int
	// MaxAmount caps what one request may cost, in token units (the
	// requirement's amount, e.g. 10000 = 0.01 of a 6-decimal stablecoin).
	// Requirements above it are never paid. Default (nil): no cap.
	MaxAmount *big.Int
	// Networks, when set, is the allow-list of networks to pay on (CAIP-2
	// ids or v1 names; base-sepolia and eip155:84532 are the same network).
	// Default (empty): any EVM network.
	Networks []string
	// Now is the clock used for authorization windows. Default: time.Now.
	Now func() time.Time
	// MaxBodyBytes bounds the buffering of request bodies that have no
	// GetBody (see DefaultMaxBodyBytes). Requests built with
	// http.NewRequest from a bytes.Reader, bytes.Buffer or strings.Reader
	// carry GetBody and are never buffered.
	MaxBodyBytes int64
	// Escrow configures the escrow scheme (sessions: one deposit signature,
	// then calls paid from it). Default (nil): a 1.00 deposit, 1 h sessions
	// kept in memory for this process. See EscrowOptions.
	Escrow *EscrowOptions
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) scheme() string {
	if c.Scheme != "" {
		return c.Scheme
	}
	return facilitator.SchemeExact
}

func (c *Client) preferVersion() int {
	if c.PreferVersion == facilitator.V1 {
		return facilitator.V1
	}
	return facilitator.V2
}

func (c *Client) maxBodyBytes() int64 {
	if c.MaxBodyBytes > 0 {
		return c.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// ErrNoKey is returned when a payment is needed and Client.Key is nil.
var ErrNoKey = errors.New("x402 client: no signing key configured")

// payable returns the scheme that pays r, or an error saying why the client
// may not pay it. It may when the scheme is the configured one and implemented, the network is an allowed EVM network, the
// amount is a valid integer within MaxAmount, and the scheme accepts the
// details (for exact: an EIP-712 domain).
func (c *Client) payable(r *facilitator.PaymentRequirements) (scheme, error) {
	if r.Scheme != c.scheme() {
		return nil, &SchemeError{Offered: r.Scheme, Configured: c.scheme()}
	}
	s, ok := lookupScheme(r.Scheme)
	if !ok {
		return nil, fmt.Errorf("scheme %q is not implemented by this client", clip(r.Scheme))
	}
	if _, ok := facilitator.ChainID(r.Network); !ok {
		return nil, fmt.Errorf("network %q is not an EVM network", clip(r.Network))
	}
	if !c.networkAllowed(r.Network) {
		return nil, fmt.Errorf("network %q is not in the allowed networks %v", clip(r.Network), c.Networks)
	}
	amount, err := parseUnits(r.Amount)
	if err != nil {
		return nil, fmt.Errorf("amount %w", err)
	}
	if c.MaxAmount != nil && amount.Cmp(c.MaxAmount) > 0 {
		return nil, &AmountError{Amount: amount, Max: new(big.Int).Set(c.MaxAmount)}
	}
	if err := s.check(r); err != nil {
		return nil, err
	}
	return s, nil
}

func (c *Client) networkAllowed(network string) bool {
	if len(c.Networks) == 0 {
		return true
	}
	for _, n := range c.Networks {
		if facilitator.SameNetwork(n, network) {
			return true
		}
	}
	return false
}

// Sign builds and signs a payment for r in protocol version (1 or 2; 0 means
// PreferVersion) and returns the request header that carries it:
// PAYMENT-SIGNATURE for v2, X-PAYMENT for v1, with the base64 JSON payload as
// value. res is the challenge's resource, echoed in v2 payloads (may be nil).
// r must pass the same checks as in Do (scheme, network, MaxAmount).
func (c *Client) Sign(r *facilitator.PaymentRequirements, res *facilitator.ResourceInfo, version int) (headerName, headerValue string, err error) {
	_, name, value, err := c.sign(context.Background(), r, res, version)
	return name, value, err
}

// sign is Sign returning the payload too.
func (c *Client) sign(ctx context.Context, r *facilitator.PaymentRequirements, res *facilitator.ResourceInfo, version int) (*facilitator.PaymentPayload, string, string, error) {
	if c.Key == nil {
		return nil, "", "", ErrNoKey
	}
	if version == 0 {
		version = c.preferVersion()
	}
	name := facilitator.HeaderPaymentSignature
	switch version {
	case facilitator.V2:
	case facilitator.V1:
		name = facilitator.HeaderXPayment
	default:
		return nil, "", "", fmt.Errorf("x402 client: protocol version %d is not supported (want 1 or 2)", version)
	}
	s, err := c.payable(r)
	if err != nil {
		return nil, "", "", fmt.Errorf("x402 client: cannot pay %s: %w", describe(r), err)
	}
	p, err := s.pay(ctx, c, r, res, version)
	if err != nil {
		return nil, "", "", fmt.Errorf("x402 client: signing payment for %s: %w", describe(r), err)
	}
	value, err := facilitator.EncodeHeader(p)
	if err != nil {
		return nil, "", "", fmt.Errorf("x402 client: %w", err)
	}
	return p, name, value, nil
}

// describe names a requirement in errors: scheme, network, amount, payee.
func describe(r *facilitator.PaymentRequirements) string {
	return fmt.Sprintf("%s %s units on %s to %s", clip(r.Scheme), clip(r.Amount), clip(r.Network), clip(r.PayTo))
}

func clip(s string) string {
	if len(s) > 66 {
		return s[:63] + "..."
	}
	return s
}

// parseUnits parses a decimal token amount: digits only, no sign, at most 78
// digits (a uint256).
func parseUnits(s string) (*big.Int, error) {
	if s == "" || len(s) > 78 {
		return nil, fmt.Errorf("%q is not a token amount", clip(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return nil, fmt.Errorf("%q is not a decimal integer", clip(s))
		}
	}
	n, _ := new(big.Int).SetString(s, 10)
	return n, nil
}
