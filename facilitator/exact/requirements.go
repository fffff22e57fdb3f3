// Package exact implements the x402 `exact` scheme on EVM chains with
// EIP-3009 transferWithAuthorization: offline verification (the paywall's hot
// path: no RPC), optional on-chain checks (ERC-1271 wallets, simulation),
// and settlement with a nonce-managed sender, receipt and Transfer-event
// checks, and idempotence per authorization.
package exact

import (
	"fmt"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// Prepared is a PaymentRequirements parsed once: the paywall prepares each
// route's requirements at provision time so that verification does no
// parsing of server-side values per request.
type Prepared struct {
	Req       *facilitator.PaymentRequirements
	ChainID   uint64
	Asset     common.Address
	PayTo     common.Address
	Amount    uint256.Int
	Domain    evm.Domain
	Separator [32]byte
}

// Prepare validates exact requirements and precomputes what verification
// needs. Errors carry x402 codes.
func Prepare(r *facilitator.PaymentRequirements) (*Prepared, error) {
	if r.Scheme != facilitator.SchemeExact {
		return nil, facilitator.Errorf(facilitator.CodeExactScheme, "requirements are for scheme %q, not exact", clip(r.Scheme))
	}
	p := &Prepared{Req: r}
	chainID, ok := facilitator.ChainID(r.Network)
	if !ok {
		return nil, facilitator.Errorf(facilitator.CodeExactNetworkConfig, "network %q is not an EVM network", clip(r.Network))
	}
	p.ChainID = chainID
	var err error
	if p.Asset, err = evm.ParseAddress(r.Asset); err != nil {
		return nil, facilitator.Errorf(facilitator.CodeInvalidPaymentRequirements, "asset %v", err)
	}
	if p.PayTo, err = evm.ParseAddress(r.PayTo); err != nil {
		return nil, facilitator.Errorf(facilitator.CodeInvalidPaymentRequirements, "payTo %v", err)
	}
	if p.Amount, err = evm.ParseUint256(r.Amount); err != nil {
		return nil, facilitator.Errorf(facilitator.CodeExactRequiredAmount, "amount %v", err)
	}
	if p.Domain, err = evm.DomainFor(r); err != nil {
		return nil, facilitator.Errorf(facilitator.CodeExactMissingDomain, "%v", err)
	}
	p.Separator = p.Domain.Separator()
	return p, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

func sameAddress(a, b string) bool { return strings.EqualFold(a, b) }

// String names the requirements for logs and errors.
func (p *Prepared) String() string {
	return fmt.Sprintf("exact %s on %s to %s", p.Amount.Dec(), p.Req.Network, p.PayTo.Hex())
}
