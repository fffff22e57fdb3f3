package evm

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// tokenABI is the part of the USDC (FiatToken v2.2) interface the schemes
// call: ERC-3009 in both signature forms, the reads used to diagnose a
// failed payment, and ERC-1271 for contract wallets.
const tokenABI = `[
{"type":"function","name":"transferWithAuthorization","stateMutability":"nonpayable","inputs":[{"name":"from","type":"address"},{"name":"to","type":"address"},{"name":"value","type":"uint256"},{"name":"validAfter","type":"uint256"},{"name":"validBefore","type":"uint256"},{"name":"nonce","type":"bytes32"},{"name":"v","type":"uint8"},{"name":"r","type":"bytes32"},{"name":"s","type":"bytes32"}],"outputs":[]},
{"type":"function","name":"transferWithAuthorizationBytes","stateMutability":"nonpayable","inputs":[{"name":"from","type":"address"},{"name":"to","type":"address"},{"name":"value","type":"uint256"},{"name":"validAfter","type":"uint256"},{"name":"validBefore","type":"uint256"},{"name":"nonce","type":"bytes32"},{"name":"signature","type":"bytes"}],"outputs":[]},
{"type":"function","name":"authorizationState","stateMutability":"view","inputs":[{"name":"authorizer","type":"address"},{"name":"nonce","type":"bytes32"}],"outputs":[{"name":"","type":"bool"}]},
{"type":"function","name":"balanceOf","stateMutability":"view","inputs":[{"name":"account","type":"address"}],"outputs":[{"name":"","type":"uint256"}]},
{"type":"function","name":"name","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"string"}]},
{"type":"function","name":"version","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"string"}]},
{"type":"function","name":"DOMAIN_SEPARATOR","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"bytes32"}]},
{"type":"function","name":"isValidSignature","stateMutability":"view","inputs":[{"name":"hash","type":"bytes32"},{"name":"signature","type":"bytes"}],"outputs":[{"name":"","type":"bytes4"}]},
{"type":"event","name":"Transfer","anonymous":false,"inputs":[{"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},{"name":"value","type":"uint256","indexed":false}]},
{"type":"event","name":"AuthorizationUsed","anonymous":false,"inputs":[{"name":"authorizer","type":"address","indexed":true},{"name":"nonce","type":"bytes32","indexed":true}]}
]`

var token = func() abi.ABI {
	a, err := abi.JSON(strings.NewReader(tokenABI))
	if err != nil {
		panic(err)
	}
	// The bytes-signature overload shares the Solidity name; give it the
	// real selector of transferWithAuthorization(...,bytes).
	m := a.Methods["transferWithAuthorizationBytes"]
	id := Keccak256([]byte("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"))
	m.ID = id[:4]
	a.Methods["transferWithAuthorizationBytes"] = m
	return a
}()

// Event topics.
var (
	TransferTopic          = common.Hash(Keccak256([]byte("Transfer(address,address,uint256)")))
	AuthorizationUsedTopic = common.Hash(Keccak256([]byte("AuthorizationUsed(address,bytes32)")))
)

// erc1271Magic is the value isValidSignature returns for a valid signature.
var erc1271Magic = [4]byte{0x16, 0x26, 0xba, 0x7e}

// PackTransferWithAuthorization returns calldata for transferWithAuthorization:
// the (v, r, s) overload for a 65-byte signature, the `bytes signature`
// overload (FiatToken v2.2) for anything else (ERC-1271/6492 wallets).
func PackTransferWithAuthorization(a *Authorization, sig []byte) ([]byte, error) {
	from, to := a.From, a.To
	value, after, before := a.Value.ToBig(), a.ValidAfter.ToBig(), a.ValidBefore.ToBig()
	if len(sig) == 65 {
		var r, s [32]byte
		copy(r[:], sig[:32])
		copy(s[:], sig[32:64])
		v := sig[64]
		if v < 27 {
			v += 27
		}
		return token.Pack("transferWithAuthorization", from, to, value, after, before, a.Nonce, v, r, s)
	}
	return PackTransferWithAuthorizationBytes(a, sig)
}

// PackTransferWithAuthorizationBytes returns calldata for the `bytes
// signature` overload whatever the signature's length. Contract wallets
// need it: the token hands the bytes to the wallet's isValidSignature as
// they are, whereas the (v, r, s) overload repacks them.
func PackTransferWithAuthorizationBytes(a *Authorization, sig []byte) ([]byte, error) {
	return token.Pack("transferWithAuthorizationBytes", a.From, a.To, a.Value.ToBig(), a.ValidAfter.ToBig(), a.ValidBefore.ToBig(), a.Nonce, sig)
}

// AuthorizationState reads authorizationState(authorizer, nonce) on asset.
func AuthorizationState(ctx context.Context, b Backend, asset, authorizer common.Address, nonce [32]byte) (bool, error) {
	var used bool
	err := callUnpack(ctx, b, asset, "authorizationState", &used, authorizer, nonce)
	return used, err
}

// BalanceOf reads the token balance of account.
func BalanceOf(ctx context.Context, b Backend, asset, account common.Address) (*uint256.Int, error) {
	var bal *big.Int
	if err := callUnpack(ctx, b, asset, "balanceOf", &bal, account); err != nil {
		return nil, err
	}
	v, overflow := uint256.FromBig(bal)
	if overflow {
		return nil, fmt.Errorf("balanceOf returned more than 256 bits")
	}
	return v, nil
}

// TokenName reads name().
func TokenName(ctx context.Context, b Backend, asset common.Address) (string, error) {
	var s string
	return s, callUnpack(ctx, b, asset, "name", &s)
}

// TokenVersion reads version().
func TokenVersion(ctx context.Context, b Backend, asset common.Address) (string, error) {
	var s string
	return s, callUnpack(ctx, b, asset, "version", &s)
}

// DomainSeparatorOf reads DOMAIN_SEPARATOR() from the token.
func DomainSeparatorOf(ctx context.Context, b Backend, asset common.Address) ([32]byte, error) {
	var s [32]byte
	return s, callUnpack(ctx, b, asset, "DOMAIN_SEPARATOR", &s)
}

// IsValidSignature1271 asks a contract wallet whether sig is its signature
// over digest (ERC-1271). A revert or any answer other than the magic value
// means no.
func IsValidSignature1271(ctx context.Context, b Backend, wallet common.Address, digest [32]byte, sig []byte) (bool, error) {
	data, err := token.Pack("isValidSignature", digest, sig)
	if err != nil {
		return false, err
	}
	out, err := Call(ctx, b, common.Address{}, wallet, data)
	if err != nil {
		if _, ok := err.(*RevertError); ok {
			return false, nil
		}
		return false, fmt.Errorf("calling isValidSignature on %s: %w", wallet.Hex(), err)
	}
	return len(out) >= 4 && [4]byte(out[:4]) == erc1271Magic, nil
}

func callUnpack(ctx context.Context, b Backend, to common.Address, method string, out any, args ...any) error {
	data, err := token.Pack(method, args...)
	if err != nil {
		return fmt.Errorf("packing %s: %w", method, err)
	}
	ret, err := Call(ctx, b, common.Address{}, to, data)
	if err != nil {
		return fmt.Errorf("calling %s on %s: %w", method, to.Hex(), err)
	}
	if err := token.UnpackIntoInterface(out, method, ret); err != nil {
		return fmt.Errorf("decoding %s from %s: %w", method, to.Hex(), err)
	}
	return nil
}
