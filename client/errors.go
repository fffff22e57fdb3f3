package client

import (
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
)

// ErrNoChallenge is returned (wrapped) when a 402 response carries no x402
// challenge that this client can read: neither a valid PAYMENT-REQUIRED
// header nor a v1 JSON body with requirements.
var ErrNoChallenge = errors.New("402 response carries no readable x402 challenge")

// PaymentError reports that the server did not accept a payment the client
// sent: the paid retry was answered with 402 (or a 400 naming an x402 error),
// or its PAYMENT-RESPONSE says success: false. Code is the x402 error code
// (e.g. "invalid_exact_evm_insufficient_balance"), Message the server's
// explanation; either may be empty when the server gave none.
type PaymentError struct {
	Status  int
	Code    string
	Message string
}

func (e *PaymentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "x402 payment refused (HTTP %d %s)", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// AmountError reports a requirement that costs more than Client.MaxAmount.
// Both values are in token units.
type AmountError struct {
	Amount *big.Int
	Max    *big.Int
}

func (e *AmountError) Error() string {
	return fmt.Sprintf("amount %s units exceeds the cap of %s units", e.Amount, e.Max)
}

// SchemeError reports a requirement in another scheme than Client.Scheme.
// The client never switches schemes by itself: an escrow session locks a
// deposit, which the caller must choose.
type SchemeError struct {
	Offered    string
	Configured string
}

func (e *SchemeError) Error() string {
	return fmt.Sprintf("scheme %q is not the configured %q", clip(e.Offered), e.Configured)
}

// UnpayableError is returned by Do when a 402 offers no requirement this
// client may pay. Reasons holds one line per offered requirement saying why
// it was skipped; Errs holds the same as errors, so errors.As finds an
// *AmountError when a price was above the cap.
type UnpayableError struct {
	Reasons []string
	Errs    []error
}

func (e *UnpayableError) Error() string {
	if len(e.Reasons) == 0 {
		return "x402 client: the 402 challenge offers no payment requirements"
	}
	return "x402 client: no payable requirement: " + strings.Join(e.Reasons, "; ")
}

// Unwrap returns the per-requirement errors.
func (e *UnpayableError) Unwrap() []error { return e.Errs }
