package evm_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
)

var usdc = contracts.NewTestUSDC()

func startChain(t *testing.T, accounts int) (*devchain.Chain, context.Context) {
	t.Helper()
	c, err := devchain.Start(devchain.Options{Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c, ctx
}

var devDomain = evm.Domain{Name: "USD Coin", Version: "2", VerifyingContract: devchain.DevTokenAddress}

// signedTransfer returns transferWithAuthorization calldata moving value
// from payer to payee, signed by signer (the payer itself, or a wallet's owner).
func signedTransfer(t *testing.T, c *devchain.Chain, signer *ecdsa.PrivateKey, from, to common.Address, value uint64) []byte {
	t.Helper()
	return signedTransferOn(t, c.ChainID.Uint64(), signer, from, to, value)
}

// signedTransferOn is signedTransfer for TestUSDC at DevTokenAddress on any
// chain.
func signedTransferOn(t *testing.T, chainID uint64, signer *ecdsa.PrivateKey, from, to common.Address, value uint64) []byte {
	t.Helper()
	d := devDomain
	d.ChainID = chainID
	a := evm.Authorization{From: from, To: to}
	a.Value.SetUint64(value)
	a.ValidBefore.SetUint64(uint64(time.Now().Add(time.Hour).Unix()))
	if _, err := rand.Read(a.Nonce[:]); err != nil {
		t.Fatal(err)
	}
	sig, err := evm.SignAuthorization(signer, evm.TransferWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		t.Fatal(err)
	}
	data, err := evm.PackTransferWithAuthorization(&a, sig)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSenderConcurrentNonces sends 40 transactions from one key through one
// Sender from 40 goroutines: all are accepted without a nonce error, use the
// nonces n..n+39 exactly once and are mined successfully.
func TestSenderConcurrentNonces(t *testing.T) {
	const n = 40
	c, ctx := startChain(t, 3)
	relayer, payer, payee := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	s := evm.NewSender(c.Client, relayer.Key, c.ChainID)
	if s.Address() != relayer.Address {
		t.Fatalf("sender address %s, want %s", s.Address(), relayer.Address)
	}
	start, err := c.Client.NonceAt(ctx, relayer.Address, nil)
	if err != nil {
		t.Fatal(err)
	}
	txs := make([]*types.Transaction, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		data := signedTransfer(t, c, payer.Key, payer.Address, payee.Address, uint64(i+1))
		wg.Add(1)
		go func() { defer wg.Done(); txs[i], errs[i] = s.Send(ctx, c.Token, data) }()
	}
	wg.Wait()
	used := map[uint64]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("send %d: %v", i, errs[i])
		}
		if used[txs[i].Nonce()] {
			t.Fatalf("nonce %d used twice", txs[i].Nonce())
		}
		used[txs[i].Nonce()] = true
	}
	for i := range uint64(n) {
		if !used[start+i] {
			t.Fatalf("nonce %d skipped", start+i)
		}
	}
	for i, tx := range txs {
		r, err := s.WaitReceipt(ctx, tx.Hash())
		if err != nil || r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("transaction %d: %+v, %v", i, r, err)
		}
	}
}

// TestSenderResyncsAfterForeignUse: another program sends from the same key
// behind the Sender's back; the Sender's next transaction hits "nonce too
// low", resynchronises once and goes through.
func TestSenderResyncsAfterForeignUse(t *testing.T) {
	c, ctx := startChain(t, 3)
	relayer, payer, payee := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	s := evm.NewSender(c.Client, relayer.Key, c.ChainID)
	first, err := s.Send(ctx, c.Token, signedTransfer(t, c, payer.Key, payer.Address, payee.Address, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitReceipt(ctx, first.Hash()); err != nil {
		t.Fatal(err)
	}
	if err := devchain.Fund(ctx, c.Client, relayer.Key, c.ChainID, big.NewInt(1), payee.Address); err != nil {
		t.Fatal(err)
	}
	second, err := s.Send(ctx, c.Token, signedTransfer(t, c, payer.Key, payer.Address, payee.Address, 2))
	if err != nil {
		t.Fatalf("send after foreign use of the key: %v", err)
	}
	if second.Nonce() != first.Nonce()+2 {
		t.Fatalf("nonce %d, want %d", second.Nonce(), first.Nonce()+2)
	}
	if r, err := s.WaitReceipt(ctx, second.Hash()); err != nil || r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("second transaction: %+v, %v", r, err)
	}
}

// TestRevertsAreTypedAndNotBroadcast: a call that would revert comes back
// from Send and Call as *RevertError with FiatToken's reason or
// OpenZeppelin's custom error selector, and nothing is broadcast.
func TestRevertsAreTypedAndNotBroadcast(t *testing.T) {
	c, ctx := startChain(t, 3)
	relayer, payer, payee := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	s := evm.NewSender(c.Client, relayer.Key, c.ChainID)
	before, err := c.Client.PendingNonceAt(ctx, relayer.Address)
	if err != nil {
		t.Fatal(err)
	}
	wrongSigner := signedTransfer(t, c, payee.Key, payer.Address, payee.Address, 1)
	overdraft := signedTransfer(t, c, payer.Key, payer.Address, payee.Address, 2_000_000_000_000)
	for _, tc := range []struct {
		name, reason string
		data         []byte
		selector     [4]byte
	}{
		{"wrong signer", "FiatTokenV2: invalid signature", wrongSigner, evm.Selector("Error(string)")},
		{"overdraft", "", overdraft, evm.Selector("ERC20InsufficientBalance(address,uint256,uint256)")},
	} {
		_, sendErr := s.Send(ctx, c.Token, tc.data)
		_, callErr := evm.Call(ctx, c.Client, relayer.Address, c.Token, tc.data)
		for name, err := range map[string]error{"Send": sendErr, "Call": callErr} {
			var re *evm.RevertError
			if !errors.As(err, &re) {
				t.Fatalf("%s, %s: %v is not a *RevertError", tc.name, name, err)
			}
			if re.Reason != tc.reason || re.Selector() != tc.selector {
				t.Errorf("%s, %s: reason %q selector %x; want %q %x", tc.name, name, re.Reason, re.Selector(), tc.reason, tc.selector)
			}
		}
	}
	if after, _ := c.Client.PendingNonceAt(ctx, relayer.Address); after != before {
		t.Fatalf("%d transactions broadcast", after-before)
	}
}

// TestWaitReceiptGivesUpWithContext: an unknown transaction is waited for
// until the context ends, and the error says so.
func TestWaitReceiptGivesUpWithContext(t *testing.T) {
	c, ctx := startChain(t, 1)
	wctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := evm.WaitReceipt(wctx, c.Client, common.Hash{1}, 20*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 2*time.Second {
		t.Fatalf("err %v after %v; want a deadline error after about 150 ms", err, time.Since(t0))
	}
}

// TestChainReads covers the token reads and ERC-1271 against the real
// contracts.
func TestChainReads(t *testing.T) {
	c, ctx := startChain(t, 3)
	owner, stranger := c.Accounts[1], c.Accounts[2]
	d := devDomain
	d.ChainID = c.ChainID.Uint64()
	if err := evm.CheckDomain(ctx, c.Client, d); err != nil {
		t.Fatalf("CheckDomain: %v", err)
	}
	wrong := d
	wrong.Name = "USDC"
	if err := evm.CheckDomain(ctx, c.Client, wrong); err == nil || !strings.Contains(err.Error(), `token reports name "USD Coin", version "2"`) {
		t.Fatalf("CheckDomain with a wrong name: %v", err)
	}
	if name, err := evm.TokenName(ctx, c.Client, c.Token); err != nil || name != "USD Coin" {
		t.Fatalf("name %q, %v", name, err)
	}
	if bal, err := evm.BalanceOf(ctx, c.Client, c.Token, owner.Address); err != nil || bal.Uint64() != devchain.DefaultUSDCPerAccount.Uint64() {
		t.Fatalf("balance %v, %v", bal, err)
	}
	if used, err := evm.AuthorizationState(ctx, c.Client, c.Token, owner.Address, [32]byte{9}); err != nil || used {
		t.Fatalf("authorizationState %v, %v", used, err)
	}
	if now, err := evm.ChainNow(ctx, c.Client); err != nil || time.Since(now).Abs() > devchain.DefaultMaxAhead+5*time.Second {
		t.Fatalf("chain time %v (%v from the wall clock), %v", now, time.Since(now), err)
	}

	wallet, err := devchain.DeployWallet1271(ctx, c.Client, c.Deployer.Key, c.ChainID, owner.Address)
	if err != nil {
		t.Fatal(err)
	}
	digest := evm.Keccak256([]byte("some EIP-712 digest"))
	sign := func(k *ecdsa.PrivateKey) []byte {
		sig, err := crypto.Sign(digest[:], k)
		if err != nil {
			t.Fatal(err)
		}
		sig[64] += 27
		return sig
	}
	for _, tc := range []struct {
		name    string
		account common.Address
		sig     []byte
		want    bool
	}{
		{"owner", wallet, sign(owner.Key), true},
		{"stranger", wallet, sign(stranger.Key), false},
		{"truncated", wallet, sign(owner.Key)[:64], false},
		{"EOA (no code)", owner.Address, sign(owner.Key), false},
		{"token (no isValidSignature)", c.Token, sign(owner.Key), false},
	} {
		if ok, err := evm.IsValidSignature1271(ctx, c.Client, tc.account, digest, tc.sig); err != nil || ok != tc.want {
			t.Errorf("isValidSignature, %s: %v, %v; want %v", tc.name, ok, err, tc.want)
		}
	}
}

// TestPackMatchesBindings: the hand-packed calldata equals what the
// TestUSDC bindings (generated from the compiled contract) pack, for both
// overloads, with v given as 27/28 or 0/1.
func TestPackMatchesBindings(t *testing.T) {
	key, _ := crypto.GenerateKey()
	a := evm.Authorization{From: crypto.PubkeyToAddress(key.PublicKey), To: common.Address{0xee}, Nonce: [32]byte{7}}
	a.Value.SetUint64(12345)
	a.ValidAfter.SetUint64(1)
	a.ValidBefore.SetUint64(1 << 40)
	d := devDomain
	d.ChainID = 1337
	sig, err := evm.SignAuthorization(key, evm.TransferWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		t.Fatal(err)
	}
	value, after, before := a.Value.ToBig(), a.ValidAfter.ToBig(), a.ValidBefore.ToBig()
	var r, s [32]byte
	copy(r[:], sig[:32])
	copy(s[:], sig[32:64])
	wantVRS := usdc.PackTransferWithAuthorizationVRS(a.From, a.To, value, after, before, a.Nonce, sig[64], r, s)
	low := append([]byte(nil), sig...)
	low[64] -= 27
	for name, in := range map[string][]byte{"v 27/28": sig, "v 0/1": low} {
		if got, err := evm.PackTransferWithAuthorization(&a, in); err != nil || string(got) != string(wantVRS) {
			t.Errorf("%s: (v, r, s) calldata differs from the binding's (%v)", name, err)
		}
	}
	for _, in := range [][]byte{sig, low, append(sig, 1, 2, 3)} {
		want := usdc.PackTransferWithAuthorizationBytes(a.From, a.To, value, after, before, a.Nonce, in)
		if got, err := evm.PackTransferWithAuthorizationBytes(&a, in); err != nil || string(got) != string(want) {
			t.Errorf("%d-byte signature: bytes calldata differs from the binding's (%v)", len(in), err)
		}
	}
	long := append(append([]byte(nil), sig...), 0)
	if got, _ := evm.PackTransferWithAuthorization(&a, long); string(got[:4]) != string(usdc.PackTransferWithAuthorizationBytes(a.From, a.To, value, after, before, a.Nonce, long)[:4]) {
		t.Errorf("a 66-byte signature did not select the bytes overload")
	}
}
