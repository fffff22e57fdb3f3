package paywall

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// In header mode the settlement happens at the status line; the body then
// streams: the client reads the first chunk while the upstream still works.
func TestHeaderModeStreams(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleHeader, "10000")
	release := make(chan struct{})
	slow := func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		_, _ = w.Write([]byte("data: first\n\n"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			return err
		}
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		_, _ = w.Write([]byte("data: last\n\n"))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = rt.Serve(w, r, slow) }))
	defer srv.Close()
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	req, _ := http.NewRequest("GET", srv.URL+"/paid/stream", nil)
	req.Header.Set(name, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var s facilitator.SettleResponse
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentResponse), 0, &s); err != nil || !s.Success || s.Transaction == "" {
		t.Fatalf("PAYMENT-RESPONSE %+v %v", s, err)
	}
	rcpt, err := v.chain.Client.TransactionReceipt(context.Background(), common.HexToHash(s.Transaction))
	if err != nil || rcpt.Status != 1 {
		t.Fatalf("settlement tx not mined before the body: %v", err)
	}
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		first <- line
	}()
	select {
	case line := <-first:
		if line != "data: first\n" {
			t.Fatalf("first chunk %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("first chunk did not reach the client while the upstream was still streaming")
	}
	close(release)
}

// A failed settlement in header mode becomes a 402; the upstream's headers
// and body never reach the client, headers set before the upstream stay.
func TestHeaderModeSettlementFailureRestoresHeaders(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleHeader, "10000")
	broke := newKey(t) // a valid signature from an account with no USDC
	name, value := v.pay(broke, v.requirements("10000"), 2)
	req := httptest.NewRequest("GET", "http://api.test/paid/x", nil)
	req.Header.Set(name, value)
	w := httptest.NewRecorder()
	w.Header().Set("Access-Control-Allow-Origin", "*") // set by the server config before x402
	leaky := func(w http.ResponseWriter, r *http.Request) error {
		v.hits.Add(1)
		w.Header().Set("Set-Cookie", "session=paid-content")
		w.Header().Set("Content-Length", "16")
		w.WriteHeader(200)
		_, _ = w.Write([]byte("the paid content"))
		return nil
	}
	if err := rt.Serve(w, req, leaky); err != nil {
		t.Fatal(err)
	}
	if w.Code != 402 || strings.Contains(w.Body.String(), "paid content") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w.Header().Get("Set-Cookie") != "" || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("headers not restored: %v", w.Header())
	}
	s := decodeResponse(t, w, facilitator.HeaderPaymentResponse)
	if s.Success || s.ErrorReason != facilitator.CodeExactInsufficientBalance {
		t.Fatalf("PAYMENT-RESPONSE %+v", s)
	}
	// Nothing was charged, so the payment was released.
	if n := v.engine.Guard.Len(); n != 0 {
		t.Fatalf("guard holds %d claims after a failed settlement", n)
	}
}

// Before mode settles first: the upstream runs with the money already moved.
func TestBeforeModeSettlesFirst(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleBefore, "10000")
	payerAddr := crypto.PubkeyToAddress(v.payer.PublicKey)
	before := v.balance(payerAddr)
	var seen string
	next := func(w http.ResponseWriter, r *http.Request) error {
		seen = v.balance(payerAddr).String()
		w.WriteHeader(200)
		return nil
	}
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	w := v.do(rt, next, name, value)
	if w.Code != 200 || seen != add(before, -10000).String() {
		t.Fatalf("status %d, payer balance seen by upstream %s (before %s)", w.Code, seen, before)
	}
	if s := decodeResponse(t, w, facilitator.HeaderPaymentResponse); !s.Success || s.Transaction == "" {
		t.Fatalf("PAYMENT-RESPONSE %+v", s)
	}
	// A payment that cannot settle never reaches the upstream.
	v.hits.Store(0)
	name, value = v.pay(newKey(t), v.requirements("10000"), 2)
	w = v.do(rt, v.upstream(200), name, value)
	if w.Code != 402 || v.hits.Load() != 0 {
		t.Fatalf("unfunded payment in before mode: %d, hits %d", w.Code, v.hits.Load())
	}
}

// Closing the engine settles what the queue holds at once, not after the
// delay, so a shutdown loses nothing that was already served.
func TestQueueDrainsOnClose(t *testing.T) {
	v := newEnv(t)
	o, _ := NewExactOffer(v.requirements("10000"), "USDC", 6)
	rt := &Route{Offers: []*Offer{o}, SettleDelay: time.Hour}
	if err := rt.Init(v.engine); err != nil {
		t.Fatal(err)
	}
	payerAddr := crypto.PubkeyToAddress(v.payer.PublicKey)
	before := v.balance(payerAddr)
	for i := 0; i < 3; i++ {
		name, value := v.pay(v.payer, v.requirements("10000"), 2)
		if w := v.do(rt, v.upstream(200), name, value); w.Code != 200 {
			t.Fatalf("%d", w.Code)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if left := v.engine.Queue.Close(ctx); len(left) != 0 {
		t.Fatalf("%d settlements left", len(left))
	}
	if got := v.balance(payerAddr); got.Cmp(add(before, -30000)) != 0 {
		t.Fatalf("payer balance %s, want %s", got, add(before, -30000))
	}
	// A closed queue refuses new work with 503 instead of serving unpaid.
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	if w := v.do(rt, v.upstream(200), name, value); w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after close: %d", w.Code)
	}
}

// Chargeable decides what is charged: here only 201.
func TestCustomChargeable(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleHeader, "10000")
	rt.Chargeable = func(status int, _ map[string][]string) bool { return status == 201 }
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	if w := v.do(rt, v.upstream(200), name, value); w.Code != 200 || w.Header().Get(facilitator.HeaderPaymentResponse) != "" {
		t.Fatalf("200 charged though only 201 is chargeable")
	}
	if w := v.do(rt, v.upstream(201), name, value); w.Code != 201 || !decodeResponse(t, w, facilitator.HeaderPaymentResponse).Success {
		t.Fatalf("201 not charged")
	}
}
