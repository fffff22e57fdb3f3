// Package policies holds the pure decisions of the paywall: how a price
// written by an operator becomes token units, which upstream answers are
// chargeable, and per-payer and spend limits. It does no I/O.
package policies

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// maxUnits is 2^256 - 1, the largest token amount an EVM can express.
var maxUnits = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// ParsePrice converts an operator's price into integer token units.
//
// Accepted forms:
//   - "0.01", "$0.01", "1" — an amount of the token (USD for a USD
//     stablecoin), scaled by 10^decimals; at most `decimals` fractional
//     digits, so "0.0000001" with a 6-decimal token is an error rather
//     than a silent rounding;
//   - "10000 units" (or "10000units") — raw token units, no scaling.
//
// The result is never zero or negative, and never parsed through floats.
func ParsePrice(s string, decimals int) (*big.Int, error) {
	if decimals < 0 || decimals > 77 {
		return nil, fmt.Errorf("price: token decimals %d out of range", decimals)
	}
	in := strings.TrimSpace(s)
	if rest, ok := strings.CutSuffix(in, "units"); ok {
		u, err := parseDigits(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("price %q: %w", s, err)
		}
		return checkUnits(s, u)
	}
	in = strings.TrimPrefix(in, "$")
	whole, frac, hasDot := strings.Cut(in, ".")
	if hasDot && frac == "" {
		return nil, fmt.Errorf("price %q: missing digits after the decimal point", s)
	}
	if whole == "" {
		whole = "0"
	}
	if len(frac) > decimals {
		return nil, fmt.Errorf("price %q: more than %d decimal places (the token's precision); write it in units instead", s, decimals)
	}
	w, err := parseDigits(whole)
	if err != nil {
		return nil, fmt.Errorf("price %q: %w", s, err)
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	units := new(big.Int).Mul(w, scale)
	if frac != "" {
		f, err := parseDigits(frac)
		if err != nil {
			return nil, fmt.Errorf("price %q: %w", s, err)
		}
		f.Mul(f, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals-len(frac))), nil))
		units.Add(units, f)
	}
	return checkUnits(s, units)
}

func checkUnits(s string, u *big.Int) (*big.Int, error) {
	if u.Sign() == 0 {
		return nil, fmt.Errorf("price %q: must be more than zero (leave the route unpriced to make it free)", s)
	}
	if u.Cmp(maxUnits) > 0 {
		return nil, fmt.Errorf("price %q: larger than a uint256", s)
	}
	return u, nil
}

var errDigits = errors.New("not a non-negative decimal number")

func parseDigits(s string) (*big.Int, error) {
	if s == "" || len(s) > 78 {
		return nil, errDigits
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return nil, errDigits
		}
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, errDigits
	}
	return v, nil
}

// FormatUnits renders integer token units as a decimal amount with the
// token's precision, trimming trailing zeros: 10000 with 6 decimals is
// "0.01". It is for display only.
func FormatUnits(units *big.Int, decimals int) string {
	if units == nil {
		return "0"
	}
	s := units.String()
	if decimals <= 0 {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= decimals {
		s = strings.Repeat("0", decimals-len(s)+1) + s
	}
	whole, frac := s[:len(s)-decimals], strings.TrimRight(s[len(s)-decimals:], "0")
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// FormatAmount renders an amount for operators: the token amount with its
// symbol and the exact integer units, e.g. "0.02 USDC (20000 units)". An
// unknown token (decimals < 0) shows the units alone.
func FormatAmount(units *big.Int, decimals int, symbol string) string {
	if units == nil {
		units = new(big.Int)
	}
	word := " units"
	if units.Cmp(big.NewInt(1)) == 0 {
		word = " unit"
	}
	if decimals < 0 {
		return units.String() + word
	}
	if symbol == "" {
		symbol = "tokens"
	}
	return FormatUnits(units, decimals) + " " + symbol + " (" + units.String() + word + ")"
}
