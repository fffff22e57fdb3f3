package caddymodule

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddyserver/caddy/v2"
	"github.com/ethereum/go-ethereum/crypto"
	"go.uber.org/zap"
)

// probe runs a health check against a runtime.
func probe(t *testing.T, rt *appRuntime, check string, maxAge time.Duration) (int, healthAnswer) {
	t.Helper()
	h := &Health{Check: check, MaxSettlementAge: caddy.Duration(maxAge), app: &App{rt: rt}}
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ready", nil), nil); err != nil {
		t.Fatal(err)
	}
	var a healthAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", w.Header())
	}
	return w.Code, a
}

// stuckClaim does not settle until freed.
type stuckClaim struct{ freed *atomic.Bool }

func (stuckClaim) Payer() string  { return "0xpayer" }
func (stuckClaim) Scheme() string { return facilitator.SchemeExact }
func (c stuckClaim) Settle(context.Context) (facilitator.SettleResponse, error) {
	if c.freed.Load() {
		return facilitator.SettleResponse{Success: true, Transaction: "0x01"}, nil
	}
	return facilitator.SettleResponse{}, errors.New("rpc down")
}
func (stuckClaim) Release(context.Context)            {}
func (stuckClaim) Queued() facilitator.SettleResponse { return facilitator.SettleResponse{} }
func (stuckClaim) Deadline() time.Time                { return time.Now().Add(time.Hour) }
func (stuckClaim) Entry() *paywall.Entry              { return nil }
func (stuckClaim) Deferred() bool                     { return true }

// Readiness follows the start-up checks (not ready while the rpc does not
// answer, ready once they pass) and the settlement queue (not ready while
// a settlement waits past max_settlement_age); liveness is always 200.
func TestHealthReadinessFollowsChecksAndQueue(t *testing.T) {
	port := testsvc.FreePort(t)
	accounts, err := devchain.DevAccounts(6)
	if err != nil {
		t.Fatal(err)
	}
	key := keyFileOf(t, hex.EncodeToString(crypto.FromECDSA(accounts[5].Key)))
	src := chainSite(t, "base-sepolia", fmt.Sprintf("http://127.0.0.1:%d", port), devchain.DevTokenAddress.Hex(), "2", "", key)
	rt, err := newAppRuntime(appOf(t, src), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Destruct() })

	if code, a := probe(t, rt, "live", 0); code != 200 || a.Status != "live" {
		t.Fatalf("live: %d %+v", code, a)
	}
	code, a := probe(t, rt, "ready", 0)
	if code != 503 || a.Status != "not ready" || len(a.Reasons) != 1 || !strings.Contains(a.Reasons[0], "on-chain checks not passed: rpc unreachable") {
		t.Fatalf("ready before the chain: %d %+v", code, a)
	}
	c, err := devchain.Start(devchain.Options{ChainID: 84532, RPCAddr: fmt.Sprintf("127.0.0.1:%d", port), Accounts: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, a = probe(t, rt, "ready", 0)
		if code == 200 && a.Status == "ready" && len(a.Reasons) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %d %+v", code, a)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if err := rt.engine.Queue.Reserve(); err != nil {
		t.Fatal(err)
	}
	freed := &atomic.Bool{}
	t.Cleanup(func() { freed.Store(true) }) // the runtime's drain settles it
	rt.engine.Queue.Enqueue(stuckClaim{freed}, "", "stuck", 0)
	for {
		code, a = probe(t, rt, "ready", 100*time.Millisecond)
		if code == 503 && len(a.Reasons) == 1 && strings.HasPrefix(a.Reasons[0], "x402 settlement queue: a settlement has waited") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stuck queue still ready: %d %+v", code, a)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _ := probe(t, rt, "ready", time.Hour); code != 200 {
		t.Fatalf("a settlement younger than max_settlement_age made it not ready: %d", code)
	}
}

// A replay guard whose Redis does not answer is not ready.
func TestHealthReadinessNeedsTheStore(t *testing.T) {
	dir := t.TempDir()
	src := fmt.Sprintf("{\n\tadmin off\n\tx402 {\n\t\tnetwork dev {\n\t\t\tchain_id 31999\n\t\t}\n\t\tstore redis redis://127.0.0.1:%d/0\n\t\tjournal %s/j.db\n\t\tescrow_ledger %s/e.db\n\t}\n}\n:0 {\n\trespond ok\n}\n",
		testsvc.FreePort(t), dir, dir)
	rt, err := newAppRuntime(appOf(t, src), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Destruct() })
	code, a := probe(t, rt, "ready", 0)
	if code != 503 || len(a.Reasons) != 1 || !strings.HasPrefix(a.Reasons[0], "x402 store: the replay guard's store does not answer") {
		t.Fatalf("ready without redis: %d %+v", code, a)
	}
}

func TestHealthDirective(t *testing.T) {
	site := func(body string) string {
		return "{\n\tx402 {\n\t\tnetwork dev\n\t}\n}\n:9402 {\n" + body + "}\n"
	}
	for _, tc := range []struct{ name, body, want string }{
		{"live", "\tx402_health live\n", `"check":"live","handler":"x402_health"`},
		{"ready with age", "\tx402_health ready {\n\t\tmax_settlement_age 2m\n\t}\n", `"max_settlement_age":120000000000`},
		{"default", "\tx402_health\n", `"handler":"x402_health"`},
		{"bad check", "\tx402_health alive\n", `x402_health: "alive": want live or ready`},
		{"bad option", "\tx402_health ready {\n\t\tmax_age 2m\n\t}\n", `x402_health: unknown option "max_age" (want max_settlement_age)`},
		{"zero age", "\tx402_health ready {\n\t\tmax_settlement_age 0s\n\t}\n", `x402_health: max_settlement_age must be positive`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := adapt(t, site(tc.body))
			got := strings.NewReplacer("\n", "", "\t", "", " ", "").Replace(out)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("got %s\nwant %s", got, tc.want)
			}
		})
	}
}
