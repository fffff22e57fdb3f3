package escrow

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"math/big"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// opEnv is an operator on the dev chain with its ledger file.
type opEnv struct {
	t      testing.TB
	chain  *devchain.Chain
	sender *evm.Sender
	path   string
	op     *Operator
	payer  *ecdsa.PrivateKey
	payee  common.Address
	req    facilitator.PaymentRequirements
	price  *big.Int
}

func newOpEnv(t testing.TB, tune func(*Config)) *opEnv {
	t.Helper()
	chain, err := devchain.Start(devchain.Options{Accounts: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	e := &opEnv{t: t, chain: chain, path: filepath.Join(t.TempDir(), "escrow.db"), payer: chain.Accounts[2].Key,
		payee: chain.Accounts[1].Address, price: big.NewInt(10_000)}
	e.sender = evm.NewSender(chain.Client, chain.Accounts[0].Key, chain.ChainID)
	e.op = e.start(tune)
	e.req = facilitator.PaymentRequirements{Scheme: "escrow", Network: "eip155:1337", Amount: "10000", Asset: chain.Token.Hex(),
		PayTo: e.payee.Hex(), MaxTimeoutSeconds: 60, Extra: e.op.Extra("USD Coin", "2")}
	return e
}

func (e *opEnv) start(tune func(*Config)) *Operator {
	e.t.Helper()
	ledger, err := OpenLedger(e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := Config{ChainID: 1337, Sender: e.sender, Escrow: e.chain.Escrow, Collector: e.chain.ERC3009Collector, Ledger: ledger,
		CaptureInterval: 50 * time.Millisecond, ReceiptTimeout: 20 * time.Second}
	if tune != nil {
		tune(&cfg)
	}
	op, err := NewOperator(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { op.Stop(); ledger.Close() })
	return op
}

// creation signs a deposit with the reference client's choices.
func (e *opEnv) creation(key *ecdsa.PrivateKey, deposit int64, session time.Duration, mut func(*DepositTerms)) *CreationPayload {
	e.t.Helper()
	salt, _ := RandomSalt()
	exp := uint64(time.Now().Add(session).Unix())
	terms, err := TermsFromRequirements(&e.req, big.NewInt(deposit), salt, exp, exp+86400)
	if err != nil {
		e.t.Fatal(err)
	}
	if mut != nil {
		mut(&terms)
	}
	d, err := SignDeposit(key, &terms)
	if err != nil {
		e.t.Fatal(err)
	}
	aj := d.Authorization.JSON()
	return &CreationPayload{Signature: "0x" + hex.EncodeToString(d.Signature), Authorization: &aj, RequestID: "req-open",
		SessionParams: &SessionParams{Salt: fmt.Sprintf("0x%x", terms.Salt), AuthorizationExpiry: evm.NumString(fmt.Sprint(terms.AuthorizationExpiry)),
			RefundExpiry: evm.NumString(fmt.Sprint(terms.RefundExpiry))}}
}

func (e *opEnv) open(c *CreationPayload) *Opened {
	e.t.Helper()
	o, xe, err := e.op.Open(context.Background(), c, &e.req, e.price)
	if err != nil || xe != nil {
		e.t.Fatalf("open: %v %v", xe, err)
	}
	return o
}

func (e *opEnv) balance(a common.Address) *big.Int {
	b, err := e.chain.BalanceOf(context.Background(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// One signature, then 100 paid uses without any; close: the payee holds
// exactly the sum of prices, the payer got the rest back.
func TestSessionLifecycle(t *testing.T) {
	e := newOpEnv(t, nil)
	payer := crypto.PubkeyToAddress(e.payer.PublicKey)
	payerBefore, payeeBefore := e.balance(payer), e.balance(e.payee)
	opened := e.open(e.creation(e.payer, 2_000_000, time.Hour, nil))
	if opened.Token == "" || opened.Tx == (common.Hash{}) {
		t.Fatalf("opened %+v", opened)
	}
	if _, err := opened.Reservation.Commit(nil); err != nil {
		t.Fatal(err)
	}
	ref := &SessionRef{ID: opened.Session.IDHex(), Token: opened.Token}
	for i := 1; i <= 100; i++ {
		r, xe, _ := e.op.Reserve(ctx0, ref, fmt.Sprintf("req-%d", i), e.price, &e.req)
		if xe != nil {
			t.Fatalf("use %d: %v", i, xe)
		}
		if _, err := r.Commit(nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := opened.Session.Balance(); got.Cmp(big.NewInt(2_000_000-101*10_000)) != 0 {
		t.Fatalf("balance %s", got)
	}
	res, xe, err := e.op.Close(context.Background(), ref)
	if err != nil || xe != nil {
		t.Fatalf("close: %v %v", xe, err)
	}
	spent := big.NewInt(101 * 10_000)
	if res.Captured.Cmp(spent) != 0 || res.VoidTx == (common.Hash{}) {
		t.Fatalf("close result %+v", res)
	}
	if got := e.balance(e.payee); new(big.Int).Sub(got, payeeBefore).Cmp(spent) != 0 {
		t.Fatalf("payee got %s, want %s", new(big.Int).Sub(got, payeeBefore), spent)
	}
	if got := e.balance(payer); new(big.Int).Sub(payerBefore, got).Cmp(spent) != 0 {
		t.Fatalf("payer paid %s, want %s", new(big.Int).Sub(payerBefore, got), spent)
	}
	if _, xe, _ := e.op.Reserve(ctx0, ref, "after-close", e.price, &e.req); xe == nil || xe.Code != facilitator.CodeEscrowSessionClosed {
		t.Fatalf("use after close: %v", xe)
	}
}

// 200 concurrent requests on a session that can pay for 50: exactly 50.
func TestSessionNoOverdraft(t *testing.T) {
	e := newOpEnv(t, nil)
	opened := e.open(e.creation(e.payer, 500_000, time.Hour, nil)) // 50 × 10000
	opened.Reservation.Release()
	ref := &SessionRef{ID: opened.Session.IDHex(), Token: opened.Token}
	var served, refused atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			r, xe, _ := e.op.Reserve(ctx0, ref, fmt.Sprintf("c-%d", i), e.price, &e.req)
			if xe != nil {
				if xe.Code != facilitator.CodeEscrowSessionBalance {
					t.Errorf("unexpected refusal %v", xe)
				}
				refused.Add(1)
				return
			}
			if _, err := r.Commit(nil); err != nil {
				t.Error(err)
			}
			served.Add(1)
		}(i)
	}
	close(start)
	wg.Wait()
	if served.Load() != 50 || refused.Load() != 150 || opened.Session.Balance().Sign() != 0 {
		t.Fatalf("served %d refused %d balance %s", served.Load(), refused.Load(), opened.Session.Balance())
	}
}

// A restart mid-session: the session and its uncaptured use survive in the
// ledger and are captured by the next operator.
func TestSessionSurvivesRestart(t *testing.T) {
	e := newOpEnv(t, func(c *Config) { c.CaptureThreshold = big.NewInt(1 << 62) }) // never capture on threshold
	opened := e.open(e.creation(e.payer, 1_000_000, time.Hour, nil))
	_, _ = opened.Reservation.Commit(nil)
	ref := &SessionRef{ID: opened.Session.IDHex(), Token: opened.Token}
	for i := 0; i < 7; i++ {
		r, xe, _ := e.op.Reserve(ctx0, ref, fmt.Sprintf("r-%d", i), e.price, &e.req)
		if xe != nil {
			t.Fatal(xe)
		}
		_, _ = r.Commit(nil)
	}
	e.op.Stop()
	e.op.ledger.Close()
	payeeBefore := e.balance(e.payee)

	op2 := e.start(nil) // restart: recovery captures what is pending
	deadline := time.Now().Add(15 * time.Second)
	for new(big.Int).Sub(e.balance(e.payee), payeeBefore).Cmp(big.NewInt(80_000)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("payee got %s after restart, want 80000", new(big.Int).Sub(e.balance(e.payee), payeeBefore))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The token still works, and used requestIds stay used.
	if _, xe, _ := op2.Reserve(ctx0, ref, "r-3", e.price, &e.req); xe == nil || xe.Code != facilitator.CodeEscrowDuplicateRequest {
		t.Fatalf("replayed requestId after restart: %v", xe)
	}
	if r, xe, _ := op2.Reserve(ctx0, ref, "r-new", e.price, &e.req); xe != nil {
		t.Fatal(xe)
	} else {
		r.Release()
	}
}
