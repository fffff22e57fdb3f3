package reliability

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// Issue 12, defect 6: 200 sessions whose authorizationExpiry falls within
// the same minute, on a chain with 1-second blocks. Each is used once after
// opening; then the chain's clock jumps to 2 minutes before the first
// expiry (anvil's evm_increaseTime): every session's final capture and
// void is due within a minute. All are captured before their expiry (a
// capture after it reverts, so captured = used proves it) and voided.
func TestEscrow200SessionsExpiringTogether(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "--block-time", "1")
	a := e.newInstance(opts{escrow: true, escrowOptions: "capture_workers 16"})
	const n, deposit = 200, 100_000
	base := 20 * time.Minute
	type opened struct {
		id  [32]byte
		exp int64
	}
	sessions := make([]opened, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 20)
	start := time.Now()
	for k := 0; k < n; k++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := &client.Client{Key: e.payer.Key, Scheme: "escrow", HTTP: &http.Client{Timeout: 120 * time.Second},
				Escrow: &client.EscrowOptions{Deposit: bigInt(deposit), Sessions: client.NewMemorySessionStore(),
					SessionLength: base + time.Duration(k%50)*time.Second}}
			for _, path := range []string{"/session/open", "/session/use"} {
				res, err := c.Do(mustGet(t, a.url(path)))
				if err != nil || res.Response.StatusCode != http.StatusOK {
					t.Errorf("session %d %s: %+v %v", k, path, res, err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Response.Body)
				res.Response.Body.Close()
				if path == "/session/open" {
					id, _ := escrowID(res.PaymentResponse.Session.ID)
					sessions[k] = opened{id: id, exp: res.PaymentResponse.Session.ExpiresAt}
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	first, last := sessions[0].exp, sessions[0].exp
	for _, s := range sessions {
		first, last = min(first, s.exp), max(last, s.exp)
	}
	t.Logf("opened and used %d sessions in %s; expiries span %d s", n, time.Since(start).Round(time.Second), last-first)

	// The chain jumps to 2 min 10 s before the first expiry: the final
	// capture (capture_margin 2m) of every session falls due within a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	head, err := e.ec.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	jump := first - 130 - int64(head.Time)
	if _, err := testsvc.RPC(ctx, e.anvil.URL, "evm_increaseTime", fmt.Sprint(jump)); err != nil {
		t.Fatal(err)
	}
	if _, err := testsvc.RPC(ctx, e.anvil.URL, "evm_mine"); err != nil {
		t.Fatal(err)
	}
	jumped := time.Now()

	captured := func() (done int) {
		for _, s := range sessions {
			st, err := e.escrowState(s.id)
			if err == nil && st.CapturableAmount.Sign() == 0 && st.RefundableAmount.Int64() == 2*sessionPrice {
				done++
			}
		}
		return done
	}
	deadline := time.Now().Add(4 * time.Minute)
	for done := captured(); done < n; done = captured() {
		h, err := e.ec.HeaderByNumber(context.Background(), nil)
		if err == nil && int64(h.Time) >= last {
			t.Fatalf("the chain passed the last expiry with %d of %d sessions captured and voided", done, n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sessions captured and voided after %s", done, n, time.Since(jumped).Round(time.Second))
		}
		time.Sleep(time.Second)
	}
	h, _ := e.ec.HeaderByNumber(context.Background(), nil)
	t.Logf("all %d final captures and voids mined %s after the jump; chain time then %d s before the first expiry", n,
		time.Since(jumped).Round(time.Second), first-int64(h.Time))
}
