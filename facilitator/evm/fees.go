package evm

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/params"
)

// FeeTTL is how long a Sender reuses the tip and base fee it read: a
// second, half a block on Base. The fee cap is twice the base fee plus the
// tip, and the base fee rises at most 12.5 % per block, so a cap a second
// old still clears the next blocks; a broadcast that fails drops it.
const FeeTTL = time.Second

// DefaultMaxFeePerGas caps the fee cap of every transaction a Sender signs
// when SenderConfig.MaxFeePerGas is not set: 1,000 gwei, far above what Base
// or Ethereum charge outside of an anomaly, so it never holds a settlement
// back in normal operation and stops a runaway node estimate or a fee spike
// from spending the settlement account's ETH at any price.
var DefaultMaxFeePerGas = new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.GWei))

// Replacement rule: a node takes a transaction with the nonce of one it
// holds only when both its tip and its fee cap are at least 10 % higher
// (geth's txpool.PriceBump; anvil and reth follow it). A replacement raises
// both by 12.5 %, or to what the current base fee needs, whichever is more.
const (
	nodePriceBumpPercent = 10
	ourPriceBumpPercent  = 12.5
)

// fees returns the tip and fee cap (EIP-1559: 2 × base fee + tip, capped by
// the Sender's MaxFeePerGas), read from the node at most once per FeeTTL.
// The values returned are never modified afterwards.
func (s *Sender) fees(ctx context.Context) (tip, feeCap *big.Int, err error) {
	s.feeMu.Lock()
	defer s.feeMu.Unlock()
	if s.tip != nil && time.Since(s.feeAt) < s.feeTTL {
		return s.tip, s.feeCap, nil
	}
	tip, err = s.backend.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("suggesting gas tip: %w", err)
	}
	head, err := s.backend.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading latest header: %w", err)
	}
	feeCap = new(big.Int).Set(tip)
	if head.BaseFee != nil {
		feeCap.Add(feeCap, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	}
	tip, feeCap = capFees(tip, feeCap, s.maxFee)
	s.tip, s.feeCap, s.feeAt = tip, feeCap, time.Now()
	return tip, feeCap, nil
}

// dropFees makes the next Send read the fees afresh.
func (s *Sender) dropFees() {
	s.feeMu.Lock()
	s.tip, s.feeCap = nil, nil
	s.feeMu.Unlock()
}

// capFees limits the fee cap to maxFee and the tip to the fee cap.
func capFees(tip, feeCap, maxFee *big.Int) (*big.Int, *big.Int) {
	if maxFee != nil && feeCap.Cmp(maxFee) > 0 {
		feeCap = new(big.Int).Set(maxFee)
	}
	if tip.Cmp(feeCap) > 0 {
		tip = new(big.Int).Set(feeCap)
	}
	return tip, feeCap
}

// replacementFees prices the replacement of a transaction that paid
// oldTip/oldCap, given the node's suggested tip and the latest base fee:
// both raised by 12.5 % at least, the cap to at least 2 × base fee + tip,
// all within maxFee. ok is false when maxFee leaves no room for a
// replacement that the node would accept (10 % more on both) and that
// clears the current base fee.
func replacementFees(oldTip, oldCap, suggestedTip, baseFee, maxFee *big.Int) (tip, feeCap *big.Int, ok bool) {
	tip = bump(oldTip, ourPriceBumpPercent)
	if suggestedTip != nil && suggestedTip.Cmp(tip) > 0 {
		tip = new(big.Int).Set(suggestedTip)
	}
	feeCap = bump(oldCap, ourPriceBumpPercent)
	if baseFee != nil {
		need := new(big.Int).Add(new(big.Int).Mul(baseFee, big.NewInt(2)), tip)
		if need.Cmp(feeCap) > 0 {
			feeCap = need
		}
	}
	tip, feeCap = capFees(tip, feeCap, maxFee)
	ok = tip.Cmp(bump(oldTip, nodePriceBumpPercent)) >= 0 && feeCap.Cmp(bump(oldCap, nodePriceBumpPercent)) >= 0 &&
		(baseFee == nil || feeCap.Cmp(baseFee) >= 0)
	return tip, feeCap, ok
}

// bump returns x raised by percent (rounded up, and by at least 1 wei).
func bump(x *big.Int, percent float64) *big.Int {
	num := big.NewInt(int64(percent * 10))
	inc := new(big.Int).Mul(x, num)
	inc.Add(inc, big.NewInt(999))
	inc.Div(inc, big.NewInt(1000))
	if inc.Sign() == 0 {
		inc.SetInt64(1)
	}
	return inc.Add(inc, x)
}

func isFeeTooLow(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "less than block base fee") || strings.Contains(m, "feecap") && strings.Contains(m, "base fee")
}

func isAlreadyKnown(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "already known") || strings.Contains(m, "already imported")
}

func isNonceTooLow(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "nonce too low")
}

func isUnderpriced(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "replacement transaction underpriced") || strings.Contains(m, "replacement fee too low") ||
		strings.Contains(m, "transaction underpriced")
}

func isNonceConflict(err error) bool {
	m := strings.ToLower(err.Error())
	return isNonceTooLow(err) || strings.Contains(m, "nonce too high") || isUnderpriced(err)
}
