package cli

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/ethereum/go-ethereum/crypto"
)

// maxDevAccount bounds --dev-account and --count.
const maxDevAccount = 1000

// loadKey returns the signing key of --dev-account or --key-file (exactly
// one of them). Errors never contain key material.
func loadKey(devAccount int, keyFile string, warn io.Writer) (*ecdsa.PrivateKey, error) {
	switch {
	case devAccount >= 0 && keyFile != "":
		return nil, errors.New("--dev-account and --key-file exclude each other")
	case keyFile != "":
		return loadKeyFile(keyFile, warn)
	case devAccount >= maxDevAccount:
		return nil, fmt.Errorf("--dev-account %d: at most %d", devAccount, maxDevAccount-1)
	case devAccount >= 0:
		accounts, err := devchain.DevAccounts(devAccount + 1)
		if err != nil {
			return nil, fmt.Errorf("--dev-account %d: %w", devAccount, err)
		}
		return accounts[devAccount].Key, nil
	default:
		return nil, errors.New("a payer is required: --dev-account N (embedded dev chain) or --key-file FILE")
	}
}

// loadKeyFile reads a hex private key (0x optional, surrounding whitespace
// ignored). A file readable by group or others gets a warning.
func loadKeyFile(path string, warn io.Writer) (*ecdsa.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--key-file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "warning: key file %s is readable by group or others (mode %#o); chmod 600 it\n", path, st.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("--key-file %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("--key-file %s: not a 32-byte hex private key", path)
	}
	key, err := crypto.ToECDSA(raw)
	if err != nil {
		return nil, fmt.Errorf("--key-file %s: not a valid secp256k1 private key", path)
	}
	return key, nil
}
