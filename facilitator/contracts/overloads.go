package contracts

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// PackTransferWithAuthorizationVRS packs transferWithAuthorization with the
// signature split into v, r and s (selector 0xe3ee160e).
func (c *TestUSDC) PackTransferWithAuthorizationVRS(from, to common.Address, value, validAfter, validBefore *big.Int, nonce [32]byte, v uint8, r, s [32]byte) []byte {
	return c.PackTransferWithAuthorization0(from, to, value, validAfter, validBefore, nonce, v, r, s)
}

// PackTransferWithAuthorizationBytes packs transferWithAuthorization with a
// bytes signature: 65-byte ECDSA or anything an ERC-1271 payer accepts
// (selector 0xcf092995).
func (c *TestUSDC) PackTransferWithAuthorizationBytes(from, to common.Address, value, validAfter, validBefore *big.Int, nonce [32]byte, signature []byte) []byte {
	return c.PackTransferWithAuthorization(from, to, value, validAfter, validBefore, nonce, signature)
}

// PackReceiveWithAuthorizationVRS packs receiveWithAuthorization with the
// signature split into v, r and s (selector 0xef55bec6). The transaction must
// be sent by the payee, to.
func (c *TestUSDC) PackReceiveWithAuthorizationVRS(from, to common.Address, value, validAfter, validBefore *big.Int, nonce [32]byte, v uint8, r, s [32]byte) []byte {
	return c.PackReceiveWithAuthorization0(from, to, value, validAfter, validBefore, nonce, v, r, s)
}

// PackReceiveWithAuthorizationBytes packs receiveWithAuthorization with a
// bytes signature (selector 0x88b7ab63). The transaction must be sent by the
// payee, to.
func (c *TestUSDC) PackReceiveWithAuthorizationBytes(from, to common.Address, value, validAfter, validBefore *big.Int, nonce [32]byte, signature []byte) []byte {
	return c.PackReceiveWithAuthorization(from, to, value, validAfter, validBefore, nonce, signature)
}

// PackCancelAuthorizationVRS packs cancelAuthorization with the signature
// split into v, r and s (selector 0x5a049a70).
func (c *TestUSDC) PackCancelAuthorizationVRS(authorizer common.Address, nonce [32]byte, v uint8, r, s [32]byte) []byte {
	return c.PackCancelAuthorization(authorizer, nonce, v, r, s)
}

// PackCancelAuthorizationBytes packs cancelAuthorization with a bytes
// signature (selector 0xb7b72899).
func (c *TestUSDC) PackCancelAuthorizationBytes(authorizer common.Address, nonce [32]byte, signature []byte) []byte {
	return c.PackCancelAuthorization0(authorizer, nonce, signature)
}
