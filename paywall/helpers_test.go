package paywall

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// env is a paywall on the real embedded chain with the real exact
// facilitator: what runs in production minus Caddy.
type env struct {
	t      testing.TB
	chain  *devchain.Chain
	engine *Engine
	payee  common.Address
	payer  *ecdsa.PrivateKey
	hits   atomic.Int64 // upstream calls
}

func newEnv(t testing.TB) *env {
	t.Helper()
	chain, err := devchain.Start(devchain.Options{Accounts: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	f, err := exact.New(exact.Config{ChainID: chain.ChainID.Uint64(), Backend: chain.Client, Key: chain.Accounts[0].Key, ReceiptTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	router := facilitator.NewRouter()
	router.Handle(facilitator.SchemeExact, f.Network(), f)
	guard := NewMemoryGuard(0, 0)
	t.Cleanup(func() { guard.Close() })
	e := &Engine{Facilitator: router, Guard: guard, Queue: NewSettlementQueue(QueueConfig{}), Funds: chainFunds(chain)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.Queue.Close(ctx)
	})
	return &env{t: t, chain: chain, engine: e, payee: chain.Accounts[1].Address, payer: chain.Accounts[2].Key}
}

// chainFunds reads payer balances from the dev chain.
func chainFunds(chain *devchain.Chain) *Funds {
	return NewFunds(func(ctx context.Context, _ string, token, owner common.Address) (*big.Int, error) {
		b, err := evm.BalanceOf(ctx, chain.Client, token, owner)
		if err != nil {
			return nil, err
		}
		return b.ToBig(), nil
	}, nil, 0)
}

// requirements are the server's for a 0.01 USDC route.
func (v *env) requirements(amount string) facilitator.PaymentRequirements {
	extra, _ := json.Marshal(evm.Extra{Name: "USD Coin", Version: "2"})
	return facilitator.PaymentRequirements{
		Scheme: "exact", Network: "eip155:1337", Amount: amount, Asset: v.chain.Token.Hex(),
		PayTo: v.payee.Hex(), MaxTimeoutSeconds: 60, Extra: extra,
	}
}

// route builds an initialised route in the given mode.
func (v *env) route(mode SettleMode, amount string) *Route {
	v.t.Helper()
	o, err := NewExactOffer(v.requirements(amount), "USDC", 6)
	if err != nil {
		v.t.Fatal(err)
	}
	rt := &Route{Name: "test", Offers: []*Offer{o}, Mode: mode, SettleDelay: 50 * time.Millisecond, Description: "test data"}
	if err := rt.Init(v.engine); err != nil {
		v.t.Fatal(err)
	}
	return rt
}

// pay signs a payment of the route's first offer and returns the header.
func (v *env) pay(key *ecdsa.PrivateKey, r facilitator.PaymentRequirements, version int) (name, value string) {
	v.t.Helper()
	p, err := evm.NewExactPayment(key, &r, evm.ExactOptions{Version: version})
	if err != nil {
		v.t.Fatal(err)
	}
	return encodePayment(v.t, p)
}

func encodePayment(t testing.TB, p *facilitator.PaymentPayload) (name, value string) {
	t.Helper()
	enc, err := facilitator.EncodeHeader(p)
	if err != nil {
		t.Fatal(err)
	}
	if p.X402Version == facilitator.V1 {
		return facilitator.HeaderXPayment, enc
	}
	return facilitator.HeaderPaymentSignature, enc
}

// upstream is a handler that counts calls and answers status with a body.
func (v *env) upstream(status int) Next {
	return func(w http.ResponseWriter, r *http.Request) error {
		v.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Seen-Payer", r.Header.Get(DefaultPayerHeader))
		if r.Header.Get(facilitator.HeaderPaymentSignature) != "" || r.Header.Get(facilitator.HeaderXPayment) != "" {
			w.Header().Set("X-Leaked-Payment", "yes")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ok":true}`))
		return nil
	}
}

// do sends one request through the route.
func (v *env) do(rt *Route, next Next, hdr ...string) *httptest.ResponseRecorder {
	v.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://api.test/paid/data?q=1", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	if err := rt.Serve(w, req, next); err != nil {
		v.t.Fatalf("Serve returned %v", err)
	}
	return w
}

func (v *env) balance(a common.Address) *big.Int {
	v.t.Helper()
	b, err := v.chain.BalanceOf(context.Background(), a)
	if err != nil {
		v.t.Fatal(err)
	}
	return b
}

// waitBalance polls until a's balance equals want or the deadline passes.
func (v *env) waitBalance(a common.Address, want *big.Int, within time.Duration) {
	v.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := v.balance(a)
		if got.Cmp(want) == 0 {
			return
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("balance of %s = %s, want %s", a.Hex(), got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func decodeResponse(t testing.TB, w *httptest.ResponseRecorder, name string) facilitator.SettleResponse {
	t.Helper()
	var s facilitator.SettleResponse
	if err := facilitator.DecodeHeader(w.Header().Get(name), 0, &s); err != nil {
		t.Fatalf("%s: %v (headers %v)", name, err, w.Header())
	}
	return s
}

func decodeRequired(t testing.TB, w *httptest.ResponseRecorder) facilitator.PaymentRequired {
	t.Helper()
	var pr facilitator.PaymentRequired
	if err := facilitator.DecodeHeader(w.Header().Get(facilitator.HeaderPaymentRequired), 0, &pr); err != nil {
		t.Fatalf("PAYMENT-REQUIRED: %v", err)
	}
	return pr
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func add(a *big.Int, d int64) *big.Int { return new(big.Int).Add(a, big.NewInt(d)) }
