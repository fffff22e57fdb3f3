package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
)

// hangUps is how many paid requests TestCaddyClientsHangUp abandons.
const hangUps = 20_000

// testRuntime is the running x402 runtime.
func testRuntime(t *testing.T) *appRuntime {
	t.Helper()
	var rt *appRuntime
	runtimes.Range(func(_, v any) bool { rt = v.(*appRuntime); return false })
	if rt == nil {
		t.Fatal("no x402 runtime running")
	}
	return rt
}

// Clients that hang up 20,000 times in the middle of paid `after`-mode
// responses streamed through reverse_proxy (which aborts each with
// http.ErrAbortHandler), and a fifth of them before any answer: every
// request whose paid status line reached its client is settled on chain,
// once; the others are settled or released (a released payment buys its
// retry); every queue slot comes back; paid requests are still served.
func TestCaddyClientsHangUp(t *testing.T) {
	start := time.Now()
	var statusLines atomic.Int64
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		statusLines.Add(1)
		chunk := make([]byte, 512)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			if err := http.NewResponseController(w).Flush(); err != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	payTo := freshPayee(t, "hangups")
	startCaddy(t, siteConfig("", fmt.Sprintf(`	x402 /paid/* {
		price 100 units
		pay_to %s
		max_timeout 30m
	}
	reverse_proxy %s {
		flush_interval -1
	}`, payTo.Hex(), up.addr())))
	chain := testChain(t)
	rt := testRuntime(t)

	resp, err := http.Get(siteURL + "/paid/stream")
	if err != nil {
		t.Fatal(err)
	}
	payer := &client.Client{Key: devKey(t, 9)}
	pr, version, err := payer.Challenge(resp)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	req, err := payer.Choose(pr)
	if err != nil {
		t.Fatal(err)
	}
	token := common.HexToAddress(req.Asset)

	type outcome struct {
		header     string
		from       common.Address
		nonce      [32]byte
		sawStatus  bool
		early      bool // hung up before reading anything
		statusCode int
	}
	out := make([]outcome, hangUps)
	tr := &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 0}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= hangUps {
					return
				}
				o := &out[i]
				name, value, err := payer.Sign(req, pr.Resource, version)
				if err != nil {
					t.Error(err)
					return
				}
				o.header = value
				var p facilitator.PaymentPayload
				_ = facilitator.DecodeHeader(value, 0, &p)
				var ep evm.ExactPayload
				_ = json.Unmarshal(p.Payload, &ep)
				a, _ := ep.Authorization.Parse()
				o.from, o.nonce = a.From, a.Nonce
				if i%5 == 0 {
					// Hang up right after sending the request.
					o.early = true
					c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", sitePort), 10*time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					fmt.Fprintf(c, "GET /paid/stream/%d HTTP/1.1\r\nHost: localhost\r\n%s: %s\r\n\r\n", i, name, value)
					c.Close()
					continue
				}
				r, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/paid/stream/%d", siteURL, i), nil)
				r.Header.Set(name, value)
				resp, err := hc.Do(r)
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				o.statusCode = resp.StatusCode
				o.sawStatus = resp.StatusCode == http.StatusOK
				var b [64]byte
				_, _ = io.ReadFull(resp.Body, b[:]) // some body, then hang up mid-stream
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	served := time.Since(start)

	// Every slot comes back and the queue drains.
	q := rt.engine.Queue
	deadline := time.Now().Add(5 * time.Minute)
	for q.Reserved() != 0 || q.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("queue did not drain: %d slots reserved, %d jobs", q.Reserved(), q.Len())
		}
		time.Sleep(50 * time.Millisecond)
	}
	drained := time.Since(start)

	used := 0
	var unused []int
	ctx := context.Background()
	for i := range out {
		o := &out[i]
		if !o.early && o.statusCode != http.StatusOK {
			t.Fatalf("request %d answered %d", i, o.statusCode)
		}
		ok, err := evm.AuthorizationState(ctx, chain.Client, token, o.from, o.nonce)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ok:
			used++
		case o.sawStatus:
			t.Fatalf("request %d got its paid status line but was never settled", i)
		default:
			unused = append(unused, i)
		}
	}
	if got, want := balance(t, chain, payTo), big.NewInt(int64(used)*100); got.Cmp(want) != 0 {
		t.Fatalf("payee holds %s for %d settled payments (want %s): a payment was settled twice or lost", got, used, want)
	}
	if int64(used) > statusLines.Load() {
		t.Fatalf("%d settled but the upstream wrote only %d status lines", used, statusLines.Load())
	}
	// Released payments buy their retry (sample), and paid requests are
	// still served after the storm.
	retry := unused
	if len(retry) > 20 {
		retry = retry[:20]
	}
	for _, i := range retry {
		r, _ := http.NewRequest(http.MethodGet, siteURL+"/paid/stream/retry", nil)
		r.Header.Set(facilitator.HeaderPaymentSignature, out[i].header)
		resp, err := hc.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("released payment %d not reusable: %d", i, resp.StatusCode)
		}
	}
	t.Logf("%d hang-ups (%d before any answer): %d settled, %d released; served in %s, queue drained at %s; upstream status lines %d",
		hangUps, hangUps/5, used, len(unused), served.Round(time.Millisecond), drained.Round(time.Millisecond), statusLines.Load())
}
