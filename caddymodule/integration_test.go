package caddymodule

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func paidSite(u *upstream, mode string) string {
	return fmt.Sprintf(`	x402 /paid/* {
		price 0.01
		pay_to %s
		description "Premium data"
		settle %s
		settle_delay 50ms
	}
	reverse_proxy %s`, payee, mode, u.addr())
}

// Through a real Caddy: 402 with a decodable PAYMENT-REQUIRED, then a paid
// request → 200, PAYMENT-RESPONSE with a mined transaction, payee balance up.
func TestCaddyPayHeaderMode(t *testing.T) {
	u := newUpstream(t, nil)
	startCaddy(t, siteConfig("", paidSite(u, "header")))
	c := testChain(t)
	payer := devKey(t, 3)
	payerAddr := crypto.PubkeyToAddress(payer.PublicKey)
	payeeBefore := balance(t, c, common.HexToAddress(payee))

	resp := get(t, siteURL+"/paid/data")
	resp.Body.Close()
	if resp.StatusCode != 402 || requiredError(t, resp) != facilitator.CodePaymentRequired || u.hits.Load() != 0 {
		t.Fatalf("unpaid: %d, upstream hits %d", resp.StatusCode, u.hits.Load())
	}
	name, value := payHeader(t, payer, siteURL+"/paid/data")
	resp = get(t, siteURL+"/paid/data", name, value)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), payerAddr.Hex()) || strings.Contains(string(body), `"leaked":"ey`) {
		t.Fatalf("paid: %d %s", resp.StatusCode, body)
	}
	s := settleResponse(t, resp)
	rcpt, err := c.Client.TransactionReceipt(context.Background(), common.HexToHash(s.Transaction))
	if !s.Success || err != nil || rcpt.Status != 1 {
		t.Fatalf("settlement %+v not mined: %v", s, err)
	}
	if got := balance(t, c, common.HexToAddress(payee)); got.Cmp(add(payeeBefore, 10000)) != 0 {
		t.Fatalf("payee balance %s, want %s", got, add(payeeBefore, 10000))
	}
	// Replay: the same header again is refused.
	resp = get(t, siteURL+"/paid/data", name, value)
	resp.Body.Close()
	if resp.StatusCode != 402 || requiredError(t, resp) != facilitator.CodeExactNonceUsed || u.hits.Load() != 1 {
		t.Fatalf("replay: %d, hits %d", resp.StatusCode, u.hits.Load())
	}
}

// 20 concurrent requests with one header through Caddy: exactly one reaches
// the upstream.
func TestCaddyConcurrentReplay(t *testing.T) {
	u := newUpstream(t, nil)
	startCaddy(t, siteConfig("", paidSite(u, "after")))
	name, value := payHeader(t, devKey(t, 3), siteURL+"/paid/race")
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := make(chan struct{})
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("GET", siteURL+"/paid/race", nil)
			req.Header.Set(name, value)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if codes[200] != 1 || codes[402] != 19 || u.hits.Load() != 1 {
		t.Fatalf("codes %v, upstream hits %d", codes, u.hits.Load())
	}
}

// An upstream 500 is not charged; the same payment then works.
func TestCaddyUpstreamErrorNotCharged(t *testing.T) {
	fail := true
	var mu sync.Mutex
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			w.WriteHeader(500)
			return
		}
		fmt.Fprint(w, "ok")
	})
	startCaddy(t, siteConfig("", paidSite(u, "after")))
	c := testChain(t)
	payer := devKey(t, 4)
	payerAddr := crypto.PubkeyToAddress(payer.PublicKey)
	before := balance(t, c, payerAddr)
	name, value := payHeader(t, payer, siteURL+"/paid/flaky")
	resp := get(t, siteURL+"/paid/flaky", name, value)
	resp.Body.Close()
	if resp.StatusCode != 500 || resp.Header.Get(facilitator.HeaderPaymentResponse) != "" {
		t.Fatalf("upstream 500 → %d", resp.StatusCode)
	}
	time.Sleep(300 * time.Millisecond)
	if got := balance(t, c, payerAddr); got.Cmp(before) != 0 {
		t.Fatalf("charged for a failed call: %s → %s", before, got)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	resp = get(t, siteURL+"/paid/flaky", name, value)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("retry: %d", resp.StatusCode)
	}
	waitBalance(t, c, payerAddr, add(before, -10000), 10*time.Second)
}

// Header mode through reverse_proxy streams: the first event arrives while
// the upstream is still working.
func TestCaddyHeaderModeStreams(t *testing.T) {
	release := make(chan struct{})
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		fmt.Fprint(w, "data: last\n\n")
	})
	startCaddy(t, siteConfig("", paidSite(u, "header")))
	name, value := payHeader(t, devKey(t, 3), siteURL+"/paid/stream")
	resp := get(t, siteURL+"/paid/stream", name, value)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !settleResponse(t, resp).Success {
		t.Fatalf("status %d", resp.StatusCode)
	}
	line := make(chan string, 1)
	go func() { l, _ := bufio.NewReader(resp.Body).ReadString('\n'); line <- l }()
	select {
	case l := <-line:
		if l != "data: first\n" {
			t.Fatalf("first line %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("first chunk held back until the upstream finished")
	}
	close(release)
}

// Neither respond, route nor handle placed before it in the file can bypass
// the paywall: the directive order puts x402 first.
func TestCaddyDirectiveOrderCannotBeBypassed(t *testing.T) {
	u := newUpstream(t, nil)
	startCaddy(t, siteConfig("", fmt.Sprintf(`	respond /paid/free "bypassed" 200
	route /paid/route* {
		respond "bypassed"
	}
	handle /paid/handle* {
		respond "bypassed"
	}
	x402 /paid/* {
		price 0.01
		pay_to %s
	}
	reverse_proxy %s`, payee, u.addr())))
	for _, p := range []string{"/paid/free", "/paid/route", "/paid/handle"} {
		resp := get(t, siteURL+p)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 402 || strings.Contains(string(b), "bypassed") {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, b)
		}
	}
}

// Hostile requests through Caddy: 400/402 with an x402 code, never the
// upstream, never a 5xx. (The paywall package runs a 40-case table; these
// exercise what only a real HTTP server sees.)
func TestCaddyHostileRequests(t *testing.T) {
	u := newUpstream(t, nil)
	startCaddy(t, siteConfig("", paidSite(u, "after")))
	name, value := payHeader(t, devKey(t, 3), siteURL+"/paid/x")
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name   string
		hdr    []string
		status int
		code   string
	}{
		{"garbage", []string{name, "%%%"}, 400, facilitator.CodeInvalidPayload},
		{"json not base64", []string{name, `{"x402Version":2}`}, 400, facilitator.CodeInvalidPayload},
		{"12 KiB header", []string{name, strings.Repeat("QUFB", 3000)}, 400, facilitator.CodeHeaderTooLarge},
		{"null", []string{name, b64("null")}, 400, facilitator.CodeInvalidPayload},
		{"deep nesting", []string{name, b64(strings.Repeat("[", 3000))}, 400, facilitator.CodeInvalidPayload},
		{"v2 in X-PAYMENT", []string{facilitator.HeaderXPayment, value}, 400, facilitator.CodeInvalidX402Version},
		{"both headers", []string{name, value, facilitator.HeaderXPayment, value}, 400, facilitator.CodeInvalidPayload},
		{"lower-case header name", []string{strings.ToLower(name), b64(`{"x402Version":2,"accepted":{"scheme":"upto"},"payload":{}}`)}, 402, facilitator.CodeNoMatchingRequirements},
		{"empty object", []string{name, b64(`{}`)}, 400, facilitator.CodeInvalidX402Version},
		{"version string", []string{name, b64(`{"x402Version":"2"}`)}, 400, facilitator.CodeInvalidPayload},
		{"payload array", []string{name, b64(`{"x402Version":2,"accepted":` + acceptedJSON(t) + `,"payload":[]}`)}, 402, facilitator.CodeExactPayload},
		{"spoofed payer header only", []string{"X-Payer", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"}, 402, facilitator.CodePaymentRequired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, siteURL+"/paid/x", tc.hdr...)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := requiredError(t, resp); got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
		})
	}
	if u.hits.Load() != 0 {
		t.Fatalf("upstream hit %d times", u.hits.Load())
	}
}

func acceptedJSON(t *testing.T) string {
	resp := get(t, siteURL+"/paid/x")
	defer resp.Body.Close()
	var pr facilitator.PaymentRequired
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentRequired), 0, &pr); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(pr.Accepts[0])
	return string(b)
}
