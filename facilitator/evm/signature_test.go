package evm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

func TestRecoverSigner(t *testing.T) {
	key, _ := crypto.GenerateKey()
	want := crypto.PubkeyToAddress(key.PublicKey)
	d := Domain{Name: "USD Coin", Version: "2", ChainID: 1337, VerifyingContract: common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")}
	a := Authorization{From: want, To: common.HexToAddress("0x01")}
	a.Value.SetUint64(10000)
	sig, err := SignAuthorization(key, TransferWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		t.Fatal(err)
	}
	digest := a.Digest(TransferWithAuthorizationTypeHash, d.Separator())
	got, err := RecoverSigner(digest, sig)
	if err != nil || got != want {
		t.Fatalf("recovered %s, %v; want %s", got, err, want)
	}
	// v as 0/1 is accepted too.
	low := bytes.Clone(sig)
	low[64] -= 27
	if got, err := RecoverSigner(digest, low); err != nil || got != want {
		t.Fatalf("v=0/1: recovered %s, %v", got, err)
	}
	// A different digest recovers a different address.
	other := digest
	other[0] ^= 1
	if got, _ := RecoverSigner(other, sig); got == want {
		t.Fatal("tampered digest recovered the signer")
	}
	// High-s twin of a valid signature is rejected (EIP-2).
	var s uint256.Int
	s.SetBytes32(sig[32:64])
	s.Sub(secp256k1N, &s)
	high := bytes.Clone(sig)
	b := s.Bytes32()
	copy(high[32:64], b[:])
	high[64] ^= 1
	if _, err := RecoverSigner(digest, high); !errors.Is(err, ErrSignatureValues) {
		t.Fatalf("high-s: err = %v, want ErrSignatureValues", err)
	}
	for name, bad := range map[string][]byte{
		"short":  sig[:64],
		"v=29":   append(bytes.Clone(sig[:64]), 29),
		"zero r": append(make([]byte, 32), sig[32:]...),
		"r=n":    append(append(secp256k1N.PaddedBytes(32), sig[32:64]...), sig[64]),
		"zero s": append(append(bytes.Clone(sig[:32]), make([]byte, 32)...), sig[64]),
	} {
		if _, err := RecoverSigner(digest, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestUnwrap6492(t *testing.T) {
	factory := common.HexToAddress("0x00000000000000000000000000000000000000fa")
	calldata := []byte{1, 2, 3, 4, 5}
	inner := bytes.Repeat([]byte{7}, 65)
	wrapped := encode6492(factory, calldata, inner)
	f, c, in, ok, err := Unwrap6492(wrapped)
	if err != nil || !ok || f != factory || !bytes.Equal(c, calldata) || !bytes.Equal(in, inner) {
		t.Fatalf("unwrap = %s %x %x %v %v", f, c, in, ok, err)
	}
	if _, _, in, ok, err := Unwrap6492(inner); ok || err != nil || !bytes.Equal(in, inner) {
		t.Fatal("plain signature reported as wrapped")
	}
	// Truncated or lying offsets never panic and are rejected.
	for i := 32; i < len(wrapped)-32; i += 7 {
		broken := append(bytes.Clone(wrapped[:i]), erc6492Magic...)
		if _, _, _, ok, err := Unwrap6492(broken); ok && err == nil && i < 3*32 {
			t.Fatalf("truncated at %d accepted", i)
		}
	}
	lying := bytes.Clone(wrapped)
	lying[63] = 0xff // calldata offset points past the end
	if _, _, _, _, err := Unwrap6492(lying); !errors.Is(err, ErrSignature6492) {
		t.Fatalf("lying offset: %v", err)
	}
}

func encode6492(factory common.Address, calldata, inner []byte) []byte {
	word := func(n int) []byte { b := make([]byte, 32); b[31] = byte(n); b[30] = byte(n >> 8); return b }
	pad := func(b []byte) []byte { return append(bytes.Clone(b), make([]byte, (32-len(b)%32)%32)...) }
	out := append(make([]byte, 12), factory[:]...)
	out = append(out, word(96)...)
	off2 := 96 + 32 + len(pad(calldata))
	out = append(out, word(off2)...)
	out = append(out, word(len(calldata))...)
	out = append(out, pad(calldata)...)
	out = append(out, word(len(inner))...)
	out = append(out, pad(inner)...)
	return append(out, erc6492Magic...)
}

func TestDecodeHexBytes(t *testing.T) {
	if b, err := DecodeHexBytes("0x"+hex.EncodeToString([]byte{1, 2}), 10); err != nil || !bytes.Equal(b, []byte{1, 2}) {
		t.Fatal(b, err)
	}
	for _, s := range []string{"", "0x1", "0102", "0xzz", "0x" + hex.EncodeToString(make([]byte, 11))} {
		if _, err := DecodeHexBytes(s, 10); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
