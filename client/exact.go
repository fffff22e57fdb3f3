package client

import (
	"context"
	"fmt"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// exactScheme pays `exact` requirements on EVM chains with a signed EIP-3009
// transferWithAuthorization for exactly the required amount.
type exactScheme struct{}

func init() { registerScheme(facilitator.SchemeExact, exactScheme{}) }

func (exactScheme) check(r *facilitator.PaymentRequirements) error {
	if _, err := evm.DomainFor(r); err != nil {
		return fmt.Errorf("no EIP-712 domain: %w", err)
	}
	if _, err := evm.ParseAddress(r.PayTo); err != nil {
		return fmt.Errorf("payTo %w", err)
	}
	return nil
}

func (exactScheme) pay(_ context.Context, c *Client, r *facilitator.PaymentRequirements, res *facilitator.ResourceInfo, version int) (*facilitator.PaymentPayload, error) {
	p, err := evm.NewExactPayment(c.Key, r, evm.ExactOptions{Version: version, Now: c.now(), Resource: res})
	if err != nil {
		return nil, fmt.Errorf("exact: %w", err)
	}
	return p, nil
}

func (exactScheme) settled(*Client, *exchange) {}
