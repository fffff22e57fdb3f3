package reliability

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// Size caps through the binary: a payment header over 8 KiB is a 400 before
// any verification, a facilitator API body over its cap is a 413.
func TestSizeLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newInstance(opts{})

	big := strings.Repeat("A", facilitator.MaxHeaderBytes+4) // valid base64 alphabet, 8 KiB + 4
	status, code := send(t, a.url("/paid/x"), big)
	if status != http.StatusBadRequest || code != facilitator.CodeHeaderTooLarge {
		t.Fatalf("9 KiB payment header: %d %q, want 400 %s", status, code, facilitator.CodeHeaderTooLarge)
	}
	body := `{"x402Version":2,"pad":"` + strings.Repeat("a", 128<<10) + `"}`
	for _, path := range []string{"/facilitator/verify", "/facilitator/settle"} {
		resp, err := http.Post(a.url(path), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with a 128 KiB body: %d, want 413", path, resp.StatusCode)
		}
	}
	if e.hits.Load() != 0 {
		t.Fatalf("the upstream was called %d times", e.hits.Load())
	}
}

// queue_capacity 1 with a settle delay: while one served payment waits to
// be settled, the next paid request gets 503 with Retry-After, is not served
// and not charged, and its payment can be used once there is room again.
func TestQueueFullIs503(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := newEnv(t)
	a := e.newInstance(opts{queueCapacity: 1, settleDelay: "5s"})
	payerBefore := e.balance(e.payer.Address)

	first, second := e.sign(a), e.sign(a)
	// The first payment is served and holds the only slot until it settles
	// (5 s later); the second arrives meanwhile.
	if s, c := send(t, a.url("/paid/q"), first.header); s != http.StatusOK {
		t.Fatalf("first payment: %d %s", s, c)
	}
	req, _ := http.NewRequest(http.MethodGet, a.url("/paid/q"), nil)
	req.Header.Set(facilitator.HeaderPaymentSignature, second.header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second payment while the queue is full: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if e.hits.Load() != 1 {
		t.Fatalf("upstream served %d, want 1 (the 503 was served)", e.hits.Load())
	}
	e.waitBalance(bigInt(price), 30*time.Second)
	time.Sleep(time.Second)
	if e.authUsed(second.from, second.nonce) {
		t.Fatal("the refused payment was charged")
	}
	e.checkSettled(payerBefore, []payment{first})

	// The refused payment was released: with room in the queue it pays.
	if s, c := send(t, a.url("/paid/q"), second.header); s != http.StatusOK {
		t.Fatalf("the refused payment, sent again: %d %s", s, c)
	}
	e.waitBalance(bigInt(2*price), 30*time.Second)
	e.checkSettled(payerBefore, []payment{first, second})
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}
