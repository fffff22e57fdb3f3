package devchain

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/caddy-x402/x402/facilitator/contracts"
)

var usdc = contracts.NewTestUSDC()

// startChain starts a chain for one test and closes it at the end.
func startChain(t *testing.T, opts Options) *Chain {
	t.Helper()
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// auth is an EIP-3009 authorization as the tests build it.
type auth struct {
	From, To                       common.Address
	Value, ValidAfter, ValidBefore *big.Int
	Nonce                          [32]byte
}

func newAuth(from, to common.Address, value int64) auth {
	var nonce [32]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic(err)
	}
	return auth{
		From: from, To: to, Value: big.NewInt(value),
		ValidAfter:  big.NewInt(0),
		ValidBefore: big.NewInt(time.Now().Add(time.Hour).Unix()),
		Nonce:       nonce,
	}
}

func domain(chainID *big.Int, token common.Address) apitypes.TypedDataDomain {
	return apitypes.TypedDataDomain{Name: "USD Coin", Version: "2", ChainId: (*math.HexOrDecimal256)(chainID), VerifyingContract: token.Hex()}
}

var domainType = []apitypes.Type{{Name: "name", Type: "string"}, {Name: "version", Type: "string"}, {Name: "chainId", Type: "uint256"}, {Name: "verifyingContract", Type: "address"}}

// authDigest is the EIP-712 digest of a Transfer- or ReceiveWithAuthorization.
func authDigest(t *testing.T, c *Chain, primary string, a auth) []byte {
	t.Helper()
	fields := []apitypes.Type{{Name: "from", Type: "address"}, {Name: "to", Type: "address"}, {Name: "value", Type: "uint256"},
		{Name: "validAfter", Type: "uint256"}, {Name: "validBefore", Type: "uint256"}, {Name: "nonce", Type: "bytes32"}}
	td := apitypes.TypedData{
		Types:       apitypes.Types{"EIP712Domain": domainType, primary: fields},
		PrimaryType: primary,
		Domain:      domain(c.ChainID, c.Token),
		Message: apitypes.TypedDataMessage{
			"from": a.From.Hex(), "to": a.To.Hex(), "value": a.Value.String(),
			"validAfter": a.ValidAfter.String(), "validBefore": a.ValidBefore.String(), "nonce": hexutil.Encode(a.Nonce[:]),
		},
	}
	digest, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		t.Fatal(err)
	}
	return digest
}

// cancelDigest is the EIP-712 digest of a CancelAuthorization.
func cancelDigest(t *testing.T, c *Chain, authorizer common.Address, nonce [32]byte) []byte {
	t.Helper()
	td := apitypes.TypedData{
		Types: apitypes.Types{"EIP712Domain": domainType, "CancelAuthorization": {
			{Name: "authorizer", Type: "address"}, {Name: "nonce", Type: "bytes32"}}},
		PrimaryType: "CancelAuthorization",
		Domain:      domain(c.ChainID, c.Token),
		Message:     apitypes.TypedDataMessage{"authorizer": authorizer.Hex(), "nonce": hexutil.Encode(nonce[:])},
	}
	digest, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		t.Fatal(err)
	}
	return digest
}

// sign returns the 65-byte r||s||v signature (v = 27 or 28) of digest.
func sign(t *testing.T, key *ecdsa.PrivateKey, digest []byte) []byte {
	t.Helper()
	sig, err := crypto.Sign(digest, key)
	if err != nil {
		t.Fatal(err)
	}
	sig[64] += 27
	return sig
}

func splitSig(sig []byte) (v uint8, r, s [32]byte) {
	copy(r[:], sig[:32])
	copy(s[:], sig[32:64])
	return sig[64], r, s
}

// transact sends data to the token from key and waits for the receipt. Gas
// estimation runs first, so a call that would revert returns the node's
// "execution reverted: <reason>" error without sending anything.
func transact(t *testing.T, c *Chain, key *ecdsa.PrivateKey, data []byte) (*types.Receipt, error) {
	t.Helper()
	ctx := testCtx(t)
	tx, err := bind.Transact(usdc.Instance(c.Client, c.Token), Transactor(ctx, key, c.ChainID), data)
	if err != nil {
		return nil, err
	}
	return WaitSuccess(ctx, c.Client, tx.Hash(), 10*time.Second)
}

// mustRevert asserts err is a revert whose message contains reason.
func mustRevert(t *testing.T, err error, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected a revert with %q, got success", reason)
	}
	if !strings.Contains(err.Error(), "execution reverted") || !strings.Contains(err.Error(), reason) {
		t.Fatalf("expected a revert with %q, got: %v", reason, err)
	}
}

func call[T any](t *testing.T, c *Chain, data []byte, unpack func([]byte) (T, error)) T {
	t.Helper()
	out, err := bind.Call(usdc.Instance(c.Client, c.Token), &bind.CallOpts{Context: testCtx(t)}, data, unpack)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func balance(t *testing.T, c *Chain, owner common.Address) *big.Int {
	t.Helper()
	b, err := c.BalanceOf(testCtx(t), owner)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
