package escrow_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall/redisstore"
	"github.com/ethereum/go-ethereum/crypto"
	goredis "github.com/redis/go-redis/v9"
)

// cluster is a dev chain, one Redis and escrow operators on it, each with
// its own key and ledger, as instances of one deployment.
type cluster struct {
	t     *testing.T
	chain *devchain.Chain
	redis *testsvc.Redis
	payer *ecdsa.PrivateKey
	req   facilitator.PaymentRequirements
	price *big.Int
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	chain, err := devchain.Start(devchain.Options{Accounts: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	c := &cluster{t: t, chain: chain, redis: testsvc.StartRedis(t), payer: chain.Accounts[2].Key, price: big.NewInt(10_000)}
	c.req = facilitator.PaymentRequirements{Scheme: "escrow", Network: "eip155:1337", Amount: "10000", Asset: chain.Token.Hex(),
		PayTo: chain.Accounts[1].Address.Hex(), MaxTimeoutSeconds: 60}
	return c
}

// operator starts an instance with dev account key as its operator key;
// shared picks the Redis store (else memory).
func (c *cluster) operator(name string, key int, shared bool, tune func(*escrow.Config)) *escrow.Operator {
	c.t.Helper()
	ledger, err := escrow.OpenLedger(filepath.Join(c.t.TempDir(), name+".db"))
	if err != nil {
		c.t.Fatal(err)
	}
	cfg := escrow.Config{ChainID: 1337, Sender: evm.NewSender(c.chain.Client, c.chain.Accounts[key].Key, c.chain.ChainID),
		Escrow: c.chain.Escrow, Collector: c.chain.ERC3009Collector, Ledger: ledger,
		CaptureInterval: 100 * time.Millisecond, ReceiptTimeout: 20 * time.Second, CloseWait: 5 * time.Second}
	if shared {
		cfg.Shared = c.store()
	}
	if tune != nil {
		tune(&cfg)
	}
	op, err := escrow.NewOperator(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { op.Stop(); ledger.Close() })
	return op
}

func (c *cluster) store() escrow.SharedSessions {
	c.t.Helper()
	g, err := redisstore.New(redisstore.Options{URL: c.redis.URL(0), Namespace: "cluster"})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { g.Close() })
	return g.Sessions()
}

// open opens a session of deposit on op and commits its opening call.
func (c *cluster) open(op *escrow.Operator, deposit int64) (*escrow.Session, *escrow.SessionRef) {
	c.t.Helper()
	req := c.req
	req.Extra = op.Extra("USD Coin", "2")
	salt, _ := escrow.RandomSalt()
	exp := uint64(time.Now().Add(time.Hour).Unix())
	terms, err := escrow.TermsFromRequirements(&req, big.NewInt(deposit), salt, exp, exp+86400)
	if err != nil {
		c.t.Fatal(err)
	}
	d, err := escrow.SignDeposit(c.payer, &terms)
	if err != nil {
		c.t.Fatal(err)
	}
	cp := escrow.NewCreationPayload(1337, c.chain.Escrow, c.chain.ERC3009Collector, &d.PaymentInfo, d.Signature, "open")
	opened, xe, err := op.Open(context.Background(), cp, &c.req, c.price)
	if xe != nil || err != nil || opened.Reservation == nil {
		c.t.Fatalf("open: %+v %v %v", opened, xe, err)
	}
	if _, err := opened.Reservation.Commit(nil); err != nil {
		c.t.Fatal(err)
	}
	return opened.Session, &escrow.SessionRef{ID: opened.Session.IDHex(), Token: opened.Token}
}

func (c *cluster) state(s *escrow.Session) escrow.PaymentState {
	c.t.Helper()
	st, err := escrow.NewContract(c.chain.Client, c.chain.Escrow).PaymentState(context.Background(), s.ID)
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// 16 requests in flight on instance B while A closes the session: each is
// either served and committed before the seal, or refused at its commit
// (not served as paid); captured on chain = committed = served × price;
// use after the close is refused on both instances.
func TestSharedCloseWithRequestsInFlight(t *testing.T) {
	c := newCluster(t)
	a := c.operator("a", 0, true, func(cfg *escrow.Config) { cfg.CloseWait = 400 * time.Millisecond })
	b := c.operator("b", 3, true, nil)
	s, ref := c.open(a, 1_000_000)

	var served, refused atomic.Int64
	var wg sync.WaitGroup
	reserved := make(chan struct{}, 16)
	for k := 0; k < 16; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, xe, err := b.Reserve(context.Background(), ref, fmt.Sprintf("b-%d", k), c.price, &c.req)
			if xe != nil || err != nil {
				t.Errorf("reserve %d: %v %v", k, xe, err)
				return
			}
			reserved <- struct{}{}
			time.Sleep(time.Duration(k%4) * 250 * time.Millisecond) // some end before the seal, some after
			switch _, err := r.Commit(nil); {
			case err == nil:
				served.Add(1)
			case errors.Is(err, escrow.ErrSessionClosed):
				refused.Add(1)
			default:
				t.Errorf("commit %d: %v", k, err)
			}
		}()
	}
	for k := 0; k < 16; k++ {
		<-reserved
	}
	res, xe, err := a.Close(context.Background(), ref)
	if xe != nil || err != nil {
		t.Fatal(xe, err)
	}
	wg.Wait()
	want := (1 + served.Load()) * c.price.Int64()
	if served.Load() == 0 || refused.Load() == 0 || served.Load()+refused.Load() != 16 {
		t.Fatalf("served %d, refused %d: the timings should split them", served.Load(), refused.Load())
	}
	if res.Captured.Int64() != want {
		t.Fatalf("captured %s, want %d (opening call + %d served)", res.Captured, want, served.Load())
	}
	if st := c.state(s); st.RefundableAmount.Int64() != want || st.CapturableAmount.Sign() != 0 {
		t.Fatalf("escrow state %+v, want %d captured and nothing held", st, want)
	}
	for name, op := range map[string]*escrow.Operator{"a": a, "b": b} {
		if _, xe, _ := op.Reserve(context.Background(), ref, "after-"+name, c.price, &c.req); xe == nil || xe.Code != facilitator.CodeEscrowSessionClosed {
			t.Fatalf("use after the close on %s: %v", name, xe)
		}
	}
}

// A close sent to an instance that never served the session: it loads the
// session from the shared store, records the close, and the instance
// holding the key carries it out; B answers with the result.
func TestSharedCloseOnAnotherInstance(t *testing.T) {
	c := newCluster(t)
	a := c.operator("a", 0, true, nil)
	b := c.operator("b", 3, true, nil)
	s, ref := c.open(a, 1_000_000)
	if _, xe, _ := b.Close(context.Background(), &escrow.SessionRef{ID: ref.ID, Token: "sess_wrong"}); xe == nil || xe.Code != facilitator.CodeEscrowSessionToken {
		t.Fatalf("close with a wrong token: %v", xe)
	}
	res, xe, err := b.Close(context.Background(), ref)
	if xe != nil || err != nil || res.Captured == nil || res.Captured.Int64() != 10_000 || res.VoidTx == ([32]byte{}) {
		t.Fatalf("close on b: %+v %v %v", res, xe, err)
	}
	if st := c.state(s); st.RefundableAmount.Int64() != 10_000 || st.CapturableAmount.Sign() != 0 {
		t.Fatalf("escrow state %+v", st)
	}
}

// An operator that kept sessions in memory moves to the shared store: its
// session (committed use, used requestIds) is published by the worker and
// another instance spends and closes it; captured = used.
func TestMoveToSharedStore(t *testing.T) {
	c := newCluster(t)
	a := c.operator("a", 0, false, nil)
	_, ref := c.open(a, 1_000_000)
	for k := 0; k < 3; k++ {
		r, xe, _ := a.Reserve(context.Background(), ref, fmt.Sprintf("mem-%d", k), c.price, &c.req)
		if xe != nil {
			t.Fatal(xe)
		}
		_, _ = r.Commit(nil)
	}
	if err := a.SetShared(c.store()); err != nil {
		t.Fatal(err)
	}
	if err := a.SetShared(nil); !errors.Is(err, escrow.ErrStoreChange) {
		t.Fatalf("leaving the shared store: %v", err)
	}
	b := c.operator("b", 3, true, nil)
	var r *escrow.Reservation
	deadline := time.Now().Add(10 * time.Second)
	for r == nil {
		var xe *facilitator.Error
		r, xe, _ = b.Reserve(context.Background(), ref, "on-b", c.price, &c.req)
		if xe != nil && xe.Code != facilitator.CodeEscrowSessionUnknown || time.Now().After(deadline) {
			t.Fatalf("use on b after the move: %v", xe)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := r.Commit(nil); err != nil {
		t.Fatal(err)
	}
	if _, xe, _ := b.Reserve(context.Background(), ref, "mem-1", c.price, &c.req); xe == nil || xe.Code != facilitator.CodeEscrowDuplicateRequest {
		t.Fatalf("a requestId used before the move: %v", xe)
	}
	res, xe, err := b.Close(context.Background(), ref)
	if xe != nil || err != nil || res.Captured == nil || res.Captured.Int64() != 5*10_000 {
		t.Fatalf("close: %+v %v %v", res, xe, err)
	}
}

// A payer who lost its opening answer recovers the token on any instance;
// the old token stops working everywhere.
func TestSharedRecovery(t *testing.T) {
	c := newCluster(t)
	a := c.operator("a", 0, true, nil)
	b := c.operator("b", 3, true, nil)
	s, ref := c.open(a, 1_000_000)
	rc, err := escrow.SignRecovery(c.payer, 1337, c.chain.Escrow, s.ID, uint64(time.Now().Unix()))
	if err != nil {
		t.Fatal(err)
	}
	got, xe, err := b.Recover(context.Background(), ref.ID, rc)
	if xe != nil || err != nil {
		t.Fatal(xe, err)
	}
	for name, op := range map[string]*escrow.Operator{"a": a, "b": b} {
		if _, xe, _ := op.Reserve(context.Background(), ref, "old-"+name, c.price, &c.req); xe == nil || xe.Code != facilitator.CodeEscrowSessionToken {
			t.Fatalf("old token on %s: %v", name, xe)
		}
		r, xe, _ := op.Reserve(context.Background(), &escrow.SessionRef{ID: ref.ID, Token: got.Token}, "new-"+name, c.price, &c.req)
		if xe != nil {
			t.Fatalf("new token on %s: %v", name, xe)
		}
		r.Release()
	}
	other, _ := crypto.GenerateKey()
	bad, _ := escrow.SignRecovery(other, 1337, c.chain.Escrow, s.ID, uint64(time.Now().Unix())+1)
	if _, xe, _ := a.Recover(context.Background(), ref.ID, bad); xe == nil || xe.Code != facilitator.CodeEscrowRecovery {
		t.Fatalf("recovery by someone else: %v", xe)
	}
}

// Redis loses its data (FLUSHALL) while a session is open and used on two
// instances: each puts back what it committed (its ledger records its
// commits on shared sessions), the session comes back as closing (no new
// use on an uncertain total) and its operator closes it: captured = what
// both instances served.
func TestSharedSessionAfterStoreLoss(t *testing.T) {
	c := newCluster(t)
	a := c.operator("a", 0, true, nil)
	b := c.operator("b", 3, true, nil)
	s, ref := c.open(a, 1_000_000)
	for k, op := range []*escrow.Operator{a, a, b, b, b} {
		r, xe, err := op.Reserve(context.Background(), ref, fmt.Sprintf("use-%d", k), c.price, &c.req)
		if xe != nil || err != nil {
			t.Fatal(xe, err)
		}
		if _, err := r.Commit(nil); err != nil {
			t.Fatal(err)
		}
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: c.redis.Addr})
	defer rdb.Close()
	if err := rdb.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := c.state(s)
		if st.CapturableAmount.Sign() == 0 && st.RefundableAmount.Int64() == 6*10_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("escrow state %+v after the store loss; want 60000 captured (6 calls on two instances) and the rest voided", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, xe, _ := b.Reserve(context.Background(), ref, "after-loss", c.price, &c.req); xe == nil || xe.Code != facilitator.CodeEscrowSessionClosed {
		t.Fatalf("use after the recovery: %v", xe)
	}
}
