package facilitator

import (
	"errors"
	"fmt"
)

// x402 error codes. Where the reference SDKs define a code for a failure we
// use their spelling (the Go v2 exact EVM facilitator's names, which the v2
// spec also uses); the few codes marked "ours" cover checks the reference
// implementations do not make.
const (
	// Generic (x402 spec list).
	CodePaymentRequired            = "payment_required"
	CodeInvalidPayload             = "invalid_payload"
	CodeInvalidPaymentRequirements = "invalid_payment_requirements"
	CodeInvalidNetwork             = "invalid_network"
	CodeInvalidScheme              = "invalid_scheme"
	CodeUnsupportedScheme          = "unsupported_scheme"
	CodeInvalidX402Version         = "invalid_x402_version"
	CodeUnexpectedVerifyError      = "unexpected_verify_error"
	CodeUnexpectedSettleError      = "unexpected_settle_error"
	CodeInsufficientFunds          = "insufficient_funds"

	// Ours: request-level problems the paywall reports before any scheme runs.
	CodeHeaderTooLarge         = "payment_header_too_large"
	CodeNoMatchingRequirements = "no_matching_payment_requirements"
	CodeServiceBusy            = "service_busy"
	CodeSettlementPending      = "settlement_pending"
	CodeAmbiguousPath          = "ambiguous_request_path" // a path that servers may read in different ways
	CodeUpgradeNotAllowed      = "upgrade_not_allowed"    // a protocol switch on a route that refuses upgrades

	// exact scheme, EVM (EIP-3009), verification.
	CodeExactScheme               = "invalid_exact_evm_scheme"
	CodeExactNetworkMismatch      = "invalid_exact_evm_network_mismatch"
	CodeExactPayload              = "invalid_exact_evm_payload"
	CodeExactMissingSignature     = "invalid_exact_evm_payload_missing_signature"
	CodeExactNetworkConfig        = "invalid_exact_evm_failed_to_get_network_config"
	CodeExactMissingDomain        = "invalid_exact_evm_missing_eip712_domain"
	CodeExactRecipientMismatch    = "invalid_exact_evm_recipient_mismatch"
	CodeExactAssetMismatch        = "invalid_exact_evm_asset_mismatch" // ours
	CodeExactRequiredAmount       = "invalid_exact_evm_required_amount"
	CodeExactValueMismatch        = "invalid_exact_evm_payload_authorization_value_mismatch"
	CodeExactAuthorizationValue   = "invalid_exact_evm_payload_authorization_value" // a malformed value (x402 v1 spec list)
	CodeExactValidBefore          = "invalid_exact_evm_payload_authorization_valid_before"
	CodeExactValidAfter           = "invalid_exact_evm_payload_authorization_valid_after"
	CodeExactSignatureFormat      = "invalid_exact_evm_signature_format"
	CodeExactSignature            = "invalid_exact_evm_signature"
	CodeExactVerifySignature      = "invalid_exact_evm_failed_to_verify_signature"
	CodeExactUndeployedWallet     = "invalid_exact_evm_payload_undeployed_smart_wallet"
	CodeExactNonceUsed            = "invalid_exact_evm_nonce_already_used"
	CodeExactInsufficientBalance  = "invalid_exact_evm_insufficient_balance"
	CodeExactTokenNameMismatch    = "invalid_exact_evm_token_name_mismatch"
	CodeExactTokenVersionMismatch = "invalid_exact_evm_token_version_mismatch"
	CodeExactNotEIP3009           = "invalid_exact_evm_eip3009_not_supported"
	CodeExactSimulationFailed     = "invalid_exact_evm_transaction_simulation_failed"

	// escrow scheme (sessions on AuthCaptureEscrow), creation.
	CodeEscrowPayload           = "invalid_escrow_payload"
	CodeEscrowCollector         = "invalid_escrow_collector"
	CodeEscrowWindow            = "invalid_escrow_authorization_window"
	CodeEscrowExpiries          = "invalid_escrow_expiries"
	CodeEscrowSessionLength     = "invalid_escrow_session_length"
	CodeEscrowRefundWindow      = "invalid_escrow_refund_window"
	CodeEscrowDeposit           = "invalid_escrow_deposit"
	CodeEscrowNonce             = "invalid_escrow_nonce"
	CodeEscrowSignature         = "invalid_escrow_signature"
	CodeEscrowNonceUsed         = "invalid_escrow_nonce_already_used"
	CodeEscrowInsufficientFunds = "invalid_escrow_insufficient_balance"
	CodeEscrowAlreadyCollected  = "invalid_escrow_payment_already_collected"
	CodeEscrowAuthorizeFailed   = "escrow_authorize_failed"
	CodeEscrowSessionUnknown    = "invalid_escrow_session_unknown"
	CodeEscrowSessionToken      = "invalid_escrow_session_token"
	CodeEscrowSessionClosed     = "invalid_escrow_session_closed"
	CodeEscrowSessionExpiring   = "invalid_escrow_session_expiring"
	CodeEscrowSessionBinding    = "invalid_escrow_session_binding"
	CodeEscrowSessionBalance    = "invalid_escrow_insufficient_session_balance"
	CodeEscrowDuplicateRequest  = "invalid_escrow_duplicate_request"
	CodeEscrowAmount            = "invalid_escrow_amount"

	// CodeEscrowSessionOpened (ours): a creation payload for a session that
	// exists. Every field of it is public once authorize is mined (the
	// signature too, in the calldata), so it never spends the session; only
	// the session's token does.
	CodeEscrowSessionOpened = "invalid_escrow_session_already_opened"
	// CodeEscrowRecovery (ours): a token recovery that is not the payer's
	// fresh signature over this session (see escrow.Recovery).
	CodeEscrowRecovery = "invalid_escrow_recovery"

	// exact scheme, EVM, settlement.
	CodeExactExecuteTransfer = "invalid_exact_evm_failed_to_execute_transfer"
	CodeExactReceipt         = "invalid_exact_evm_failed_to_get_receipt"
	CodeExactTxFailed        = "invalid_exact_evm_transaction_failed"
)

// Error is an x402 failure: a stable code for machines, a message for people
// and an optional cause. It never carries secrets (keys, session tokens).
type Error struct {
	Code    string
	Message string
	Err     error
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and cause; the message is the
// cause's text when msg is empty.
func Wrap(code, msg string, err error) *Error {
	if msg == "" && err != nil {
		msg = err.Error()
	}
	return &Error{Code: code, Message: msg, Err: err}
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns err as an *Error, wrapping foreign errors with fallback.
func AsError(err error, fallback string) *Error {
	var xe *Error
	if errors.As(err, &xe) {
		return xe
	}
	return Wrap(fallback, "", err)
}

// Invalid turns an *Error into a failed VerifyResponse.
func (e *Error) Invalid(payer string) VerifyResponse {
	return VerifyResponse{InvalidReason: e.Code, InvalidMessage: e.Message, Payer: payer}
}
