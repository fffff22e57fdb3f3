package evm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// ExactPayload is the scheme payload of an `exact` EVM payment using EIP-3009.
type ExactPayload struct {
	Signature     string             `json:"signature"`
	Authorization *AuthorizationJSON `json:"authorization"`
}

// AuthorizationJSON is an ERC-3009 authorization as it travels in JSON. The
// SDKs send decimal strings; some hosted facilitators document numbers, so
// both are accepted (see NumString).
type AuthorizationJSON struct {
	From        string    `json:"from"`
	To          string    `json:"to"`
	Value       NumString `json:"value"`
	ValidAfter  NumString `json:"validAfter"`
	ValidBefore NumString `json:"validBefore"`
	Nonce       string    `json:"nonce"`
}

func init() {
	facilitator.RegisterWireNames(ExactPayload{})
}

// MaxSafeJSONInteger is the largest integer that a JSON number carries
// exactly in every parser: JavaScript reads numbers as float64, so
// 2^53 - 1. Larger amounts and times must travel as decimal strings.
const MaxSafeJSONInteger = 1<<53 - 1

// numberMark starts a NumString decoded from a JSON number that is not a
// plain integer up to MaxSafeJSONInteger (a fraction, an exponent, a sign,
// or a value JavaScript would round); ParseUint256 refuses it by name.
const numberMark = "\x00"

// NumString holds a JSON string or a bare JSON number as text. It never fails
// to unmarshal a number-like token, so that a malformed value is reported
// precisely by the parser (which field, why) rather than as broken JSON. A
// bare number is kept only when every parser reads it the same way (a plain
// integer up to MaxSafeJSONInteger); any other number is kept marked, and
// ParseUint256 refuses it.
type NumString string

// UnmarshalJSON implements json.Unmarshaler.
func (n *NumString) UnmarshalJSON(b []byte) error {
	// Fast path: a string without escapes is its bytes between the quotes
	// (the decoder has already validated the token).
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		*n = NumString(b[1 : len(b)-1])
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = NumString(s)
		return nil
	}
	if string(b) == "null" {
		*n = ""
		return nil
	}
	if !safeJSONInteger(b) {
		*n = NumString(numberMark + string(b))
		return nil
	}
	*n = NumString(b)
	return nil
}

// safeJSONInteger reports whether a JSON number token is digits only and at
// most MaxSafeJSONInteger (JSON itself forbids leading zeros in numbers).
func safeJSONInteger(b []byte) bool {
	if len(b) == 0 || len(b) > 16 {
		return false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
		v = v*10 + uint64(c-'0')
	}
	return v <= MaxSafeJSONInteger
}

// MarshalJSON implements json.Marshaler; values are always sent as strings.
func (n NumString) MarshalJSON() ([]byte, error) {
	return json.Marshal(string(n))
}

// ParseUint256 parses a decimal integer in [0, 2^256): digits only (no
// sign, spaces, fraction or exponent) and no leading zero, so that every
// parser reads it as the same number. It also refuses a NumString decoded
// from a JSON number that is not a plain integer up to MaxSafeJSONInteger.
func ParseUint256(s string) (uint256.Int, error) {
	var z uint256.Int
	switch {
	case s == "":
		return z, fmt.Errorf("is empty")
	case strings.HasPrefix(s, numberMark):
		return z, fmt.Errorf("is the JSON number %s; a JSON number must be a plain integer up to 2^53-1 (JavaScript rounds larger ones): send it as a decimal string", clip(s[len(numberMark):]))
	case len(s) > 78:
		return z, fmt.Errorf("has %d digits, more than a uint256 holds", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return z, fmt.Errorf("%s is not a decimal integer (digits only: no sign, fraction, exponent or spaces)", strconv.Quote(clip(s)))
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return z, fmt.Errorf("%s has a leading zero", strconv.Quote(clip(s)))
	}
	if err := z.SetFromDecimal(s); err != nil {
		return z, fmt.Errorf("%s does not fit in uint256", strconv.Quote(clip(s)))
	}
	return z, nil
}

// ParseAddress parses a 0x-prefixed 20-byte hex address, any letter case.
// Checksums are not enforced (the reference facilitators compare addresses
// case-insensitively).
func ParseAddress(s string) (common.Address, error) {
	var a common.Address
	if len(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return a, fmt.Errorf("%s is not a 0x-prefixed 20-byte hex address", strconv.Quote(clip(s)))
	}
	if _, err := hex.Decode(a[:], []byte(s[2:])); err != nil {
		return a, fmt.Errorf("%s is not a 0x-prefixed 20-byte hex address", strconv.Quote(clip(s)))
	}
	return a, nil
}

// ParseBytes32 parses a 0x-prefixed 32-byte hex value.
func ParseBytes32(s string) ([32]byte, error) {
	var b [32]byte
	if len(s) != 66 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return b, fmt.Errorf("%s is not a 0x-prefixed 32-byte hex value", strconv.Quote(clip(s)))
	}
	if _, err := hex.Decode(b[:], []byte(s[2:])); err != nil {
		return b, fmt.Errorf("%s is not a 0x-prefixed 32-byte hex value", strconv.Quote(clip(s)))
	}
	return b, nil
}

// FieldError is a malformed authorization field; Field is its JSON path
// (authorization.value, authorization.validBefore, …).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + " " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Authorization field paths reported in FieldError.
const (
	FieldFrom        = "authorization.from"
	FieldTo          = "authorization.to"
	FieldValue       = "authorization.value"
	FieldValidAfter  = "authorization.validAfter"
	FieldValidBefore = "authorization.validBefore"
	FieldNonce       = "authorization.nonce"
)

// Parse validates and converts the JSON authorization. The error is a
// *FieldError naming the offending field.
func (j *AuthorizationJSON) Parse() (Authorization, error) {
	var a Authorization
	var err error
	if a.From, err = ParseAddress(j.From); err != nil {
		return a, &FieldError{FieldFrom, err}
	}
	if a.To, err = ParseAddress(j.To); err != nil {
		return a, &FieldError{FieldTo, err}
	}
	if a.Value, err = ParseUint256(string(j.Value)); err != nil {
		return a, &FieldError{FieldValue, err}
	}
	if a.ValidAfter, err = ParseUint256(string(j.ValidAfter)); err != nil {
		return a, &FieldError{FieldValidAfter, err}
	}
	if a.ValidBefore, err = ParseUint256(string(j.ValidBefore)); err != nil {
		return a, &FieldError{FieldValidBefore, err}
	}
	if a.Nonce, err = ParseBytes32(j.Nonce); err != nil {
		return a, &FieldError{FieldNonce, err}
	}
	return a, nil
}

// JSON converts a parsed authorization back to its wire form (decimal
// strings, EIP-55 checksummed addresses, 0x-hex nonce).
func (a *Authorization) JSON() AuthorizationJSON {
	return AuthorizationJSON{
		From:        a.From.Hex(),
		To:          a.To.Hex(),
		Value:       NumString(a.Value.Dec()),
		ValidAfter:  NumString(a.ValidAfter.Dec()),
		ValidBefore: NumString(a.ValidBefore.Dec()),
		Nonce:       "0x" + hex.EncodeToString(a.Nonce[:]),
	}
}

// clip shortens attacker-supplied text quoted in error messages.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
