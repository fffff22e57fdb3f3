package reliability

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// fund sends amount TestUSDC units from the env's payer to a new key and
// returns it.
func (e *env) fund(amount int64) *ecdsa.PrivateKey {
	e.t.Helper()
	k, _ := crypto.GenerateKey()
	to := crypto.PubkeyToAddress(k.PublicKey)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nonce, err := e.ec.PendingNonceAt(ctx, e.payer.Address)
	if err != nil {
		e.t.Fatal(err)
	}
	tip, err := e.ec.SuggestGasTipCap(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	head, err := e.ec.HeaderByNumber(ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	data := append(common.FromHex("0xa9059cbb"), common.LeftPadBytes(to.Bytes(), 32)...)
	data = append(data, common.LeftPadBytes(big.NewInt(amount).Bytes(), 32)...)
	chainID := big.NewInt(84532)
	tx, err := types.SignNewTx(e.payer.Key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip),
		Gas: 100_000, To: &e.token, Data: data,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.ec.SendTransaction(ctx, tx); err != nil {
		e.t.Fatal(err)
	}
	for {
		if r, err := e.ec.TransactionReceipt(ctx, tx.Hash()); err == nil {
			if r.Status != types.ReceiptStatusSuccessful {
				e.t.Fatal("funding transfer reverted")
			}
			break
		}
		if ctx.Err() != nil {
			e.t.Fatal("funding transfer not mined")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := e.balance(to); got.Int64() != amount {
		e.t.Fatalf("funded payer holds %s", got)
	}
	return k
}

// TestFundsSharedAcrossInstances: a payer funded for exactly K payments
// sends 2K distinct "after"-mode payments to each of two instances on one
// Redis, all at once. The instances count the served-not-settled amount in
// the shared store, so exactly K are served (the rest refused with
// invalid_exact_evm_insufficient_balance) and exactly K settle: no free
// response. With per-instance funds checks each instance would serve K.
func TestFundsSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	const k = 5
	r := testsvc.StartRedis(t)
	e := newEnv(t)
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], redis: r.URL(0)})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], redis: r.URL(0)})
	key := e.fund(k * price)
	poor := crypto.PubkeyToAddress(key.PublicKey)

	var ps []payment
	var ins []*instance
	for n := range 4 * k {
		in := []*instance{a, b}[n%2]
		ps = append(ps, e.signAs(in, key))
		ins = append(ins, in)
	}
	var mu sync.Mutex
	var served []payment
	refused := 0
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for n, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			status, code := send(t, ins[n].url(fmt.Sprintf("/paid/funds-%d", n)), p.header)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status == http.StatusOK:
				served = append(served, p)
			case status == http.StatusPaymentRequired && code == "invalid_exact_evm_insufficient_balance":
				refused++
			default:
				t.Errorf("payment %d: %d %s", n, status, code)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if len(served) != k || refused != 3*k {
		t.Fatalf("%d served, %d refused for insufficient balance; want %d and %d", len(served), refused, k, 3*k)
	}
	e.waitBalance(bigInt(k*price), 60*time.Second)
	time.Sleep(time.Second)
	if got := e.balance(poor); got.Sign() != 0 {
		t.Fatalf("payer still holds %s after %d settlements", got, k)
	}
	for n, p := range served {
		if !e.authUsed(p.from, p.nonce) {
			t.Errorf("served payment %d never settled", n)
		}
	}
	if got := e.hits.Load(); got != k {
		t.Fatalf("the upstream served %d requests, want %d", got, k)
	}
}
