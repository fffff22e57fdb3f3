package paywall

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sync"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/exact"
	"github.com/caddy-x402/x402/policies"
)

// Offer is one way to pay for a route: the server's own requirements (never
// the copy a client echoes) and the scheme that verifies payments for them.
type Offer struct {
	Requirements facilitator.PaymentRequirements
	// Symbol and Decimals describe the asset, for the browser page.
	Symbol   string
	Decimals int
	Scheme   Scheme

	reqOnce sync.Once
	reqJSON []byte
}

// requirementsJSON is Requirements as JSON, encoded once (for journal
// entries); nil if it cannot be encoded.
func (o *Offer) requirementsJSON() []byte {
	o.reqOnce.Do(func() { o.reqJSON, _ = json.Marshal(&o.Requirements) })
	return o.reqJSON
}

// Price renders the amount for people, e.g. "0.01 USDC".
func (o *Offer) Price() string {
	units, ok := new(big.Int).SetString(o.Requirements.Amount, 10)
	if !ok {
		return o.Requirements.Amount + " units"
	}
	return policies.FormatUnits(units, o.Decimals) + " " + o.Symbol
}

// echoMatches reports whether a v2 payment's accepted requirements name this
// offer: same scheme, network, asset, payee and amount. A payment made for a
// cheaper route or another payee therefore never matches.
func (o *Offer) echoMatches(a *facilitator.PaymentRequirements) bool {
	r := &o.Requirements
	return a.Scheme == r.Scheme && facilitator.SameNetwork(a.Network, r.Network) &&
		equalFold(a.Asset, r.Asset) && equalFold(a.PayTo, r.PayTo) && a.Amount == r.Amount
}

// NewExactOffer builds an offer for the exact scheme. r must carry the
// token's EIP-712 name and version in Extra (or be a known USDC).
func NewExactOffer(r facilitator.PaymentRequirements, symbol string, decimals int) (*Offer, error) {
	if r.Scheme == "" {
		r.Scheme = facilitator.SchemeExact
	}
	if r.MaxTimeoutSeconds <= 0 {
		r.MaxTimeoutSeconds = 60
	}
	if len(r.Extra) == 0 {
		r.Extra = json.RawMessage(`{}`)
	}
	o := &Offer{Requirements: r, Symbol: symbol, Decimals: decimals}
	prep, err := exact.Prepare(&o.Requirements)
	if err != nil {
		return nil, fmt.Errorf("exact offer on %s: %w", r.Network, err)
	}
	o.Scheme = &ExactScheme{prep: prep}
	return o, nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
