package exact_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
)

// Dev account roles: 0 deployed the token (and mints), 1 settles (pays gas),
// 2 is the merchant, 3 and up pay.
const (
	facIdx   = 1
	payToIdx = 2
	payerIdx = 3
)

var usdc = contracts.NewTestUSDC()

// env is a dev chain with the accounts and requirements a test needs.
type env struct {
	t     *testing.T
	chain *devchain.Chain
	fac   devchain.Account
	payTo devchain.Account
}

// newEnv starts a dev chain with n accounts (at least 4) for one test.
func newEnv(t *testing.T, n int) *env {
	t.Helper()
	c, err := devchain.Start(devchain.Options{Accounts: max(n, payerIdx+1)})
	if err != nil {
		t.Fatalf("starting dev chain: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &env{t: t, chain: c, fac: c.Accounts[facIdx], payTo: c.Accounts[payToIdx]}
}

func (e *env) payer(i int) devchain.Account { return e.chain.Accounts[payerIdx+i] }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// req returns exact requirements paying amount test USDC units to the merchant.
func (e *env) req(amount string) *facilitator.PaymentRequirements {
	return &facilitator.PaymentRequirements{
		Scheme: "exact", Network: "eip155:" + e.chain.ChainID.String(), Amount: amount,
		Asset: e.chain.Token.Hex(), PayTo: e.payTo.Address.Hex(), MaxTimeoutSeconds: 120,
		Extra: json.RawMessage(`{"name":"USD Coin","version":"2"}`),
	}
}

// newFacilitator returns an exact facilitator settling with the facilitator
// account; mod adjusts the configuration.
func (e *env) newFacilitator(mod func(*exact.Config)) *exact.Facilitator {
	e.t.Helper()
	cfg := exact.Config{ChainID: e.chain.ChainID.Uint64(), Backend: e.chain.Client, Key: e.fac.Key}
	if mod != nil {
		mod(&cfg)
	}
	f, err := exact.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// pay signs an exact payment of r from key (signing time now unless opts say otherwise).
func pay(t *testing.T, key *ecdsa.PrivateKey, r *facilitator.PaymentRequirements, opts evm.ExactOptions) *facilitator.PaymentPayload {
	t.Helper()
	p, err := evm.NewExactPayment(key, r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// authOf returns the authorization carried by a payment.
func authOf(t *testing.T, p *facilitator.PaymentPayload) evm.Authorization {
	t.Helper()
	var ep evm.ExactPayload
	if err := json.Unmarshal(p.Payload, &ep); err != nil {
		t.Fatal(err)
	}
	a, err := ep.Authorization.Parse()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// payAs signs a v2 payment whose payer is from (a contract wallet, say) with
// signer's key; wrap, when set, transforms the 65-byte signature.
func payAs(t *testing.T, signer *ecdsa.PrivateKey, from common.Address, r *facilitator.PaymentRequirements, wrap func([]byte) []byte) *facilitator.PaymentPayload {
	t.Helper()
	p := pay(t, signer, r, evm.ExactOptions{})
	a := authOf(t, p)
	a.From = from
	d, err := evm.DomainFor(r)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := evm.SignAuthorization(signer, evm.TransferWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		sig = wrap(sig)
	}
	aj := a.JSON()
	raw, err := json.Marshal(evm.ExactPayload{Signature: "0x" + hex.EncodeToString(sig), Authorization: &aj})
	if err != nil {
		t.Fatal(err)
	}
	p.Payload = raw
	return p
}

var erc6492Suffix = common.FromHex("0x6492649264926492649264926492649264926492649264926492649264926492")

// wrap6492 returns an ERC-6492 signature: abi.encode(factory, calldata, sig) ‖ magic.
func wrap6492(factory common.Address, calldata []byte) func([]byte) []byte {
	addrT, _ := abi.NewType("address", "", nil)
	bytesT, _ := abi.NewType("bytes", "", nil)
	args := abi.Arguments{{Type: addrT}, {Type: bytesT}, {Type: bytesT}}
	return func(sig []byte) []byte {
		enc, err := args.Pack(factory, calldata, sig)
		if err != nil {
			panic(err)
		}
		return append(enc, erc6492Suffix...)
	}
}

// balance is the test USDC balance of a.
func (e *env) balance(a common.Address) *big.Int {
	e.t.Helper()
	b, err := e.chain.BalanceOf(testCtx(e.t), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// nonce is the confirmed transaction count of a.
func (e *env) nonce(a common.Address) uint64 {
	e.t.Helper()
	n, err := e.chain.Client.NonceAt(testCtx(e.t), a, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// transact sends data to the token from key and waits for success.
func (e *env) transact(key *ecdsa.PrivateKey, data []byte) *types.Receipt {
	e.t.Helper()
	ctx := testCtx(e.t)
	tx, err := bind.Transact(usdc.Instance(e.chain.Client, e.chain.Token), devchain.Transactor(ctx, key, e.chain.ChainID), data)
	if err != nil {
		e.t.Fatalf("transaction to the token: %v", err)
	}
	r, err := devchain.WaitSuccess(ctx, e.chain.Client, tx.Hash(), 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// cancel cancels the authorization nonce of a with cancelAuthorization,
// signed by key and sent by the payer itself.
func (e *env) cancel(key *ecdsa.PrivateKey, a *evm.Authorization, r *facilitator.PaymentRequirements) {
	e.t.Helper()
	var buf [3 * 32]byte
	copy(buf[:32], evm.CancelAuthorizationTypeHash[:])
	copy(buf[64-20:64], a.From[:])
	copy(buf[64:], a.Nonce[:])
	d, err := evm.DomainFor(r)
	if err != nil {
		e.t.Fatal(err)
	}
	digest := evm.TypedDataDigest(d.Separator(), evm.Keccak256(buf[:]))
	sig, err := crypto.Sign(digest[:], key)
	if err != nil {
		e.t.Fatal(err)
	}
	sig[64] += 27
	e.transact(key, usdc.PackCancelAuthorizationBytes(a.From, a.Nonce, sig))
}

// receipt returns the receipt of a transaction given in hex.
func (e *env) receipt(txHex string) *types.Receipt {
	e.t.Helper()
	r, err := e.chain.Client.TransactionReceipt(testCtx(e.t), common.HexToHash(txHex))
	if err != nil {
		e.t.Fatalf("receipt of %s: %v", txHex, err)
	}
	return r
}

// selector is the 4-byte function selector of a transaction's calldata.
func (e *env) selector(txHex string) string {
	e.t.Helper()
	tx, _, err := e.chain.Client.TransactionByHash(testCtx(e.t), common.HexToHash(txHex))
	if err != nil {
		e.t.Fatalf("transaction %s: %v", txHex, err)
	}
	return hex.EncodeToString(tx.Data()[:4])
}

// Selectors of the two transferWithAuthorization overloads.
const (
	selVRS   = "e3ee160e"
	selBytes = "cf092995"
)

// balances snapshots USDC balances so that a test can assert exact changes.
type balances struct {
	e    *env
	base map[common.Address]*big.Int
}

func (e *env) snapshot(addrs ...common.Address) *balances {
	b := &balances{e: e, base: map[common.Address]*big.Int{}}
	for _, a := range addrs {
		b.base[a] = e.balance(a)
	}
	return b
}

// expect fails unless every account's balance changed by its delta (accounts
// not listed must be unchanged).
func (b *balances) expect(d deltas) {
	b.e.t.Helper()
	for a, before := range b.base {
		want := new(big.Int).Add(before, big.NewInt(d[a]))
		if got := b.e.balance(a); got.Cmp(want) != 0 {
			b.e.t.Errorf("balance of %s: %s, want %s (change %+d)", a.Hex(), got, want, d[a])
		}
	}
}

// gatedBackend is the dev chain seen through a node whose receipts lag: while
// closed, TransactionReceipt answers "not found" (the transaction itself is
// sent and mined as usual). It stands in for a slow chain or a lagging RPC.
type gatedBackend struct {
	evm.Backend
	mu     sync.Mutex
	closed bool
}

func (g *gatedBackend) setClosed(c bool) { g.mu.Lock(); g.closed = c; g.mu.Unlock() }

func (g *gatedBackend) TransactionReceipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return nil, ethereum.NotFound
	}
	return g.Backend.TransactionReceipt(ctx, h)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// deltas maps accounts to their expected balance change.
type deltas = map[common.Address]int64
