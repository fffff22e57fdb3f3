package exact

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// The facilitator API mode: callers have no replay guard of their own, so
// Verify sees on-chain use and only one Settle of an authorization answers
// success — sequentially or concurrently.
func TestSettleOnceAndCheckNonce(t *testing.T) {
	chain, err := devchain.Start(devchain.Options{Accounts: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	f, _ := New(Config{ChainID: 1337, Backend: chain.Client, Key: chain.Accounts[0].Key, SettleOnce: true, CheckNonce: true, ReceiptTimeout: 20 * time.Second})
	req := &facilitator.PaymentRequirements{Scheme: "exact", Network: "eip155:1337", Amount: "10000", Asset: chain.Token.Hex(),
		PayTo: chain.Accounts[1].Address.Hex(), MaxTimeoutSeconds: 60, Extra: []byte(`{"name":"USD Coin","version":"2"}`)}
	ctx := context.Background()
	p, _ := evm.NewExactPayment(chain.Accounts[2].Key, req, evm.ExactOptions{})
	if v, err := f.Verify(ctx, p, req); err != nil || !v.IsValid {
		t.Fatalf("verify: %+v %v", v, err)
	}
	first, err := f.Settle(ctx, p, req)
	if err != nil || !first.Success {
		t.Fatalf("settle: %+v %v", first, err)
	}
	again, err := f.Settle(ctx, p, req)
	if err != nil || again.Success || again.ErrorReason != facilitator.CodeExactNonceUsed || again.Transaction != first.Transaction {
		t.Fatalf("second settle answered %+v %v; want a refusal naming the first transaction", again, err)
	}
	if v, _ := f.Verify(ctx, p, req); v.IsValid || v.InvalidReason != facilitator.CodeExactNonceUsed {
		t.Fatalf("verify after settlement: %+v", v)
	}
	// A fresh facilitator (another process) also refuses it: the chain knows.
	f2, _ := New(Config{ChainID: 1337, Backend: chain.Client, Key: chain.Accounts[0].Key, SettleOnce: true, CheckNonce: true})
	if v, _ := f2.Verify(ctx, p, req); v.IsValid {
		t.Fatal("fresh facilitator verified a used authorization")
	}
	if s, _ := f2.Settle(ctx, p, req); s.Success {
		t.Fatal("fresh facilitator answered success for a used authorization")
	}
	// Concurrent settles of one new authorization: exactly one success.
	p2, _ := evm.NewExactPayment(chain.Accounts[3].Key, req, evm.ExactOptions{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := f.Settle(ctx, p2, req)
			if err == nil && s.Success {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d concurrent settles answered success, want 1", ok)
	}
}
