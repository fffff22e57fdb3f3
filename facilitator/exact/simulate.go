package exact

import (
	"context"
	"errors"
	"fmt"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// simulate runs transferWithAuthorization as an eth_call from the
// settlement account and, when it would revert, diagnoses why in the
// reference order: nonce used, token name, token version, balance.
func (f *Facilitator) simulate(ctx context.Context, c *Checked, prep *Prepared) (*facilitator.Error, error) {
	if f.cfg.Backend == nil {
		return nil, errors.New("exact facilitator: simulation needs a chain backend")
	}
	data, err := c.transferCalldata()
	if err != nil {
		return facilitator.Wrap(facilitator.CodeExactSimulationFailed, "packing transferWithAuthorization", err), nil
	}
	_, err = evm.Call(ctx, f.cfg.Backend, f.Address(), prep.Asset, data)
	if err == nil {
		return nil, nil
	}
	var re *evm.RevertError
	if !errors.As(err, &re) {
		return nil, fmt.Errorf("simulating transfer: %w", err)
	}
	return f.diagnose(ctx, c, prep, re), nil
}

func (f *Facilitator) diagnose(ctx context.Context, c *Checked, prep *Prepared, re *evm.RevertError) *facilitator.Error {
	b := f.cfg.Backend
	used, err := evm.AuthorizationState(ctx, b, prep.Asset, c.Auth.From, c.Auth.Nonce)
	if err != nil {
		return facilitator.Errorf(facilitator.CodeExactNotEIP3009, "token %s has no authorizationState: %v", prep.Asset.Hex(), err)
	}
	if used {
		return facilitator.Errorf(facilitator.CodeExactNonceUsed, "authorization nonce is already used or cancelled on chain")
	}
	if name, err := evm.TokenName(ctx, b, prep.Asset); err == nil && name != prep.Domain.Name {
		return facilitator.Errorf(facilitator.CodeExactTokenNameMismatch, "token name is %q, requirements say %q", name, prep.Domain.Name)
	}
	if version, err := evm.TokenVersion(ctx, b, prep.Asset); err == nil && version != prep.Domain.Version {
		return facilitator.Errorf(facilitator.CodeExactTokenVersionMismatch, "token version is %q, requirements say %q", version, prep.Domain.Version)
	}
	if bal, err := evm.BalanceOf(ctx, b, prep.Asset, c.Auth.From); err == nil && bal.Lt(&c.Auth.Value) {
		return facilitator.Errorf(facilitator.CodeExactInsufficientBalance, "payer holds %s, needs %s", bal.Dec(), c.Auth.Value.Dec())
	}
	return facilitator.Errorf(facilitator.CodeExactSimulationFailed, "transfer simulation failed: %s", re.Error())
}
