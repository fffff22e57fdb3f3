package evm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

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

// NumString holds a JSON string or a bare JSON number as text. It never fails
// to unmarshal a number-like token, so that a malformed value is reported
// precisely by the parser (which field, why) rather than as broken JSON.
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
	*n = NumString(b)
	return nil
}

// MarshalJSON implements json.Marshaler; values are always sent as strings.
func (n NumString) MarshalJSON() ([]byte, error) {
	return json.Marshal(string(n))
}

// ParseUint256 parses a decimal integer in [0, 2^256) with no sign, no
// spaces and no fraction.
func ParseUint256(s string) (uint256.Int, error) {
	var z uint256.Int
	if s == "" {
		return z, fmt.Errorf("is empty")
	}
	if len(s) > 78 {
		return z, fmt.Errorf("has %d digits, more than a uint256 holds", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return z, fmt.Errorf("%s is not a decimal integer", strconv.Quote(clip(s)))
		}
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

// Parse validates and converts the JSON authorization. The error names the
// offending field.
func (j *AuthorizationJSON) Parse() (Authorization, error) {
	var a Authorization
	var err error
	if a.From, err = ParseAddress(j.From); err != nil {
		return a, fmt.Errorf("authorization.from %w", err)
	}
	if a.To, err = ParseAddress(j.To); err != nil {
		return a, fmt.Errorf("authorization.to %w", err)
	}
	if a.Value, err = ParseUint256(string(j.Value)); err != nil {
		return a, fmt.Errorf("authorization.value %w", err)
	}
	if a.ValidAfter, err = ParseUint256(string(j.ValidAfter)); err != nil {
		return a, fmt.Errorf("authorization.validAfter %w", err)
	}
	if a.ValidBefore, err = ParseUint256(string(j.ValidBefore)); err != nil {
		return a, fmt.Errorf("authorization.validBefore %w", err)
	}
	if a.Nonce, err = ParseBytes32(j.Nonce); err != nil {
		return a, fmt.Errorf("authorization.nonce %w", err)
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
