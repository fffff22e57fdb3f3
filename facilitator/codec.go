package facilitator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unsafe"
)

// MaxHeaderBytes is the default cap on an encoded x402 header value (8 KiB).
// A payment header is about 1 KiB; the cap bounds the work an attacker can
// cause before any signature is checked.
const MaxHeaderBytes = 8 << 10

// Errors returned by DecodeHeader. They wrap into *Error values with the
// codes the paywall sends back.
var (
	ErrHeaderEmpty    = errors.New("header is empty")
	ErrHeaderTooLarge = errors.New("header exceeds size limit")
	ErrHeaderBase64   = errors.New("header is not standard padded base64")
	ErrHeaderJSON     = errors.New("header does not hold a JSON object")
)

// EncodeHeader marshals v to JSON and encodes it as standard padded base64,
// the encoding every x402 header uses.
func EncodeHeader(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding x402 header: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeHeader decodes a standard padded base64 JSON header into v. It is
// strict: only the RFC 4648 standard alphabet with correct padding, no
// whitespace or line breaks (which encoding/base64 would silently skip), at
// most maxBytes encoded bytes (MaxHeaderBytes when maxBytes <= 0), a single
// JSON object with nothing after it, and nothing a parser could read
// another way (CheckUnambiguous: a repeated key, a case variant of a field
// name; the error then wraps ErrAmbiguousJSON).
func DecodeHeader(value string, maxBytes int, v any) error {
	_, err := DecodeHeaderJSON(value, maxBytes, v)
	return err
}

// DecodeHeaderJSON is DecodeHeader that also returns the decoded JSON
// document (nil on error), for a caller that keeps the payment as the
// client sent it.
func DecodeHeaderJSON(value string, maxBytes int, v any) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = MaxHeaderBytes
	}
	switch {
	case len(value) == 0:
		return nil, ErrHeaderEmpty
	case len(value) > maxBytes:
		return nil, ErrHeaderTooLarge
	case len(value)%4 != 0:
		return nil, ErrHeaderBase64
	}
	for i := 0; i < len(value); i++ {
		if !isStdBase64(value[i]) {
			return nil, ErrHeaderBase64
		}
	}
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(value)))
	// The decoder only reads its input: the string's bytes need no copy.
	n, err := strictBase64.Decode(buf, unsafe.Slice(unsafe.StringData(value), len(value)))
	if err != nil {
		return nil, ErrHeaderBase64
	}
	buf = buf[:n]
	if !looksLikeObject(buf) {
		return nil, ErrHeaderJSON
	}
	if err := json.Unmarshal(buf, v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHeaderJSON, err)
	}
	if err := CheckUnambiguous(buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// strictBase64 is base64.StdEncoding.Strict(), made once (Strict allocates).
var strictBase64 = base64.StdEncoding.Strict()

func isStdBase64(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '+' || c == '/' || c == '='
}

// looksLikeObject reports whether b starts with '{' after JSON whitespace, so
// that `null`, arrays and scalars are rejected before unmarshalling (json
// would silently accept `null` into a struct).
func looksLikeObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}
