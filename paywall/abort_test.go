package paywall

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// serveAborting runs one paid request whose upstream panics as
// reverse_proxy does when a side hangs up; it returns the recorder and the
// panic value that came out of Serve.
func (v *env) serveAborting(rt *Route, next Next, hdr ...string) (w *httptest.ResponseRecorder, panicked any) {
	v.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://api.test/paid/data", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	w = httptest.NewRecorder()
	func() {
		defer func() { panicked = recover() }()
		_ = rt.Serve(w, req, next)
	}()
	return w, panicked
}

// An abort inside next (reverse_proxy panics with http.ErrAbortHandler when
// the client or the upstream drops mid-body) still ends the claim: a paid
// status line that went out is settled, an abort before any status is
// released (the payment is good again), the panic goes on unchanged, and
// the after-mode queue slot always comes back.
func TestAbortsEndTheClaim(t *testing.T) {
	v := newEnv(t)
	price := int64(10000)
	midBody := func(w http.ResponseWriter, r *http.Request) error {
		v.hits.Add(1)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("partial"))
		panic(http.ErrAbortHandler)
	}
	beforeStatus := func(w http.ResponseWriter, r *http.Request) error {
		v.hits.Add(1)
		panic(http.ErrAbortHandler)
	}
	otherPanic := errors.New("a bug in a handler")
	afterError := func(w http.ResponseWriter, r *http.Request) error {
		v.hits.Add(1)
		w.WriteHeader(http.StatusOK)
		return errors.New("written, then failed")
	}
	for _, mode := range []SettleMode{SettleAfter, SettleHeader} {
		t.Run(string(mode), func(t *testing.T) {
			rt := v.route(mode, "10000")
			before := v.balance(v.payee)

			// Mid-body abort: charged once.
			name, value := v.pay(v.payer, v.requirements("10000"), 2)
			w, p := v.serveAborting(rt, midBody, name, value)
			if p != http.ErrAbortHandler || w.Code != 200 {
				t.Fatalf("mid-body abort: panic %v status %d", p, w.Code)
			}
			v.waitBalance(v.payee, add(before, price), 30*time.Second)
			if rw := v.do(rt, v.upstream(200), name, value); rw.Code != http.StatusPaymentRequired {
				t.Fatalf("the settled payment bought a second response: %d", rw.Code)
			}

			// Abort before the status line: released, payment reusable.
			name, value = v.pay(v.payer, v.requirements("10000"), 2)
			if _, p := v.serveAborting(rt, beforeStatus, name, value); p != http.ErrAbortHandler {
				t.Fatalf("abort before status: panic %v", p)
			}
			if rw := v.do(rt, v.upstream(200), name, value); rw.Code != http.StatusOK {
				t.Fatalf("released payment not reusable: %d %s", rw.Code, rw.Body)
			}
			v.waitBalance(v.payee, add(before, 2*price), 30*time.Second)

			// Any other panic value passes through the same way.
			name, value = v.pay(v.payer, v.requirements("10000"), 2)
			if _, p := v.serveAborting(rt, func(w http.ResponseWriter, r *http.Request) error { panic(otherPanic) }, name, value); p != otherPanic {
				t.Fatalf("panic value changed: %v", p)
			}
			if rw := v.do(rt, v.upstream(200), name, value); rw.Code != http.StatusOK {
				t.Fatalf("payment after a panic before status not reusable: %d", rw.Code)
			}
			v.waitBalance(v.payee, add(before, 3*price), 30*time.Second)

			// An error returned after a chargeable status line: charged.
			name, value = v.pay(v.payer, v.requirements("10000"), 2)
			req := httptest.NewRequest(http.MethodGet, "http://api.test/paid/data", nil)
			req.Header.Set(name, value)
			if err := rt.Serve(httptest.NewRecorder(), req, afterError); err == nil {
				t.Fatal("the upstream's error was swallowed")
			}
			v.waitBalance(v.payee, add(before, 4*price), 30*time.Second)

			if n := v.engine.Queue.Reserved(); n != 0 {
				t.Fatalf("%d queue slots still reserved", n)
			}
		})
	}
}

// Upgrades: refused by default before the upstream sees them; on a route
// that allows them, settled before the 101 goes out, a failed settlement
// answers 402, and a hijack is only ever handed a charged connection.
func TestUpgradesRefusedByDefault(t *testing.T) {
	v := newEnv(t)
	rt := v.route(SettleAfter, "10000")
	name, value := v.pay(v.payer, v.requirements("10000"), 2)
	for _, hdr := range [][]string{
		{"Connection", "Upgrade", "Upgrade", "websocket", name, value},
		{"Connection", "keep-alive, upgrade", "Upgrade", "h2c"},
	} {
		w := v.do(rt, v.upstream(101), hdr...)
		if w.Code != http.StatusForbidden || decodeRequired(t, w).Error != facilitator.CodeUpgradeNotAllowed {
			t.Fatalf("%v: %d %s", hdr, w.Code, w.Body)
		}
	}
	// A 101 the upstream sends to a request that did not ask to upgrade.
	w := v.do(rt, v.upstream(101), name, value)
	if w.Code != http.StatusForbidden || decodeRequired(t, w).Error != facilitator.CodeUpgradeNotAllowed {
		t.Fatalf("unasked 101: %d %s", w.Code, w.Body)
	}
	if v.hits.Load() != 1 {
		t.Fatalf("upstream hits %d, want only the unasked 101", v.hits.Load())
	}
	// Nothing was charged: the payment still buys a plain response.
	if w := v.do(rt, v.upstream(200), name, value); w.Code != http.StatusOK {
		t.Fatalf("payment after refused upgrades: %d", w.Code)
	}
	if n := v.engine.Queue.Reserved(); n != 0 {
		t.Fatalf("%d queue slots still reserved", n)
	}
}
