// Package evm holds the EVM pieces the x402 schemes share: EIP-712 hashing of
// ERC-3009 authorizations, signature recovery (ECDSA, ERC-1271, ERC-6492
// unwrapping), payment signing for clients, contract calls packed by hand,
// the transaction sender with its nonce manager, and receipt polling.
//
// The hashing and recovery functions are on the paywall's hot path: they use
// fixed-size arrays and pooled Keccak states, and make no network calls.
package evm

import (
	"encoding/binary"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// keccakBuf is a pooled Keccak state with scratch space. Input and output
// go through the scratch buffers because the state is an interface: handing
// it the caller's slices would make them escape to the heap (an allocation
// per hash for the result, one per caller for its input buffer).
type keccakBuf struct {
	k   crypto.KeccakState
	in  [256]byte
	out [32]byte
}

var keccakPool = sync.Pool{New: func() any { return &keccakBuf{k: crypto.NewKeccakState()} }}

// Keccak256 hashes the concatenation of parts with a pooled Keccak state.
func Keccak256(parts ...[]byte) (h [32]byte) {
	b := keccakPool.Get().(*keccakBuf)
	b.k.Reset()
	for _, p := range parts {
		for len(p) > 0 {
			n := copy(b.in[:], p)
			b.k.Write(b.in[:n])
			p = p[n:]
		}
	}
	b.k.Read(b.out[:])
	h = b.out
	keccakPool.Put(b)
	return h
}

// EIP-712 type hashes.
var (
	domainTypeHash = Keccak256([]byte("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"))

	// TransferWithAuthorizationTypeHash is the ERC-3009 type signed by exact payments.
	TransferWithAuthorizationTypeHash = Keccak256([]byte("TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"))
	// ReceiveWithAuthorizationTypeHash is the ERC-3009 type signed for escrow deposits.
	ReceiveWithAuthorizationTypeHash = Keccak256([]byte("ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"))
	// CancelAuthorizationTypeHash is the ERC-3009 cancellation type.
	CancelAuthorizationTypeHash = Keccak256([]byte("CancelAuthorization(address authorizer,bytes32 nonce)"))
)

// Domain is an EIP-712 domain of the form {name, version, chainId,
// verifyingContract}, the one USDC and our test token use.
type Domain struct {
	Name              string
	Version           string
	ChainID           uint64
	VerifyingContract common.Address
}

// Separator returns the EIP-712 domain separator.
func (d *Domain) Separator() [32]byte {
	var buf [5 * 32]byte
	copy(buf[0:32], domainTypeHash[:])
	nameHash := Keccak256([]byte(d.Name))
	copy(buf[32:64], nameHash[:])
	versionHash := Keccak256([]byte(d.Version))
	copy(buf[64:96], versionHash[:])
	binary.BigEndian.PutUint64(buf[120:128], d.ChainID)
	copy(buf[160-20:160], d.VerifyingContract[:])
	return Keccak256(buf[:])
}

// Authorization is a parsed ERC-3009 authorization (the signed message of
// TransferWithAuthorization and ReceiveWithAuthorization).
type Authorization struct {
	From        common.Address
	To          common.Address
	Value       uint256.Int
	ValidAfter  uint256.Int
	ValidBefore uint256.Int
	Nonce       [32]byte
}

// StructHash returns the EIP-712 struct hash of a under the given type hash
// (TransferWithAuthorizationTypeHash or ReceiveWithAuthorizationTypeHash).
func (a *Authorization) StructHash(typeHash [32]byte) [32]byte {
	var buf [7 * 32]byte
	copy(buf[0:32], typeHash[:])
	copy(buf[64-20:64], a.From[:])
	copy(buf[96-20:96], a.To[:])
	a.Value.PutUint256(buf[96:128])
	a.ValidAfter.PutUint256(buf[128:160])
	a.ValidBefore.PutUint256(buf[160:192])
	copy(buf[192:224], a.Nonce[:])
	return Keccak256(buf[:])
}

// TypedDataDigest returns keccak256(0x19 0x01 ‖ domainSeparator ‖ structHash),
// the digest an EIP-712 signature signs.
func TypedDataDigest(domainSeparator, structHash [32]byte) [32]byte {
	var buf [2 + 64]byte
	buf[0], buf[1] = 0x19, 0x01
	copy(buf[2:34], domainSeparator[:])
	copy(buf[34:66], structHash[:])
	return Keccak256(buf[:])
}

// Digest returns the EIP-712 digest of a under the given type hash and domain separator.
func (a *Authorization) Digest(typeHash, domainSeparator [32]byte) [32]byte {
	return TypedDataDigest(domainSeparator, a.StructHash(typeHash))
}

// Selector returns the 4-byte selector of a function or error signature such
// as "transfer(address,uint256)".
func Selector(signature string) [4]byte {
	h := Keccak256([]byte(signature))
	return [4]byte(h[:4])
}
