package evm

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
)

// Extra is the part of PaymentRequirements.extra that EIP-3009 schemes read:
// the token's EIP-712 domain name and version.
type Extra struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DomainFor returns the EIP-712 domain that payments for r must be signed
// under: name and version from r.Extra, falling back to the known USDC table
// when r.Extra lacks them and the asset is that network's USDC; chainId from
// r.Network; verifyingContract r.Asset.
func DomainFor(r *facilitator.PaymentRequirements) (Domain, error) {
	var d Domain
	chainID, ok := facilitator.ChainID(r.Network)
	if !ok {
		return d, fmt.Errorf("network %q is not an EVM network (want eip155:<chainId> or a v1 name)", clip(r.Network))
	}
	d.ChainID = chainID
	asset, err := ParseAddress(r.Asset)
	if err != nil {
		return d, fmt.Errorf("asset %w", err)
	}
	d.VerifyingContract = asset
	if len(r.Extra) > 0 {
		var x Extra
		if err := json.Unmarshal(r.Extra, &x); err != nil {
			return d, fmt.Errorf("extra is not a JSON object with string name and version: %w", err)
		}
		d.Name, d.Version = x.Name, x.Version
	}
	if d.Name == "" || d.Version == "" {
		if u, ok := facilitator.USDC(r.Network); ok && strings.EqualFold(u.Address, r.Asset) {
			d.Name, d.Version = u.Name, u.Version
		}
	}
	if d.Name == "" || d.Version == "" {
		return d, fmt.Errorf("extra.name and extra.version (the token's EIP-712 domain) are required for asset %s", r.Asset)
	}
	return d, nil
}
