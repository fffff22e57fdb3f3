package preflight

import (
	"context"
	"fmt"
	"math/big"

	"github.com/caddy-x402/x402/policies"
	"github.com/ethereum/go-ethereum/common"
)

// SettlementGas is a generous estimate of the gas one settlement uses (an
// EIP-3009 transferWithAuthorization takes 60,000 to 90,000).
const SettlementGas = 100_000

// LowGasSettlements: a facilitator key whose balance pays for fewer
// settlements than this, at the chain's current gas price, gets a warning.
const LowGasSettlements = 1000

// checkGas reads the gas payer's balance: none at all is a problem (every
// settlement would fail, and "after" routes would serve unpaid); less than
// LowGasSettlements settlements at today's gas price is a warning.
func checkGas(ctx context.Context, c Chain, cfg Config, payer common.Address, r *Report) error {
	bal, err := c.BalanceAt(ctx, payer, nil)
	if err != nil {
		return &UnreachableError{fmt.Errorf("reading the balance of %s: %w", payer.Hex(), err)}
	}
	r.GasBalance = bal
	price, err := c.SuggestGasPrice(ctx)
	if err != nil {
		return &UnreachableError{fmt.Errorf("reading the gas price: %w", err)}
	}
	perSettlement := new(big.Int).Mul(price, big.NewInt(SettlementGas))
	want := new(big.Int).Mul(perSettlement, big.NewInt(LowGasSettlements))
	field := "facilitator key " + payer.Hex()
	if bal.Sign() == 0 {
		r.Problems = append(r.Problems, Problem{Field: field, Message: fmt.Sprintf(
			"holds no ETH on %s, so it cannot pay the gas of any settlement: send it ETH (%s ETH pays about %d settlements at today's gas price)",
			cfg.Network, policies.FormatUnits(want, 18), LowGasSettlements)})
		return nil
	}
	if bal.Cmp(want) < 0 {
		n := new(big.Int)
		if perSettlement.Sign() > 0 {
			n.Div(bal, perSettlement)
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"%s holds %s ETH on %s, about %s settlements at today's gas price: top it up (%s ETH pays about %d)",
			field, policies.FormatUnits(bal, 18), cfg.Network, n, policies.FormatUnits(want, 18), LowGasSettlements))
	}
	return nil
}
