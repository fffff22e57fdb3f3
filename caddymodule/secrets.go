package caddymodule

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/ethereum/go-ethereum/crypto"
)

// The facilitator's private key pays gas (and, for escrow, operates the
// sessions). It reaches the process only at start: from a file readable by
// this user alone, or from a runtime placeholder ({env.VAR}, {file.path}),
// so Caddy's JSON config — served by the admin API at GET /config/ and
// written to autosave.json — holds a reference, never the key. An inline
// key is refused at adapt and provision time unless allow_inline_key says
// otherwise (validate.go); errors here never include the key.

// loadFacilitatorKey reads a hex private key from a placeholder-expanded
// value or a file.
func loadFacilitatorKey(repl *caddy.Replacer, value, file string) (*ecdsa.PrivateKey, error) {
	var raw string
	switch {
	case value != "" && file != "":
		return nil, errors.New("x402 facilitator: set key or key_file, not both")
	case file != "":
		path, err := repl.ReplaceOrErr(file, true, true)
		if err != nil {
			return nil, fmt.Errorf("x402 facilitator key_file: %w", err)
		}
		if err := checkKeyFileMode(path); err != nil {
			return nil, fmt.Errorf("x402 facilitator key_file: %w", err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("x402 facilitator: reading key_file: %w", err)
		}
		raw = string(b)
	default:
		if path, ok := strings.CutPrefix(strings.TrimSpace(value), "{file."); ok {
			if err := checkKeyFileMode(strings.TrimSuffix(path, "}")); err != nil {
				return nil, fmt.Errorf("x402 facilitator key: %w", err)
			}
		}
		v, err := repl.ReplaceOrErr(value, true, true)
		if err != nil {
			return nil, fmt.Errorf("x402 facilitator key: %w (is the environment variable set?)", err)
		}
		raw = v
	}
	raw = strings.TrimPrefix(strings.TrimSpace(raw), "0x")
	k, err := crypto.HexToECDSA(raw)
	if err != nil {
		return nil, errors.New("x402 facilitator: key is not a 32-byte hex private key")
	}
	return k, nil
}
