package evm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// MaxSignatureBytes caps a decoded signature (ERC-6492 wrappers carry
// factory calldata, but not kilobytes of it).
const MaxSignatureBytes = 4096

// erc6492Magic ends an ERC-6492 wrapped signature.
var erc6492Magic = bytes.Repeat([]byte{0x64, 0x92}, 16)

// Signature errors.
var (
	ErrSignatureHex    = errors.New("signature is not 0x-prefixed hex")
	ErrSignatureLength = errors.New("signature has the wrong length")
	ErrSignatureValues = errors.New("signature r, s or v out of range")
	ErrSignature6492   = errors.New("malformed ERC-6492 signature wrapper")
)

var (
	secp256k1N     = uint256.MustFromHex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
	secp256k1HalfN = new(uint256.Int).Rsh(secp256k1N, 1)
)

// DecodeHexBytes decodes a 0x-prefixed hex string of at most max bytes.
func DecodeHexBytes(s string, max int) ([]byte, error) {
	if len(s) < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || len(s)%2 != 0 {
		return nil, ErrSignatureHex
	}
	if (len(s)-2)/2 > max {
		return nil, ErrSignatureLength
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, ErrSignatureHex
	}
	return b, nil
}

// Unwrap6492 splits an ERC-6492 signature abi.encode(address factory, bytes
// factoryCalldata, bytes innerSig) ‖ magic. wrapped is false (and inner is
// sig) when sig does not end with the magic suffix.
func Unwrap6492(sig []byte) (factory common.Address, calldata, inner []byte, wrapped bool, err error) {
	if len(sig) < 32 || !bytes.Equal(sig[len(sig)-32:], erc6492Magic) {
		return common.Address{}, nil, sig, false, nil
	}
	body := sig[:len(sig)-32]
	if len(body) < 3*32 {
		return common.Address{}, nil, nil, true, ErrSignature6492
	}
	if !allZero(body[:12]) {
		return common.Address{}, nil, nil, true, ErrSignature6492
	}
	copy(factory[:], body[12:32])
	calldata, err = abiBytesAt(body, 32)
	if err != nil {
		return common.Address{}, nil, nil, true, err
	}
	inner, err = abiBytesAt(body, 64)
	if err != nil {
		return common.Address{}, nil, nil, true, err
	}
	return factory, calldata, inner, true, nil
}

// abiBytesAt reads a dynamic `bytes` whose offset word is at body[head:head+32].
func abiBytesAt(body []byte, head int) ([]byte, error) {
	off, ok := smallWord(body[head : head+32])
	if !ok || off+32 > uint64(len(body)) {
		return nil, ErrSignature6492
	}
	n, ok := smallWord(body[off : off+32])
	if !ok || off+32+n > uint64(len(body)) {
		return nil, ErrSignature6492
	}
	return body[off+32 : off+32+n], nil
}

func smallWord(w []byte) (uint64, bool) {
	if !allZero(w[:24]) {
		return 0, false
	}
	var v uint64
	for _, c := range w[24:] {
		v = v<<8 | uint64(c)
	}
	return v, v < 1<<32
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// RecoverSigner returns the address whose key produced the 65-byte
// r ‖ s ‖ v signature over digest. v may be 27/28 or 0/1. Signatures with a
// high s, or r/s out of range, are rejected as the token contracts reject
// them (EIP-2 malleability).
func RecoverSigner(digest [32]byte, sig []byte) (common.Address, error) {
	if len(sig) != 65 {
		return common.Address{}, ErrSignatureLength
	}
	var rs [65]byte
	copy(rs[:], sig)
	switch v := rs[64]; v {
	case 27, 28:
		rs[64] = v - 27
	case 0, 1:
	default:
		return common.Address{}, ErrSignatureValues
	}
	var r, s uint256.Int
	r.SetBytes32(rs[0:32])
	s.SetBytes32(rs[32:64])
	if r.IsZero() || s.IsZero() || !r.Lt(secp256k1N) || s.Gt(secp256k1HalfN) {
		return common.Address{}, ErrSignatureValues
	}
	pub, err := crypto.Ecrecover(digest[:], rs[:])
	if err != nil {
		return common.Address{}, fmt.Errorf("recovering signer: %w", err)
	}
	h := Keccak256(pub[1:])
	var addr common.Address
	copy(addr[:], h[12:])
	return addr, nil
}
