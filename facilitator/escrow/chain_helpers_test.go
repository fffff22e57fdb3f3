package escrow

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"sort"
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

// Dev account roles in the chain tests.
const (
	operatorIdx = 1 // the facilitator: sends authorize, capture, void, refund
	payerIdx    = 2 // signs deposits; sends reclaim
	receiverIdx = 3 // the merchant (payTo)
	feeIdx      = 4 // a pinned fee receiver
	otherIdx    = 5 // a stranger
	accounts    = 8
)

// USDC amounts in 6-decimal units.
const usdcUnit = 1_000_000

var usdc = contracts.NewTestUSDC()

// env is a dev chain with the escrow, the accounts of a session and
// bookkeeping for balances and gas.
type env struct {
	t        *testing.T
	ctx      context.Context
	c        *devchain.Chain
	esc      *Contract
	operator devchain.Account
	payer    devchain.Account
	receiver devchain.Account
	feeTo    devchain.Account
	other    devchain.Account
	store    common.Address // the operator's TokenStore

	mu      sync.Mutex
	senders map[common.Address]*evm.Sender
}

func newEnv(t *testing.T) *env {
	t.Helper()
	// Every time here is relative to the chain's head, not the wall clock,
	// so the chain may run ahead of it: no MaxAhead pauses between blocks.
	c, err := devchain.Start(devchain.Options{Accounts: accounts, MaxAhead: -1})
	if err != nil {
		t.Fatalf("starting dev chain: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := &env{
		t: t, ctx: ctx, c: c, esc: NewContract(c.Client, c.Escrow),
		operator: c.Accounts[operatorIdx], payer: c.Accounts[payerIdx], receiver: c.Accounts[receiverIdx],
		feeTo: c.Accounts[feeIdx], other: c.Accounts[otherIdx],
		senders: map[common.Address]*evm.Sender{},
	}
	e.store = TokenStoreAddress(c.Escrow, c.EscrowContracts.TokenStoreImplementation, e.operator.Address)
	return e
}

// now is the latest block's timestamp.
func (e *env) now() uint64 {
	e.t.Helper()
	h, err := e.c.Client.HeaderByNumber(e.ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return h.Time
}

// setHead mines empty blocks until the head's timestamp is ts (which must be
// later than the head's).
//
// Right after a block with transactions the pool may not have dropped them
// yet (its reset runs in the background); AdjustTime then sees them as
// pending and mines a block first, one second later than asked. So when
// there is room, a one-second step goes first, after which the pool is in
// sync, and the exact step follows.
func (e *env) setHead(ts uint64) {
	e.t.Helper()
	now := e.now()
	if ts <= now {
		e.t.Fatalf("setHead(%d): head is already at %d", ts, now)
	}
	if ts-now >= 3 {
		if err := e.c.AdjustTime(time.Second); err != nil {
			e.t.Fatal(err)
		}
		now = e.now()
	}
	if ts > now {
		if err := e.c.AdjustTime(time.Duration(ts-now) * time.Second); err != nil {
			e.t.Fatal(err)
		}
	}
	if got := e.now(); got != ts {
		e.t.Fatalf("setHead(%d): head at %d", ts, got)
	}
}

// payment is a fee-less payment of up to max units from the payer to the
// receiver, operated by the operator, whose pre-approval and authorization
// expire an hour from the head and refunds a day later.
func (e *env) payment(max int64) PaymentInfo {
	e.t.Helper()
	salt, err := RandomSalt()
	if err != nil {
		e.t.Fatal(err)
	}
	exp := e.now() + 3600
	return PaymentInfo{
		Operator: e.operator.Address, Payer: e.payer.Address, Receiver: e.receiver.Address, Token: e.c.Token,
		MaxAmount: big.NewInt(max), PreApprovalExpiry: exp, AuthorizationExpiry: exp, RefundExpiry: exp + 86400,
		Salt: salt,
	}
}

func (e *env) domain() evm.Domain {
	return evm.Domain{Name: "USD Coin", Version: "2", ChainID: e.c.ChainID.Uint64(), VerifyingContract: e.c.Token}
}

// sign returns key's ReceiveWithAuthorization signature for pi and collector.
func (e *env) signFor(key *ecdsa.PrivateKey, pi *PaymentInfo, collector common.Address) []byte {
	e.t.Helper()
	a := ReceiveAuthorization(e.c.ChainID.Uint64(), e.c.Escrow, collector, pi)
	d := e.domain()
	sig, err := evm.SignAuthorization(key, evm.ReceiveWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		e.t.Fatal(err)
	}
	return sig
}

// sign is the payer's deposit signature for pi to the dev ERC-3009 collector.
func (e *env) sign(pi *PaymentInfo) []byte {
	return e.signFor(e.payer.Key, pi, e.c.ERC3009Collector)
}

func (e *env) sender(a devchain.Account) *evm.Sender {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.senders[a.Address]
	if !ok {
		s = evm.NewSender(e.c.Client, a.Key, e.c.ChainID)
		e.senders[a.Address] = s
	}
	return s
}

// sendTo sends data from `from` to `to` (gas estimated, so a revert comes
// back decoded without a transaction) and waits for a successful receipt.
func (e *env) sendTo(from devchain.Account, to common.Address, data []byte) (*types.Receipt, error) {
	tx, err := e.sender(from).Send(e.ctx, to, data)
	if err != nil {
		return nil, DecodeError(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	r, err := evm.WaitReceipt(ctx, e.c.Client, tx.Hash(), 20*time.Millisecond)
	if err != nil {
		return nil, err
	}
	e.waitHead(r)
	if r.Status != types.ReceiptStatusSuccessful {
		return r, fmt.Errorf("transaction %s reverted on-chain (gas %d)", tx.Hash().Hex(), r.GasUsed)
	}
	return r, nil
}

// waitHead waits until the head is r's block or later. go-ethereum indexes
// a block's transactions before it moves the head to the block, so a
// receipt can be visible while "latest" still reads the parent's state.
func (e *env) waitHead(r *types.Receipt) {
	e.t.Helper()
	for i := 0; i < 2000; i++ {
		h, err := e.c.Client.HeaderByNumber(e.ctx, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		if h.Number.Cmp(r.BlockNumber) >= 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	e.t.Fatalf("the head did not reach block %s", r.BlockNumber)
}

// mint mints amount test USDC to each address and waits for the head.
func (e *env) mint(amount int64, to ...common.Address) {
	e.t.Helper()
	txs, err := devchain.SendMints(e.ctx, e.c.Client, e.c.Deployer.Key, e.c.ChainID, e.c.Token, big.NewInt(amount), to...)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, tx := range txs {
		r, err := devchain.WaitSuccess(e.ctx, e.c.Client, tx.Hash(), 0)
		if err != nil {
			e.t.Fatal(err)
		}
		e.waitHead(r)
	}
}

func (e *env) send(from devchain.Account, data []byte) (*types.Receipt, error) {
	return e.sendTo(from, e.c.Escrow, data)
}

func (e *env) mustSend(from devchain.Account, data []byte, what string) *types.Receipt {
	e.t.Helper()
	r, err := e.send(from, data)
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	return r
}

// mustFail asserts that sending data from `from` fails with the escrow error
// want (an Err* of this package), naming the same reason string.
func (e *env) mustFail(from devchain.Account, data []byte, want error, what string) *Error {
	e.t.Helper()
	_, err := e.send(from, data)
	return e.checkErr(err, want, what)
}

func (e *env) checkErr(err error, want error, what string) *Error {
	e.t.Helper()
	if err == nil {
		e.t.Fatalf("%s: succeeded, want %v", what, want)
	}
	var ee *Error
	if !errors.As(err, &ee) {
		e.t.Fatalf("%s: %v (%T), want an escrow.Error %v", what, err, err, want)
	}
	if !errors.Is(err, want) {
		e.t.Fatalf("%s: %v, want %v", what, err, want)
	}
	if got, wantReason := Reason(err), ReasonOf(want); got != wantReason || got == "" {
		e.t.Fatalf("%s: reason %q, want %q", what, got, wantReason)
	}
	var re *evm.RevertError
	if !errors.As(err, &re) {
		e.t.Fatalf("%s: the revert is not reachable with errors.As", what)
	}
	return ee
}

// must unwraps the Pack* functions' results, failing the test on error.
func (e *env) must(data []byte, err error) []byte {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	return data
}

func (e *env) authorizeData(pi *PaymentInfo, amount int64, collector common.Address, sig []byte) []byte {
	return e.must(PackAuthorize(pi, big.NewInt(amount), collector, sig))
}

func (e *env) captureData(pi *PaymentInfo, amount int64, feeBps uint16, feeTo common.Address) []byte {
	return e.must(PackCapture(pi, big.NewInt(amount), feeBps, feeTo))
}

// authorize authorizes amount of pi with the payer's signature.
func (e *env) authorize(pi *PaymentInfo, amount int64) *types.Receipt {
	e.t.Helper()
	return e.mustSend(e.operator, e.authorizeData(pi, amount, e.c.ERC3009Collector, e.sign(pi)), "authorize")
}

// balances reads the USDC balance of each address.
type balances map[common.Address]*big.Int

func (e *env) balances(addrs ...common.Address) balances {
	e.t.Helper()
	b := balances{}
	for _, a := range addrs {
		v, err := e.c.BalanceOf(e.ctx, a)
		if err != nil {
			e.t.Fatal(err)
		}
		b[a] = v
	}
	return b
}

// watched are the addresses whose balances every step checks.
func (e *env) watched() []common.Address {
	return []common.Address{e.payer.Address, e.receiver.Address, e.store, e.feeTo.Address, e.operator.Address, e.other.Address, e.c.ERC3009Collector}
}

func (e *env) name(a common.Address) string {
	switch a {
	case e.payer.Address:
		return "payer"
	case e.receiver.Address:
		return "receiver"
	case e.store:
		return "token store"
	case e.feeTo.Address:
		return "fee receiver"
	case e.operator.Address:
		return "operator"
	case e.other.Address:
		return "other"
	case e.c.ERC3009Collector:
		return "ERC3009 collector"
	}
	return a.Hex()
}

// step runs fn and checks that the watched balances moved by exactly
// deltas (others unchanged) and, when st is not nil, the payment's state.
func (e *env) step(what string, pi *PaymentInfo, fn func(), deltas map[common.Address]int64, st *wantState) {
	e.t.Helper()
	before := e.balances(e.watched()...)
	fn()
	after := e.balances(e.watched()...)
	var bad []string
	for _, a := range e.watched() {
		d := new(big.Int).Sub(after[a], before[a])
		if d.Cmp(big.NewInt(deltas[a])) != 0 {
			bad = append(bad, fmt.Sprintf("%s moved %s, want %d", e.name(a), d, deltas[a]))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		e.t.Fatalf("%s: %s", what, strings.Join(bad, "; "))
	}
	if st != nil {
		e.expectState(what, pi, *st)
	}
}

type wantState struct {
	collected              bool
	capturable, refundable int64
}

func (e *env) expectState(what string, pi *PaymentInfo, want wantState) {
	e.t.Helper()
	s, err := e.esc.PaymentState(e.ctx, GetHash(e.c.ChainID.Uint64(), e.c.Escrow, pi))
	if err != nil {
		e.t.Fatal(err)
	}
	if s.HasCollectedPayment != want.collected || s.CapturableAmount.Cmp(big.NewInt(want.capturable)) != 0 ||
		s.RefundableAmount.Cmp(big.NewInt(want.refundable)) != 0 {
		e.t.Fatalf("%s: paymentState {%v, %s, %s}, want {%v, %d, %d}", what, s.HasCollectedPayment, s.CapturableAmount, s.RefundableAmount,
			want.collected, want.capturable, want.refundable)
	}
}

// approve has `from` approve spender for amount of USDC.
func (e *env) approve(from devchain.Account, spender common.Address, amount int64) {
	e.t.Helper()
	if _, err := e.sendTo(from, e.c.Token, usdc.PackApprove(spender, big.NewInt(amount))); err != nil {
		e.t.Fatal(err)
	}
}

// logsOf returns the escrow's logs in r with topic0 = topic.
func logsOf(r *types.Receipt, addr common.Address, topic common.Hash) []*types.Log {
	var out []*types.Log
	for _, l := range r.Logs {
		if l.Address == addr && len(l.Topics) > 0 && l.Topics[0] == topic {
			out = append(out, l)
		}
	}
	return out
}

func eventTopic(sig string) common.Hash { return crypto.Keccak256Hash([]byte(sig)) }

// gasLog collects gas used per operation for the report in TestGas.
type gasLog struct {
	mu  sync.Mutex
	use map[string]uint64
}

func (g *gasLog) add(what string, r *types.Receipt) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.use == nil {
		g.use = map[string]uint64{}
	}
	g.use[what] = r.GasUsed
}
