package devchain

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

const twa = "TransferWithAuthorization"

func TestTransferWithAuthorizationBothOverloads(t *testing.T) {
	c := startChain(t, Options{Accounts: 4})
	payer, payee, relayer := c.Accounts[1], c.Accounts[2], c.Accounts[3]
	start := balance(t, c, payer.Address)

	// (v, r, s) overload, sent by a third party.
	a := newAuth(payer.Address, payee.Address, 10_000)
	v, r, s := splitSig(sign(t, payer.Key, authDigest(t, c, twa, a)))
	rc, err := transact(t, c, relayer.Key, usdc.PackTransferWithAuthorizationVRS(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, v, r, s))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transferWithAuthorization(v,r,s): %d gas", rc.GasUsed)
	// Under the dev config's Bogota fork this costs about 171k; every live
	// chain (Osaka rules) charges about 68k. Fixed gas limits depend on it.
	if rc.GasUsed > 100_000 {
		t.Errorf("transferWithAuthorization used %d gas: is the Bogota fork enabled?", rc.GasUsed)
	}
	checkUsedEvent(t, rc.Logs, c.Token, payer.Address, a.Nonce)
	if !call(t, c, usdc.PackAuthorizationState(payer.Address, a.Nonce), usdc.UnpackAuthorizationState) {
		t.Fatal("authorizationState still false after use")
	}

	// bytes overload.
	b := newAuth(payer.Address, payee.Address, 20_000)
	rc, err = transact(t, c, relayer.Key, usdc.PackTransferWithAuthorizationBytes(b.From, b.To, b.Value, b.ValidAfter, b.ValidBefore, b.Nonce, sign(t, payer.Key, authDigest(t, c, twa, b))))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transferWithAuthorization(bytes): %d gas", rc.GasUsed)

	if got, want := balance(t, c, payer.Address), new(big.Int).Sub(start, big.NewInt(30_000)); got.Cmp(want) != 0 {
		t.Errorf("payer balance %s, want %s", got, want)
	}
	if got, want := balance(t, c, payee.Address), new(big.Int).Add(start, big.NewInt(30_000)); got.Cmp(want) != 0 {
		t.Errorf("payee balance %s, want %s", got, want)
	}

	// Replays revert through either overload.
	_, err = transact(t, c, relayer.Key, usdc.PackTransferWithAuthorizationVRS(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, v, r, s))
	mustRevert(t, err, "FiatTokenV2: authorization is used or canceled")
	_, err = transact(t, c, relayer.Key, usdc.PackTransferWithAuthorizationBytes(b.From, b.To, b.Value, b.ValidAfter, b.ValidBefore, b.Nonce, sign(t, payer.Key, authDigest(t, c, twa, b))))
	mustRevert(t, err, "FiatTokenV2: authorization is used or canceled")

	// A replay forced on chain (fixed gas, no estimate) is mined and fails.
	opts := Transactor(testCtx(t), relayer.Key, c.ChainID)
	opts.GasLimit = 200_000
	tx, err := bind.Transact(usdc.Instance(c.Client, c.Token), opts, usdc.PackTransferWithAuthorizationVRS(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, v, r, s))
	if err != nil {
		t.Fatal(err)
	}
	if rc, err := c.WaitReceipt(testCtx(t), tx.Hash()); err != nil || rc.Status != 0 {
		t.Fatalf("forced replay: receipt %+v, %v", rc, err)
	}
}

func TestAuthorizationRejections(t *testing.T) {
	c := startChain(t, Options{Accounts: 3})
	payer, payee := c.Accounts[1], c.Accounts[2]
	send := func(a auth, sig []byte) error {
		_, err := transact(t, c, payee.Key, usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sig))
		return err
	}

	expired := newAuth(payer.Address, payee.Address, 1)
	expired.ValidBefore = big.NewInt(time.Now().Add(-time.Second).Unix())
	mustRevert(t, send(expired, sign(t, payer.Key, authDigest(t, c, twa, expired))), "FiatTokenV2: authorization is expired")

	early := newAuth(payer.Address, payee.Address, 1)
	early.ValidAfter = big.NewInt(time.Now().Add(time.Hour).Unix())
	mustRevert(t, send(early, sign(t, payer.Key, authDigest(t, c, twa, early))), "FiatTokenV2: authorization is not yet valid")

	wrongKey := newAuth(payer.Address, payee.Address, 1)
	mustRevert(t, send(wrongKey, sign(t, payee.Key, authDigest(t, c, twa, wrongKey))), "FiatTokenV2: invalid signature")

	// Signed as ReceiveWithAuthorization, submitted as a transfer.
	wrongType := newAuth(payer.Address, payee.Address, 1)
	mustRevert(t, send(wrongType, sign(t, payer.Key, authDigest(t, c, "ReceiveWithAuthorization", wrongType))), "FiatTokenV2: invalid signature")

	short := newAuth(payer.Address, payee.Address, 1)
	mustRevert(t, send(short, sign(t, payer.Key, authDigest(t, c, twa, short))[:64]), "FiatTokenV2: invalid signature")

	// More than the balance: OpenZeppelin's ERC20InsufficientBalance(address,uint256,uint256).
	tooMuch := newAuth(payer.Address, payee.Address, 0)
	tooMuch.Value = new(big.Int).Add(balance(t, c, payer.Address), big.NewInt(1))
	err := send(tooMuch, sign(t, payer.Key, authDigest(t, c, twa, tooMuch)))
	sel := crypto.Keccak256([]byte("ERC20InsufficientBalance(address,uint256,uint256)"))[:4]
	if err == nil || !strings.Contains(err.Error(), "execution reverted") {
		t.Fatalf("overdraft: %v", err)
	}
	if de, ok := err.(interface{ ErrorData() any }); !ok || !strings.HasPrefix(de.ErrorData().(string), "0x"+common.Bytes2Hex(sel)) {
		t.Fatalf("overdraft: want ERC20InsufficientBalance data (%x), got %v", sel, err)
	}
}

// TestValidityWindowBoundaries checks the strict comparisons
// block.timestamp > validAfter and block.timestamp < validBefore with calls
// against the latest block, whose timestamp is known.
func TestValidityWindowBoundaries(t *testing.T) {
	c := startChain(t, Options{Accounts: 3})
	payer, payee := c.Accounts[1], c.Accounts[2]
	head, err := c.Client.HeaderByNumber(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := new(big.Int).SetUint64(head.Time)
	one := big.NewInt(1)
	try := func(after, before *big.Int) error {
		a := newAuth(payer.Address, payee.Address, 1)
		a.ValidAfter, a.ValidBefore = after, before
		sig := sign(t, payer.Key, authDigest(t, c, twa, a))
		_, err := usdc.Instance(c.Client, c.Token).CallRaw(&bind.CallOpts{Context: testCtx(t), From: payee.Address},
			usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sig))
		return err
	}
	later := new(big.Int).Add(now, big.NewInt(3600))
	mustRevert(t, try(now, later), "not yet valid")
	if err := try(new(big.Int).Sub(now, one), later); err != nil {
		t.Errorf("validAfter = now-1: %v", err)
	}
	mustRevert(t, try(new(big.Int), now), "expired")
	if err := try(new(big.Int), new(big.Int).Add(now, one)); err != nil {
		t.Errorf("validBefore = now+1: %v", err)
	}

}

func TestReceiveWithAuthorization(t *testing.T) {
	c := startChain(t, Options{Accounts: 4})
	payer, payee, other := c.Accounts[1], c.Accounts[2], c.Accounts[3]
	const rwa = "ReceiveWithAuthorization"

	a := newAuth(payer.Address, payee.Address, 7)
	sig := sign(t, payer.Key, authDigest(t, c, rwa, a))
	v, r, s := splitSig(sig)
	_, err := transact(t, c, other.Key, usdc.PackReceiveWithAuthorizationVRS(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, v, r, s))
	mustRevert(t, err, "FiatTokenV2: caller must be the payee")
	_, err = transact(t, c, other.Key, usdc.PackReceiveWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sig))
	mustRevert(t, err, "FiatTokenV2: caller must be the payee")

	before := balance(t, c, payee.Address)
	if _, err := transact(t, c, payee.Key, usdc.PackReceiveWithAuthorizationVRS(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, v, r, s)); err != nil {
		t.Fatal(err)
	}
	b := newAuth(payer.Address, payee.Address, 8)
	if _, err := transact(t, c, payee.Key, usdc.PackReceiveWithAuthorizationBytes(b.From, b.To, b.Value, b.ValidAfter, b.ValidBefore, b.Nonce, sign(t, payer.Key, authDigest(t, c, rwa, b)))); err != nil {
		t.Fatal(err)
	}
	if got := new(big.Int).Sub(balance(t, c, payee.Address), before); got.Int64() != 15 {
		t.Fatalf("payee received %s", got)
	}
	// A transfer signature does not pass as a receive one.
	w := newAuth(payer.Address, payee.Address, 1)
	_, err = transact(t, c, payee.Key, usdc.PackReceiveWithAuthorizationBytes(w.From, w.To, w.Value, w.ValidAfter, w.ValidBefore, w.Nonce, sign(t, payer.Key, authDigest(t, c, twa, w))))
	mustRevert(t, err, "FiatTokenV2: invalid signature")
}

func TestCancelAuthorization(t *testing.T) {
	c := startChain(t, Options{Accounts: 3})
	payer, payee := c.Accounts[1], c.Accounts[2]

	for _, form := range []string{"vrs", "bytes"} {
		a := newAuth(payer.Address, payee.Address, 1)
		cancelSig := sign(t, payer.Key, cancelDigest(t, c, payer.Address, a.Nonce))
		var data []byte
		if form == "vrs" {
			v, r, s := splitSig(cancelSig)
			data = usdc.PackCancelAuthorizationVRS(payer.Address, a.Nonce, v, r, s)
		} else {
			data = usdc.PackCancelAuthorizationBytes(payer.Address, a.Nonce, cancelSig)
		}
		// Only the authorizer's signature cancels.
		_, err := transact(t, c, payee.Key, usdc.PackCancelAuthorizationBytes(payer.Address, a.Nonce, sign(t, payee.Key, cancelDigest(t, c, payer.Address, a.Nonce))))
		mustRevert(t, err, "FiatTokenV2: invalid signature")

		rc, err := transact(t, c, payee.Key, data)
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		ev, err := usdc.UnpackAuthorizationCanceledEvent(rc.Logs[0])
		if err != nil || ev.Authorizer != payer.Address || ev.Nonce != a.Nonce {
			t.Fatalf("%s: AuthorizationCanceled %+v, %v", form, ev, err)
		}
		if !call(t, c, usdc.PackAuthorizationState(payer.Address, a.Nonce), usdc.UnpackAuthorizationState) {
			t.Fatalf("%s: authorizationState false after cancel", form)
		}
		_, err = transact(t, c, payee.Key, usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sign(t, payer.Key, authDigest(t, c, twa, a))))
		mustRevert(t, err, "FiatTokenV2: authorization is used or canceled")
		_, err = transact(t, c, payee.Key, data)
		mustRevert(t, err, "FiatTokenV2: authorization is used or canceled")
	}
}

func TestERC1271WalletPayer(t *testing.T) {
	c := startChain(t, Options{Accounts: 4})
	owner, payee, relayer := c.Accounts[1], c.Accounts[2], c.Accounts[3]
	ctx := testCtx(t)
	wallet, err := DeployWallet1271(ctx, c.Client, c.Deployer.Key, c.ChainID, owner.Address)
	if err != nil {
		t.Fatal(err)
	}
	if err := Mint(ctx, c.Client, c.Deployer.Key, c.ChainID, c.Token, big.NewInt(1_000_000), wallet); err != nil {
		t.Fatal(err)
	}

	a := newAuth(wallet, payee.Address, 250_000)
	sig := sign(t, owner.Key, authDigest(t, c, twa, a))
	// A stranger's signature is refused by the wallet.
	_, err = transact(t, c, relayer.Key, usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sign(t, relayer.Key, authDigest(t, c, twa, a))))
	mustRevert(t, err, "FiatTokenV2: invalid signature")

	rc, err := transact(t, c, relayer.Key, usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sig))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transferWithAuthorization(bytes) from an ERC-1271 wallet: %d gas", rc.GasUsed)
	checkUsedEvent(t, rc.Logs, c.Token, wallet, a.Nonce)
	if b := balance(t, c, wallet); b.Int64() != 750_000 {
		t.Fatalf("wallet balance %s", b)
	}
	// As on FiatToken v2.2, the (v, r, s) form reaches ERC-1271 too.
	b := newAuth(wallet, payee.Address, 1)
	v, r, s := splitSig(sign(t, owner.Key, authDigest(t, c, twa, b)))
	if _, err := transact(t, c, relayer.Key, usdc.PackTransferWithAuthorizationVRS(b.From, b.To, b.Value, b.ValidAfter, b.ValidBefore, b.Nonce, v, r, s)); err != nil {
		t.Fatal(err)
	}
}

// checkUsedEvent finds AuthorizationUsed(authorizer, nonce) among logs.
func checkUsedEvent(t *testing.T, logs []*types.Log, token, authorizer common.Address, nonce [32]byte) {
	t.Helper()
	for _, l := range logs {
		if l.Address != token {
			continue
		}
		if ev, err := usdc.UnpackAuthorizationUsedEvent(l); err == nil && ev.Authorizer == authorizer && ev.Nonce == nonce {
			return
		}
	}
	t.Fatalf("no AuthorizationUsed(%s, %x) in %d logs", authorizer.Hex(), nonce, len(logs))
}
