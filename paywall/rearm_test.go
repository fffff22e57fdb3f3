package paywall

import (
	"context"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// journaled gives the env's engine a journal and returns it.
func (v *env) journaled() *BoltJournal {
	v.t.Helper()
	j, err := OpenBoltJournal(filepath.Join(v.t.TempDir(), "journal.db"), time.Hour)
	if err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(func() { j.Close() })
	v.engine.Journal = j
	v.engine.Queue = NewSettlementQueue(QueueConfig{Journal: j})
	return j
}

// What a store loss must put back covers the journal and the request in
// flight whose answer the journal does not hold yet (claimed, funds
// reserved, upstream still working): both claims and both after-mode
// exposures.
func TestRearmSetCoversJournalAndRequestsInFlight(t *testing.T) {
	v := newEnv(t)
	j := v.journaled()
	rt := v.route(SettleAfter, "10000")
	rt.SettleDelay = time.Hour // stays queued
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	if w := v.do(rt, v.upstream(200), name, value); w.Code != 200 {
		t.Fatalf("first payment: %d", w.Code)
	}
	pending, _ := j.Pending()
	if len(pending) != 1 {
		t.Fatalf("journal holds %d pending payments, want 1", len(pending))
	}
	inUpstream, release := make(chan struct{}), make(chan struct{})
	slow := func(w http.ResponseWriter, r *http.Request) error {
		close(inUpstream)
		<-release
		w.WriteHeader(200)
		return nil
	}
	name2, value2 := v.pay(v.payer, v.requirements("10000"), 2)
	done := make(chan int)
	go func() { done <- v.do(rt, slow, name2, value2).Code }()
	<-inUpstream
	set, err := v.engine.RearmSet()
	close(release)
	if code := <-done; code != 200 {
		t.Fatalf("second payment: %d", code)
	}
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, c := range set.Claims {
		keys[hex.EncodeToString(c.Key[:])] = true
	}
	if len(keys) != 2 || !keys[pending[0].ID] {
		t.Fatalf("claims to re-arm %v, want the journaled %s and the one in flight", keys, pending[0].ID)
	}
	payer := crypto.PubkeyToAddress(v.payer.PublicKey)
	if len(set.Exposures) != 2 {
		t.Fatalf("%d exposures to re-arm, want 2", len(set.Exposures))
	}
	for _, x := range set.Exposures {
		if x.Key.Payer != payer || x.Amount.Int64() != 10000 || x.Key.Asset != v.chain.Token {
			t.Fatalf("exposure %+v", x)
		}
	}
}

// After a restart the in-memory funds ledger is empty; the journal's
// queued payments are counted again, so a payer is not sold the amounts
// that are still settling a second time.
func TestRestoreExposuresAfterRestart(t *testing.T) {
	v := newEnv(t)
	j := v.journaled()
	rt := v.route(SettleAfter, "10000")
	rt.SettleDelay = time.Hour
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	if w := v.do(rt, v.upstream(200), name, value); w.Code != 200 {
		t.Fatalf("payment: %d", w.Code)
	}
	// The restarted process: same journal, a fresh ledger, a payer balance
	// of two payments.
	funds := NewFunds(func(context.Context, string, common.Address, common.Address) (*big.Int, error) {
		return big.NewInt(20000), nil
	}, nil, 0)
	e := &Engine{Facilitator: v.engine.Facilitator, Guard: NewMemoryGuard(0, 0), Journal: j, Funds: funds}
	if n, err := e.RestoreExposures(); err != nil || n != 1 {
		t.Fatalf("restored %d exposures (%v), want 1", n, err)
	}
	k := ExposureKey{Network: "eip155:1337", Asset: v.chain.Token, Payer: crypto.PubkeyToAddress(v.payer.PublicKey)}
	x := func(id byte) *Exposure {
		return &Exposure{Key: k, ID: [32]byte{id}, Amount: big.NewInt(10000), Until: time.Now().Add(time.Hour)}
	}
	if _, err := funds.Reserve(context.Background(), x(1)); err != nil {
		t.Fatalf("the second payment's worth: %v", err)
	}
	var insufficient *InsufficientFunds
	if _, err := funds.Reserve(context.Background(), x(2)); !errors.As(err, &insufficient) {
		t.Fatalf("a third payment's worth: %v, want InsufficientFunds", err)
	}
}
