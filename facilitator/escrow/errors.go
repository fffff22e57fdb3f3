package escrow

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/caddy-x402/x402/facilitator/evm"
)

// Errors of the escrow contract, one per custom error, in the order of
// errorTable. Match them with errors.Is on what DecodeError returns.
var (
	ErrInvalidSender             = errors.New("escrow: caller is not the payment's operator (payer for reclaim)")
	ErrZeroAmount                = errors.New("escrow: amount is zero")
	ErrAmountOverflow            = errors.New("escrow: amount does not fit uint120")
	ErrExceedsMaxAmount          = errors.New("escrow: amount exceeds maxAmount")
	ErrAfterPreApprovalExpiry    = errors.New("escrow: at or after preApprovalExpiry")
	ErrInvalidExpiries           = errors.New("escrow: expiries are not ordered preApproval <= authorization <= refund")
	ErrFeeBpsOverflow            = errors.New("escrow: maxFeeBps is above 10000")
	ErrInvalidFeeBpsRange        = errors.New("escrow: minFeeBps is above maxFeeBps")
	ErrFeeBpsOutOfRange          = errors.New("escrow: fee outside [minFeeBps, maxFeeBps]")
	ErrZeroFeeReceiver           = errors.New("escrow: fee without a fee receiver")
	ErrInvalidFeeReceiver        = errors.New("escrow: fee receiver differs from the payment's")
	ErrInvalidCollector          = errors.New("escrow: token collector of the wrong type for the operation")
	ErrTokenCollectionFailed     = errors.New("escrow: the token store did not receive exactly the amount")
	ErrPaymentAlreadyCollected   = errors.New("escrow: payment already authorized or charged")
	ErrAfterAuthorizationExpiry  = errors.New("escrow: at or after authorizationExpiry")
	ErrInsufficientAuthorization = errors.New("escrow: capture exceeds the amount held")
	ErrZeroAuthorization         = errors.New("escrow: nothing is held for the payment")
	ErrBeforeAuthorizationExpiry = errors.New("escrow: before authorizationExpiry")
	ErrAfterRefundExpiry         = errors.New("escrow: at or after refundExpiry")
	ErrRefundExceedsCapture      = errors.New("escrow: refund exceeds the captured amount not yet refunded")
	ErrReentrancy                = errors.New("escrow: reentrant call")
	ErrOnlyEscrow                = errors.New("escrow: collector or token store called by someone other than the escrow")
	ErrTokenStoreDeployment      = errors.New("escrow: creating the operator's token store failed")
)

// Errors of the token, which the ERC-3009 and refund collectors let through
// unchanged: USDC's revert strings and OpenZeppelin 5's custom errors.
var (
	ErrInvalidSignature         = errors.New("escrow: the token rejected the payer's signature")
	ErrAuthorizationExpired     = errors.New("escrow: the ERC-3009 authorization has expired (validBefore)")
	ErrAuthorizationNotYetValid = errors.New("escrow: the ERC-3009 authorization is not yet valid (validAfter)")
	ErrNonceUsed                = errors.New("escrow: the ERC-3009 nonce is used or canceled")
	ErrInsufficientBalance      = errors.New("escrow: token balance too low")
	ErrInsufficientAllowance    = errors.New("escrow: token allowance too low")
	ErrBlacklisted              = errors.New("escrow: an account is blacklisted by the token")
	ErrTokenPaused              = errors.New("escrow: the token is paused")
	ErrTokenTransferFailed      = errors.New("escrow: a token transfer failed")
)

// ErrReverted is the kind of a revert that is none of the above.
var ErrReverted = errors.New("escrow: transaction reverted")

// ReasonReverted is the reason of an unrecognised revert.
const ReasonReverted = "escrow_reverted"

// errorDef maps a custom error (by signature) or a revert string (by a
// substring of it) to its Go error and x402-style reason.
type errorDef struct {
	sig    string // Solidity signature of a custom error; "" for a revert string
	text   string // substring of a revert string; "" for a custom error
	reason string
	err    error
}

// errorTable is every revert an escrow call can end in that we name.
var errorTable = []errorDef{
	// AuthCaptureEscrow v1.0.
	{sig: "InvalidSender(address,address)", reason: "escrow_invalid_sender", err: ErrInvalidSender},
	{sig: "ZeroAmount()", reason: "escrow_zero_amount", err: ErrZeroAmount},
	{sig: "AmountOverflow(uint256,uint256)", reason: "escrow_amount_overflow", err: ErrAmountOverflow},
	{sig: "ExceedsMaxAmount(uint256,uint256)", reason: "escrow_exceeds_max_amount", err: ErrExceedsMaxAmount},
	{sig: "AfterPreApprovalExpiry(uint48,uint48)", reason: "escrow_after_pre_approval_expiry", err: ErrAfterPreApprovalExpiry},
	{sig: "InvalidExpiries(uint48,uint48,uint48)", reason: "escrow_invalid_expiries", err: ErrInvalidExpiries},
	{sig: "FeeBpsOverflow(uint16)", reason: "escrow_fee_bps_overflow", err: ErrFeeBpsOverflow},
	{sig: "InvalidFeeBpsRange(uint16,uint16)", reason: "escrow_invalid_fee_bps_range", err: ErrInvalidFeeBpsRange},
	{sig: "FeeBpsOutOfRange(uint16,uint16,uint16)", reason: "escrow_fee_bps_out_of_range", err: ErrFeeBpsOutOfRange},
	{sig: "ZeroFeeReceiver()", reason: "escrow_zero_fee_receiver", err: ErrZeroFeeReceiver},
	{sig: "InvalidFeeReceiver(address,address)", reason: "escrow_invalid_fee_receiver", err: ErrInvalidFeeReceiver},
	{sig: "InvalidCollectorForOperation()", reason: "escrow_invalid_collector", err: ErrInvalidCollector},
	{sig: "TokenCollectionFailed()", reason: "escrow_token_collection_failed", err: ErrTokenCollectionFailed},
	{sig: "PaymentAlreadyCollected(bytes32)", reason: "escrow_payment_already_collected", err: ErrPaymentAlreadyCollected},
	{sig: "AfterAuthorizationExpiry(uint48,uint48)", reason: "escrow_after_authorization_expiry", err: ErrAfterAuthorizationExpiry},
	{sig: "InsufficientAuthorization(bytes32,uint256,uint256)", reason: "escrow_insufficient_authorization", err: ErrInsufficientAuthorization},
	{sig: "ZeroAuthorization(bytes32)", reason: "escrow_zero_authorization", err: ErrZeroAuthorization},
	{sig: "BeforeAuthorizationExpiry(uint48,uint48)", reason: "escrow_before_authorization_expiry", err: ErrBeforeAuthorizationExpiry},
	{sig: "AfterRefundExpiry(uint48,uint48)", reason: "escrow_after_refund_expiry", err: ErrAfterRefundExpiry},
	{sig: "RefundExceedsCapture(uint256,uint256)", reason: "escrow_refund_exceeds_capture", err: ErrRefundExceedsCapture},
	{sig: "Reentrancy()", reason: "escrow_reentrancy", err: ErrReentrancy},
	// Collectors and TokenStore.
	{sig: "OnlyAuthCaptureEscrow()", reason: "escrow_only_escrow", err: ErrOnlyEscrow},
	{sig: "FailedDeployment()", reason: "escrow_token_store_deployment_failed", err: ErrTokenStoreDeployment},
	{sig: "SafeERC20FailedOperation(address)", reason: "escrow_token_transfer_failed", err: ErrTokenTransferFailed},
	// Tokens: OpenZeppelin 5 ERC-20 (our TestUSDC) ...
	{sig: "ERC20InsufficientBalance(address,uint256,uint256)", reason: "escrow_insufficient_balance", err: ErrInsufficientBalance},
	{sig: "ERC20InsufficientAllowance(address,uint256,uint256)", reason: "escrow_insufficient_allowance", err: ErrInsufficientAllowance},
	// ... and USDC's (FiatToken v2.2) revert strings, which TestUSDC shares
	// for EIP-3009.
	{text: "invalid signature", reason: "escrow_invalid_signature", err: ErrInvalidSignature},
	{text: "authorization is expired", reason: "escrow_authorization_expired", err: ErrAuthorizationExpired},
	{text: "authorization is not yet valid", reason: "escrow_authorization_not_yet_valid", err: ErrAuthorizationNotYetValid},
	{text: "authorization is used or canceled", reason: "escrow_nonce_used", err: ErrNonceUsed},
	{text: "transfer amount exceeds balance", reason: "escrow_insufficient_balance", err: ErrInsufficientBalance},
	{text: "transfer amount exceeds allowance", reason: "escrow_insufficient_allowance", err: ErrInsufficientAllowance},
	{text: "account is blacklisted", reason: "escrow_blacklisted", err: ErrBlacklisted},
	{text: "paused", reason: "escrow_token_paused", err: ErrTokenPaused},
}

// customError is a decodable entry of errorTable.
type customError struct {
	def  *errorDef
	name string
	args abi.Arguments
}

var customErrors = func() map[[4]byte]customError {
	m := make(map[[4]byte]customError)
	for i := range errorTable {
		d := &errorTable[i]
		if d.sig == "" {
			continue
		}
		open := strings.IndexByte(d.sig, '(')
		ce := customError{def: d, name: d.sig[:open]}
		if inner := d.sig[open+1 : len(d.sig)-1]; inner != "" {
			for _, t := range strings.Split(inner, ",") {
				typ, err := abi.NewType(t, "", nil)
				if err != nil {
					panic("escrow: error table: " + err.Error())
				}
				ce.args = append(ce.args, abi.Argument{Type: typ})
			}
		}
		sel := evm.Selector(d.sig)
		if _, dup := m[sel]; dup {
			panic("escrow: error table: duplicate selector of " + d.sig)
		}
		m[sel] = ce
	}
	return m
}()

// Error is a decoded revert of an escrow call.
type Error struct {
	// Name is the Solidity error's name ("InsufficientAuthorization"), or
	// the revert string for a token's require, or "" when unknown.
	Name string
	// Reason is the x402-style reason, e.g. "escrow_insufficient_authorization";
	// ReasonReverted when unknown.
	Reason string
	// Selector is the custom error's selector (zero for revert strings).
	Selector [4]byte
	// Args are the decoded arguments (*big.Int, common.Address, [32]byte,
	// uint16 …), nil when there are none or they did not decode.
	Args []any
	// Revert is the node's revert as the evm package reported it.
	Revert *evm.RevertError

	kind error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.kind.Error())
	if e.Name != "" && e.Selector != ([4]byte{}) {
		b.WriteString(" (")
		b.WriteString(e.Name)
		if len(e.Args) > 0 {
			b.WriteString(fmt.Sprint(e.Args))
		}
		b.WriteString(")")
	} else if e.Revert != nil {
		b.WriteString(" (")
		b.WriteString(e.Revert.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap exposes the kind (ErrInsufficientAuthorization, …, or ErrReverted)
// and the underlying *evm.RevertError to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Revert == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.Revert}
}

// DecodeError turns a revert (an *evm.RevertError anywhere in err's chain,
// as evm.Call and evm.Sender.Estimate/Send return them) into an *Error whose
// kind says which check failed. Other errors (nil, transport failures) are
// returned unchanged.
func DecodeError(err error) error {
	var re *evm.RevertError
	if err == nil || !errors.As(err, &re) {
		return err
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	return decodeRevert(re)
}

func decodeRevert(re *evm.RevertError) *Error {
	e := &Error{Reason: ReasonReverted, Revert: re, kind: ErrReverted}
	if len(re.Data) >= 4 {
		sel := re.Selector()
		if ce, ok := customErrors[sel]; ok {
			e.Name, e.Selector, e.Reason, e.kind = ce.name, sel, ce.def.reason, ce.def.err
			if len(ce.args) > 0 {
				if args, err := ce.args.UnpackValues(re.Data[4:]); err == nil {
					e.Args = args
				}
			}
			return e
		}
	}
	if msg := revertString(re); msg != "" {
		for i := range errorTable {
			d := &errorTable[i]
			if d.text != "" && strings.Contains(msg, d.text) {
				e.Name, e.Reason, e.kind = msg, d.reason, d.err
				return e
			}
		}
		e.Name = msg
	}
	return e
}

// errorStringSelector is the selector of Solidity's Error(string).
var errorStringSelector = evm.Selector("Error(string)")

var stringArgs = func() abi.Arguments {
	t, _ := abi.NewType("string", "", nil)
	return abi.Arguments{{Type: t}}
}()

// revertString is the require message of the revert: the node's reason, or
// Error(string) decoded from the data.
func revertString(re *evm.RevertError) string {
	if re.Reason != "" {
		return re.Reason
	}
	if len(re.Data) >= 4 && re.Selector() == errorStringSelector {
		if v, err := stringArgs.UnpackValues(re.Data[4:]); err == nil {
			if s, ok := v[0].(string); ok {
				return s
			}
		}
	}
	return ""
}

// Reason returns the x402-style reason of an escrow revert in err's chain
// ("escrow_insufficient_authorization", …, or ReasonReverted), and "" when
// err is nil or not a revert.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	var re *evm.RevertError
	if errors.As(err, &re) {
		return decodeRevert(re).Reason
	}
	return ""
}

// ReasonOf returns the reason string of one of this package's error kinds
// (ErrInsufficientAuthorization → "escrow_insufficient_authorization"), for
// checks made off-chain (CheckTerms, CheckFee) that must report the same
// reason as the contract; "" for other errors.
func ReasonOf(kind error) string {
	for i := range errorTable {
		if errors.Is(kind, errorTable[i].err) {
			return errorTable[i].reason
		}
	}
	return ""
}

// KnownError describes one revert this package names.
type KnownError struct {
	// Signature is the custom error's Solidity signature, "" for a revert string.
	Signature string
	// Selector is the custom error's selector.
	Selector [4]byte
	// Text is the revert-string fragment matched, "" for a custom error.
	Text   string
	Reason string
	Err    error
}

// KnownErrors lists every revert DecodeError recognises, in table order.
func KnownErrors() []KnownError {
	out := make([]KnownError, 0, len(errorTable))
	for _, d := range errorTable {
		k := KnownError{Signature: d.sig, Text: d.text, Reason: d.reason, Err: d.err}
		if d.sig != "" {
			k.Selector = evm.Selector(d.sig)
		}
		out = append(out, k)
	}
	return out
}
