package escrow

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/caddy-x402/x402/facilitator/contracts"
)

// PaymentInfo is the escrow's PaymentInfo tuple: the terms of one payment.
// Field order and meaning follow the contract; Go types are chosen for
// convenience and checked against the Solidity widths by Validate.
type PaymentInfo struct {
	// Operator is the only account that may authorize, charge, capture, void
	// and refund: the facilitator's key.
	Operator common.Address
	// Payer is where the tokens come from and the only account that may
	// reclaim.
	Payer common.Address
	// Receiver gets each captured amount minus the fee.
	Receiver common.Address
	// Token is the ERC-20 (ERC-3009) token.
	Token common.Address
	// MaxAmount bounds the authorized amount (uint120). The ERC-3009
	// collector always pulls MaxAmount and returns the difference.
	MaxAmount *big.Int
	// PreApprovalExpiry: authorize and charge must be mined strictly before
	// it (uint48, Unix seconds). It is also the signature's validBefore.
	PreApprovalExpiry uint64
	// AuthorizationExpiry: capture strictly before, reclaim at or after.
	AuthorizationExpiry uint64
	// RefundExpiry: refund strictly before.
	RefundExpiry uint64
	// MinFeeBps and MaxFeeBps bound the fee of each capture or charge, in
	// basis points (MaxFeeBps at most 10,000).
	MinFeeBps uint16
	MaxFeeBps uint16
	// FeeReceiver, when not zero, is the only address fees may go to.
	FeeReceiver common.Address
	// Salt makes otherwise equal payments distinct (uint256).
	Salt *big.Int
}

// MaxFeeBps is 100% in basis points, the largest PaymentInfo.MaxFeeBps.
const MaxFeeBps = 10_000

// MaxUint48 is the largest expiry a PaymentInfo can hold.
const MaxUint48 = 1<<48 - 1

var (
	// MaxAmountLimit is the largest amount (uint120) the escrow can hold for
	// one payment.
	MaxAmountLimit = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 120), big.NewInt(1))

	maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
)

// ErrPaymentInfo reports a PaymentInfo whose values do not fit the Solidity
// field types; the contract could not even decode it.
var ErrPaymentInfo = errors.New("escrow: invalid PaymentInfo")

// Validate checks that every value fits its Solidity type (maxAmount uint120,
// expiries uint48, salt uint256, none negative). It does not check the
// contract's business rules (expiry order, fee range), which CheckTerms does.
func (p *PaymentInfo) Validate() error {
	switch {
	case p.MaxAmount != nil && (p.MaxAmount.Sign() < 0 || p.MaxAmount.Cmp(MaxAmountLimit) > 0):
		return fmt.Errorf("%w: maxAmount %s does not fit uint120", ErrPaymentInfo, p.MaxAmount)
	case p.PreApprovalExpiry > MaxUint48:
		return fmt.Errorf("%w: preApprovalExpiry %d does not fit uint48", ErrPaymentInfo, p.PreApprovalExpiry)
	case p.AuthorizationExpiry > MaxUint48:
		return fmt.Errorf("%w: authorizationExpiry %d does not fit uint48", ErrPaymentInfo, p.AuthorizationExpiry)
	case p.RefundExpiry > MaxUint48:
		return fmt.Errorf("%w: refundExpiry %d does not fit uint48", ErrPaymentInfo, p.RefundExpiry)
	case p.Salt != nil && (p.Salt.Sign() < 0 || p.Salt.Cmp(maxUint256) > 0):
		return fmt.Errorf("%w: salt does not fit uint256", ErrPaymentInfo)
	}
	return nil
}

// CheckTerms applies, off-chain, the checks authorize and charge make before
// touching any token, in the contract's order, and returns the error the
// contract would revert with (ErrExceedsMaxAmount, ErrAfterPreApprovalExpiry,
// ErrInvalidExpiries, ErrFeeBpsOverflow, ErrInvalidFeeBpsRange, or
// ErrZeroAmount / ErrAmountOverflow for the amount itself). now is the
// timestamp of the block the transaction is expected in.
func (p *PaymentInfo) CheckTerms(now uint64, amount *big.Int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	switch {
	case amount == nil || amount.Sign() == 0:
		return ErrZeroAmount
	case amount.Sign() < 0 || amount.Cmp(MaxAmountLimit) > 0:
		return ErrAmountOverflow
	case amount.Cmp(bigOrZero(p.MaxAmount)) > 0:
		return ErrExceedsMaxAmount
	case now >= p.PreApprovalExpiry:
		return ErrAfterPreApprovalExpiry
	case p.PreApprovalExpiry > p.AuthorizationExpiry || p.AuthorizationExpiry > p.RefundExpiry:
		return ErrInvalidExpiries
	case p.MaxFeeBps > MaxFeeBps:
		return ErrFeeBpsOverflow
	case p.MinFeeBps > p.MaxFeeBps:
		return ErrInvalidFeeBpsRange
	}
	return nil
}

// CheckFee applies the fee checks of capture and charge, in the contract's
// order: ErrFeeBpsOutOfRange, ErrZeroFeeReceiver, ErrInvalidFeeReceiver.
func (p *PaymentInfo) CheckFee(feeBps uint16, feeReceiver common.Address) error {
	switch {
	case feeBps < p.MinFeeBps || feeBps > p.MaxFeeBps:
		return ErrFeeBpsOutOfRange
	case feeBps != 0 && feeReceiver == (common.Address{}):
		return ErrZeroFeeReceiver
	case p.FeeReceiver != (common.Address{}) && feeReceiver != p.FeeReceiver:
		return ErrInvalidFeeReceiver
	}
	return nil
}

// Fee is the fee a capture or charge of amount at feeBps pays:
// amount × feeBps / 10,000, rounded down.
func Fee(amount *big.Int, feeBps uint16) *big.Int {
	f := new(big.Int).Mul(amount, big.NewInt(int64(feeBps)))
	return f.Quo(f, big.NewInt(MaxFeeBps))
}

// Copy returns a deep copy of p (the big.Int fields are not shared).
func (p *PaymentInfo) Copy() PaymentInfo {
	c := *p
	if p.MaxAmount != nil {
		c.MaxAmount = new(big.Int).Set(p.MaxAmount)
	}
	if p.Salt != nil {
		c.Salt = new(big.Int).Set(p.Salt)
	}
	return c
}

// Tuple converts p to the abigen binding's struct, for the contracts
// package's Pack functions. Nil amounts become zero.
func (p *PaymentInfo) Tuple() contracts.AuthCaptureEscrowPaymentInfo {
	return contracts.AuthCaptureEscrowPaymentInfo{
		Operator:            p.Operator,
		Payer:               p.Payer,
		Receiver:            p.Receiver,
		Token:               p.Token,
		MaxAmount:           new(big.Int).Set(bigOrZero(p.MaxAmount)),
		PreApprovalExpiry:   new(big.Int).SetUint64(p.PreApprovalExpiry),
		AuthorizationExpiry: new(big.Int).SetUint64(p.AuthorizationExpiry),
		RefundExpiry:        new(big.Int).SetUint64(p.RefundExpiry),
		MinFeeBps:           p.MinFeeBps,
		MaxFeeBps:           p.MaxFeeBps,
		FeeReceiver:         p.FeeReceiver,
		Salt:                new(big.Int).Set(bigOrZero(p.Salt)),
	}
}

// FromTuple converts the abigen binding's struct (from an event, say) to a
// PaymentInfo, and validates it.
func FromTuple(t contracts.AuthCaptureEscrowPaymentInfo) (PaymentInfo, error) {
	exp := func(name string, x *big.Int) (uint64, error) {
		if x == nil || x.Sign() < 0 || !x.IsUint64() || x.Uint64() > MaxUint48 {
			return 0, fmt.Errorf("%w: %s does not fit uint48", ErrPaymentInfo, name)
		}
		return x.Uint64(), nil
	}
	p := PaymentInfo{
		Operator: t.Operator, Payer: t.Payer, Receiver: t.Receiver, Token: t.Token,
		MinFeeBps: t.MinFeeBps, MaxFeeBps: t.MaxFeeBps, FeeReceiver: t.FeeReceiver,
	}
	var err error
	if p.PreApprovalExpiry, err = exp("preApprovalExpiry", t.PreApprovalExpiry); err != nil {
		return PaymentInfo{}, err
	}
	if p.AuthorizationExpiry, err = exp("authorizationExpiry", t.AuthorizationExpiry); err != nil {
		return PaymentInfo{}, err
	}
	if p.RefundExpiry, err = exp("refundExpiry", t.RefundExpiry); err != nil {
		return PaymentInfo{}, err
	}
	if t.MaxAmount != nil {
		p.MaxAmount = new(big.Int).Set(t.MaxAmount)
	}
	if t.Salt != nil {
		p.Salt = new(big.Int).Set(t.Salt)
	}
	if err := p.Validate(); err != nil {
		return PaymentInfo{}, err
	}
	return p, nil
}

var zero = new(big.Int)

func bigOrZero(x *big.Int) *big.Int {
	if x == nil {
		return zero
	}
	return x
}
