package evm

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func benchAuthorization() (Authorization, Domain) {
	d := Domain{Name: "USD Coin", Version: "2", ChainID: 84532,
		VerifyingContract: common.HexToAddress("0x036CbD53842c5426634e7929541eC2318f3dCF7e")}
	a := Authorization{
		From:  common.HexToAddress("0x2000000000000000000000000000000000000002"),
		To:    common.HexToAddress("0x000000000000000000000000000000000000B001"),
		Nonce: common.HexToHash("0xa0c451c1a98edcc65f3ca2c3c1c9cd60f7c0c015fcf498317cc23aba40a32472"),
	}
	a.Value.SetUint64(1000)
	a.ValidBefore.SetUint64(1800000000)
	return a, d
}

// BenchmarkEIP712Digest is the digest an exact payment signs: the
// TransferWithAuthorization struct hash and the typed-data digest over a
// precomputed domain separator (what the paywall computes per payment).
func BenchmarkEIP712Digest(b *testing.B) {
	a, d := benchAuthorization()
	sep := d.Separator()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		a.Nonce[0] = byte(i)
		_ = a.Digest(TransferWithAuthorizationTypeHash, sep)
	}
}

// BenchmarkKeccak256 hashes 64 bytes with the pooled Keccak state.
func BenchmarkKeccak256(b *testing.B) {
	var in [64]byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		in[0] = byte(i)
		_ = Keccak256(in[:])
	}
}

// BenchmarkRecoverSigner is ecrecover of a 65-byte signature with the
// malleability checks and the address derivation (libsecp256k1 via cgo).
func BenchmarkRecoverSigner(b *testing.B) {
	key, err := crypto.HexToECDSA("8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba")
	if err != nil {
		b.Fatal(err)
	}
	a, d := benchAuthorization()
	a.From = crypto.PubkeyToAddress(key.PublicKey)
	sig, err := SignAuthorization(key, TransferWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		b.Fatal(err)
	}
	digest := a.Digest(TransferWithAuthorizationTypeHash, d.Separator())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := RecoverSigner(digest, sig)
		if err != nil || got != a.From {
			b.Fatal(got, err)
		}
	}
}
