package escrow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/evm"
)

var (
	escrowBinding    = contracts.NewAuthCaptureEscrow()
	collectorBinding = contracts.NewERC3009PaymentCollector()
)

func escrowABI() (*abi.ABI, error) { return contracts.AuthCaptureEscrowMetaData.ParseABI() }

// CollectorType is a token collector's collectorType(): which escrow
// operations it may serve.
type CollectorType uint8

// Collector types.
const (
	// CollectorPayment collectors serve authorize and charge.
	CollectorPayment CollectorType = 0
	// CollectorRefund collectors serve refund.
	CollectorRefund CollectorType = 1
)

// ErrAmount reports an amount argument that is not a uint256.
var ErrAmount = errors.New("escrow: amount is not a uint256")

func checkAmount(amount *big.Int) error {
	if amount == nil || amount.Sign() < 0 || amount.BitLen() > 256 {
		return fmt.Errorf("%w: %v", ErrAmount, amount)
	}
	return nil
}

// checkCall validates the PaymentInfo and the amount of a call that has one.
func checkCall(pi *PaymentInfo, amount *big.Int) error {
	if err := pi.Validate(); err != nil {
		return err
	}
	return checkAmount(amount)
}

// PackAuthorize returns calldata for authorize(pi, amount, collector,
// collectorData) (selector 0x41d66202). The operator must send it. For the
// ERC-3009 collector, collectorData is the payer's signature (Deposit.Signature).
func PackAuthorize(pi *PaymentInfo, amount *big.Int, collector common.Address, collectorData []byte) ([]byte, error) {
	if err := checkCall(pi, amount); err != nil {
		return nil, err
	}
	return escrowBinding.TryPackAuthorize(pi.Tuple(), amount, collector, collectorData)
}

// AuthorizeCall is the decoded calldata of authorize: the payment, the
// amount, the token collector and the collector data (for the ERC-3009
// collector, the payer's signature). All of it is public once the
// transaction is broadcast.
type AuthorizeCall struct {
	PaymentInfo   PaymentInfo
	Amount        *big.Int
	Collector     common.Address
	CollectorData []byte
}

// UnpackAuthorize decodes authorize calldata (as PackAuthorize makes it).
func UnpackAuthorize(data []byte) (*AuthorizeCall, error) {
	a, err := escrowABI()
	if err != nil {
		return nil, err
	}
	m := a.Methods["authorize"]
	if len(data) < 4 || !bytes.Equal(data[:4], m.ID) {
		return nil, errors.New("escrow: not authorize calldata")
	}
	vals, err := m.Inputs.Unpack(data[4:])
	if err != nil || len(vals) != 4 {
		return nil, fmt.Errorf("escrow: authorize calldata: %v", err)
	}
	t := *abi.ConvertType(vals[0], new(contracts.AuthCaptureEscrowPaymentInfo)).(*contracts.AuthCaptureEscrowPaymentInfo)
	pi, err := FromTuple(t)
	if err != nil {
		return nil, err
	}
	amount, ok1 := vals[1].(*big.Int)
	collector, ok2 := vals[2].(common.Address)
	cdata, ok3 := vals[3].([]byte)
	if !ok1 || !ok2 || !ok3 {
		return nil, errors.New("escrow: authorize calldata: unexpected argument types")
	}
	return &AuthorizeCall{PaymentInfo: pi, Amount: amount, Collector: collector, CollectorData: cdata}, nil
}

// PackCharge returns calldata for charge(pi, amount, collector,
// collectorData, feeBps, feeReceiver) (selector 0x9e65819f): authorize and
// capture in one transaction. The operator must send it.
func PackCharge(pi *PaymentInfo, amount *big.Int, collector common.Address, collectorData []byte, feeBps uint16, feeReceiver common.Address) ([]byte, error) {
	if err := checkCall(pi, amount); err != nil {
		return nil, err
	}
	return escrowBinding.TryPackCharge(pi.Tuple(), amount, collector, collectorData, feeBps, feeReceiver)
}

// PackCapture returns calldata for capture(pi, amount, feeBps, feeReceiver)
// (selector 0x644cd79a, v1.0). The operator must send it before
// authorizationExpiry. Captures are not idempotent: a repeated capture takes
// amount again while anything is held.
func PackCapture(pi *PaymentInfo, amount *big.Int, feeBps uint16, feeReceiver common.Address) ([]byte, error) {
	if err := checkCall(pi, amount); err != nil {
		return nil, err
	}
	return escrowBinding.TryPackCapture(pi.Tuple(), amount, feeBps, feeReceiver)
}

// PackVoid returns calldata for void(pi) (selector 0xfa1cad17): the operator
// returns everything still held to the payer.
func PackVoid(pi *PaymentInfo) ([]byte, error) {
	if err := pi.Validate(); err != nil {
		return nil, err
	}
	return escrowBinding.TryPackVoid(pi.Tuple())
}

// PackReclaim returns calldata for reclaim(pi) (selector 0xe1a2a66d): the
// payer takes back everything still held, at or after authorizationExpiry.
func PackReclaim(pi *PaymentInfo) ([]byte, error) {
	if err := pi.Validate(); err != nil {
		return nil, err
	}
	return escrowBinding.TryPackReclaim(pi.Tuple())
}

// PackRefund returns calldata for refund(pi, amount, collector,
// collectorData) (selector 0xd458db5a): the operator returns captured
// tokens to the payer through a Refund collector (OperatorRefundCollector:
// from the operator's own balance, after an ERC-20 approval to it).
func PackRefund(pi *PaymentInfo, amount *big.Int, collector common.Address, collectorData []byte) ([]byte, error) {
	if err := checkCall(pi, amount); err != nil {
		return nil, err
	}
	return escrowBinding.TryPackRefund(pi.Tuple(), amount, collector, collectorData)
}

// PaymentState is the escrow's record of one payment.
type PaymentState struct {
	// HasCollectedPayment is set once the payment was authorized or charged.
	HasCollectedPayment bool
	// CapturableAmount is held and can still be captured (or voided, reclaimed).
	CapturableAmount *big.Int
	// RefundableAmount was captured and not refunded.
	RefundableAmount *big.Int
}

// Contract is an AuthCaptureEscrow at Address, read through Backend.
type Contract struct {
	Backend evm.Backend
	Address common.Address
}

// NewContract returns the escrow at addr on b.
func NewContract(b evm.Backend, addr common.Address) *Contract {
	return &Contract{Backend: b, Address: addr}
}

// call runs an eth_call of data at the latest block and decodes reverts.
func (c *Contract) call(ctx context.Context, data []byte) ([]byte, error) {
	out, err := evm.Call(ctx, c.Backend, common.Address{}, c.Address, data)
	if err != nil {
		return nil, DecodeError(err)
	}
	return out, nil
}

// PaymentState reads paymentState(id), id being GetHash of the payment.
func (c *Contract) PaymentState(ctx context.Context, id [32]byte) (PaymentState, error) {
	out, err := c.call(ctx, escrowBinding.PackPaymentState(id))
	if err != nil {
		return PaymentState{}, fmt.Errorf("escrow: paymentState: %w", err)
	}
	s, err := escrowBinding.UnpackPaymentState(out)
	if err != nil {
		return PaymentState{}, fmt.Errorf("escrow: paymentState: %w", err)
	}
	return PaymentState{HasCollectedPayment: s.HasCollectedPayment, CapturableAmount: s.CapturableAmount, RefundableAmount: s.RefundableAmount}, nil
}

// GetHash asks the contract for getHash(pi). GetHash (the function)
// computes the same locally; this is for checking a deployment or a chain ID.
func (c *Contract) GetHash(ctx context.Context, pi *PaymentInfo) ([32]byte, error) {
	if err := pi.Validate(); err != nil {
		return [32]byte{}, err
	}
	out, err := c.call(ctx, escrowBinding.PackGetHash(pi.Tuple()))
	if err != nil {
		return [32]byte{}, fmt.Errorf("escrow: getHash: %w", err)
	}
	return escrowBinding.UnpackGetHash(out)
}

// TokenStore reads getTokenStore(operator): where the operator's escrowed
// tokens are (the contract exists once the operator's first payout ran).
func (c *Contract) TokenStore(ctx context.Context, operator common.Address) (common.Address, error) {
	out, err := c.call(ctx, escrowBinding.PackGetTokenStore(operator))
	if err != nil {
		return common.Address{}, fmt.Errorf("escrow: getTokenStore: %w", err)
	}
	return escrowBinding.UnpackGetTokenStore(out)
}

// TokenStoreImplementation reads tokenStoreImplementation().
func (c *Contract) TokenStoreImplementation(ctx context.Context) (common.Address, error) {
	out, err := c.call(ctx, escrowBinding.PackTokenStoreImplementation())
	if err != nil {
		return common.Address{}, fmt.Errorf("escrow: tokenStoreImplementation: %w", err)
	}
	return escrowBinding.UnpackTokenStoreImplementation(out)
}

// Simulate runs data (from Pack*) as an eth_call from `from` against the
// latest block and returns nil or the decoded revert (*Error; errors.Is
// with ErrInsufficientAuthorization and the like). The block timestamp of
// the call is the latest block's: a transaction lands in a later block.
func (c *Contract) Simulate(ctx context.Context, from common.Address, data []byte) error {
	_, err := evm.Call(ctx, c.Backend, from, c.Address, data)
	return DecodeError(err)
}

// Selectors in a contract's runtime code: the dispatcher compares the call's
// selector with PUSH4 <selector>.
var (
	captureV10 = append([]byte{0x63}, common.FromHex("644cd79a")...)
	captureV11 = append([]byte{0x63}, common.FromHex("3efa46e1")...)
)

// ErrDeployment reports escrow or collector addresses that are not what the
// configuration says.
var ErrDeployment = errors.New("escrow: deployment check failed")

// CheckDeployment verifies, before the first payment, that the escrow at
// c.Address is a v1.0 AuthCaptureEscrow (its code dispatches capture
// 0x644cd79a, not v1.1's 0x3efa46e1) and that paymentCollector (and
// refundCollector, unless zero) serve it with the right collector type.
func (c *Contract) CheckDeployment(ctx context.Context, paymentCollector, refundCollector common.Address) error {
	code, err := c.Backend.CodeAt(ctx, c.Address, nil)
	if err != nil {
		return fmt.Errorf("escrow: reading the code of %s: %w", c.Address.Hex(), err)
	}
	switch {
	case len(code) == 0:
		return fmt.Errorf("%w: no contract at escrow %s", ErrDeployment, c.Address.Hex())
	case bytes.Contains(code, captureV11) && !bytes.Contains(code, captureV10):
		return fmt.Errorf("%w: %s is an AuthCaptureEscrow v1.1 (capture with feeAmount); v1.0 is required", ErrDeployment, c.Address.Hex())
	case !bytes.Contains(code, captureV10):
		return fmt.Errorf("%w: %s does not look like an AuthCaptureEscrow v1.0", ErrDeployment, c.Address.Hex())
	}
	check := func(collector common.Address, want CollectorType) error {
		out, err := evm.Call(ctx, c.Backend, common.Address{}, collector, collectorBinding.PackAuthCaptureEscrow())
		if err != nil {
			return fmt.Errorf("%w: collector %s: authCaptureEscrow(): %v", ErrDeployment, collector.Hex(), err)
		}
		e, err := collectorBinding.UnpackAuthCaptureEscrow(out)
		if err != nil || e != c.Address {
			return fmt.Errorf("%w: collector %s serves escrow %s, not %s", ErrDeployment, collector.Hex(), e.Hex(), c.Address.Hex())
		}
		out, err = evm.Call(ctx, c.Backend, common.Address{}, collector, collectorBinding.PackCollectorType())
		if err != nil {
			return fmt.Errorf("%w: collector %s: collectorType(): %v", ErrDeployment, collector.Hex(), err)
		}
		k, err := collectorBinding.UnpackCollectorType(out)
		if err != nil || CollectorType(k) != want {
			return fmt.Errorf("%w: collector %s has type %d, want %d", ErrDeployment, collector.Hex(), k, want)
		}
		return nil
	}
	if err := check(paymentCollector, CollectorPayment); err != nil {
		return err
	}
	if refundCollector != (common.Address{}) {
		return check(refundCollector, CollectorRefund)
	}
	return nil
}

// CollectorData returns what to pass as collectorData to authorize or charge
// through ERC3009PaymentCollector for a payer's signature: the signature as
// given, except that an ERC-6492 wrapper is removed once the payer's wallet
// has code. The collector runs a wrapper's deployment call unconditionally
// (as the Commerce Payments collector does); for a wallet that already
// exists, the factory's CREATE2 collides and burns all the gas it is given,
// 63/64 of what is left at each call depth, so the transaction needs tens of
// millions of gas (more than Osaka's per-transaction cap). An undeployed
// wallet keeps its wrapper; its deployment runs inside authorize.
func CollectorData(ctx context.Context, b evm.Backend, payer common.Address, signature []byte) ([]byte, error) {
	_, _, inner, wrapped, err := evm.Unwrap6492(signature)
	if !wrapped {
		return signature, nil
	}
	if err != nil {
		return nil, err
	}
	code, err := b.CodeAt(ctx, payer, nil)
	if err != nil {
		return nil, fmt.Errorf("escrow: reading the payer's code: %w", err)
	}
	if len(code) == 0 {
		return signature, nil
	}
	return inner, nil
}
