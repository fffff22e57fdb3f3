package reliability

import (
	"context"
	"io"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// escrowClient pays with the env's payer through its own session store.
func (e *env) escrowClient(deposit int64) *client.Client {
	return &client.Client{Key: e.payer.Key, Scheme: "escrow", HTTP: &http.Client{Timeout: 90 * time.Second},
		Escrow: &client.EscrowOptions{Deposit: bigInt(deposit), Sessions: client.NewMemorySessionStore()}}
}

// do sends a GET with c and returns the status (0 on a transport error).
func do(t *testing.T, c *client.Client, url string) int {
	t.Helper()
	res, err := c.Do(mustGet(t, url))
	if res == nil || res.Response == nil {
		t.Logf("GET %s: %v", url, err)
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Response.Body)
	res.Response.Body.Close()
	return res.Response.StatusCode
}

// Issue 12, defect 5a: the node loses authorize's receipt (the RPC answers
// "not found" past receipt_timeout), so the opening request fails without
// a token while the deposit is locked. The session is never locked and
// unknown: the client keeps it as pending; once the RPC answers again the
// capture worker finds it authorized, and its payer recovers a token with a
// signed recovery and spends it. A second such session whose payer never
// recovers it is closed after recovery_window and its deposit voided back.
func TestEscrowAuthorizeReceiptLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	proxy := testsvc.StartRPCProxy(t, e.anvil.URL)
	a := e.newInstance(opts{escrow: true, rpc: proxy.URL, receiptTime: "4s", escrowOptions: "recovery_window 15s"})
	payerBefore := e.balance(e.payer.Address)
	const deposit = 500_000

	open := func() (*client.Client, client.Session) {
		c := e.escrowClient(deposit)
		proxy.DropReceipts()
		status := do(t, c, a.url("/session/open"))
		proxy.Release()
		if status != http.StatusServiceUnavailable {
			t.Fatalf("opening with the receipt lost: %d, want 503", status)
		}
		list, err := c.Sessions().List()
		if err != nil || len(list) != 1 || list[0].Status != client.SessionPending || list[0].Token != "" {
			t.Fatalf("client sessions after the failed opening: %+v %v", list, err)
		}
		id, _ := escrowID(list[0].ID)
		if st, err := e.escrowState(id); err != nil || st.CapturableAmount.Int64() != deposit {
			t.Fatalf("escrow state of the pending session %+v %v: the deposit should be locked", st, err)
		}
		return c, list[0]
	}

	// Recovered: the payer gets a token and spends the session.
	c1, s1 := open()
	var rec *client.Session
	waitUntil(t, 30*time.Second, "the token recovery", func() bool {
		var err error
		rec, err = c1.RecoverSession(context.Background(), s1.ID)
		return err == nil
	})
	if rec.Token == "" || rec.Balance != "500000" {
		t.Fatalf("recovered session %+v", rec)
	}
	if status := do(t, c1, a.url("/session/use")); status != http.StatusOK {
		t.Fatalf("use after the recovery: %d", status)
	}
	res, err := c1.CloseSession(context.Background(), s1.ID)
	if err != nil || res.Captured.Int64() != sessionPrice {
		t.Fatalf("close: %+v %v", res, err)
	}
	id1, _ := escrowID(s1.ID)
	e.waitEscrow(id1, 0, sessionPrice, 30*time.Second)

	// Never recovered: voided after the recovery window.
	_, s2 := open()
	id2, _ := escrowID(s2.ID)
	e.waitEscrow(id2, 0, 0, 60*time.Second)
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != sessionPrice {
		t.Fatalf("payer paid %s, want %d (one call; both deposits back)", spent, sessionPrice)
	}
}

// Issue 12, defect 5b: the opening request's upstream answers 502. The
// deposit is taken once, the answer carries the token (the failed call is
// not charged), and the next call spends the same session.
func TestEscrowOpeningWithFailedUpstream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newInstance(opts{escrow: true})
	payerBefore := e.balance(e.payer.Address)
	const deposit = 500_000
	c := e.escrowClient(deposit)
	res, err := c.Do(mustGet(t, a.url("/session/open?status=502")))
	if err != nil || res.Response.StatusCode != http.StatusBadGateway {
		t.Fatalf("opening call: %+v %v", res, err)
	}
	res.Response.Body.Close()
	sr := res.PaymentResponse
	if sr == nil || sr.Session == nil || sr.Session.Token == "" || sr.Session.Balance != "500000" || sr.Amount != "0" {
		t.Fatalf("PAYMENT-RESPONSE of the failed opening call: %+v", sr)
	}
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != deposit {
		t.Fatalf("payer moved %s, want one deposit of %d", spent, deposit)
	}
	if status := do(t, c, a.url("/session/again")); status != http.StatusOK {
		t.Fatalf("second call: %d", status)
	}
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != deposit {
		t.Fatalf("payer moved %s after the second call, want still one deposit of %d", spent, deposit)
	}
	list, _ := c.Sessions().List()
	if len(list) != 1 {
		t.Fatalf("client sessions %+v, want one", list)
	}
	closed, err := c.CloseSession(context.Background(), list[0].ID)
	if err != nil || closed.Captured.Int64() != sessionPrice {
		t.Fatalf("close: %+v %v", closed, err)
	}
	id, _ := escrowID(list[0].ID)
	e.waitEscrow(id, 0, sessionPrice, 30*time.Second)
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != sessionPrice {
		t.Fatalf("payer paid %s, want %d (the second call only)", spent, sessionPrice)
	}
}
