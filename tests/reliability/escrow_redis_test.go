package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/ethereum/go-ethereum/common"
)

// Two Caddy instances, one Redis, one escrow session: a session opened on
// instance A is spent from A and B concurrently and never overdraws; a
// close received by B is carried out by A (the operator of the session).
func TestTwoInstancesShareEscrowSession(t *testing.T) {
	t.Parallel()
	r := testsvc.StartRedis(t)
	e := newEnv(t)
	a := e.newInstance(opts{name: "a", settler: e.accounts[5], redis: r.URL(0), escrow: true})
	b := e.newInstance(opts{name: "b", settler: e.accounts[6], redis: r.URL(0), escrow: true})
	payerBefore := e.balance(e.payer.Address)

	// Open the session on A: deposit 101000, so after the opening call
	// (2000) 49 more calls fit and 1000 is left over.
	c := &client.Client{Key: e.payer.Key, Scheme: "escrow", Escrow: &client.EscrowOptions{Deposit: bigInt(101_000)}}
	res, err := c.Do(mustGet(t, a.url("/session/open")))
	if err != nil || res.Response.StatusCode != 200 || res.PaymentResponse == nil || res.PaymentResponse.Session == nil || res.PaymentResponse.Session.Token == "" {
		t.Fatalf("opening the session: %+v %v", res, err)
	}
	res.Response.Body.Close()
	sess := res.PaymentResponse.Session

	var served, refused atomic.Int64
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for k := 0; k < 200; k++ {
		in := a
		if k%2 == 1 {
			in = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			status, code := send(t, in.url("/session/use"), usageHeader(t, res.Requirement, sess, fmt.Sprintf("req-%d", k), ""))
			switch {
			case status == http.StatusOK:
				served.Add(1)
			case status == http.StatusPaymentRequired && code == facilitator.CodeEscrowSessionBalance:
				refused.Add(1)
			default:
				t.Errorf("call %d on %s: %d %s", k, in.o.name, status, code)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if served.Load() != 49 || refused.Load() != 151 || e.hits.Load() != 50 {
		t.Fatalf("served %d, refused %d, upstream hits %d; want 49, 151 and 50 (with the opening call)", served.Load(), refused.Load(), e.hits.Load())
	}

	// Close through B; A captures the use and voids the rest.
	status, code := send(t, b.url("/session/bye"), usageHeader(t, res.Requirement, sess, "close-1", "close"))
	if status != http.StatusOK {
		t.Fatalf("close on B: %d %s", status, code)
	}
	e.waitBalance(bigInt(50*sessionPrice), 60*time.Second)
	id, _ := escrowID(sess.ID)
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := escrow.NewContract(e.ec, e.escrow).PaymentState(context.Background(), id)
		if err == nil && st.CapturableAmount.Sign() == 0 && st.RefundableAmount.Int64() == 50*sessionPrice {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("escrow state %+v %v; want capturable 0 and captured %d", st, err, 50*sessionPrice)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != 50*sessionPrice {
		t.Fatalf("payer spent %s, want %d (the 1000 left over voided back)", spent, 50*sessionPrice)
	}
}

// usageHeader builds the PAYMENT-SIGNATURE of a session use (or close).
func usageHeader(t *testing.T, req *facilitator.PaymentRequirements, sess *facilitator.SessionInfo, requestID, action string) string {
	t.Helper()
	raw, _ := json.Marshal(escrow.UsagePayload{Session: &escrow.SessionRef{ID: sess.ID, Token: sess.Token}, RequestID: requestID, Action: action})
	p := facilitator.PaymentPayload{X402Version: 2, Accepted: req, Payload: raw}
	h, err := facilitator.EncodeHeader(p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustGet(t *testing.T, url string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func escrowID(s string) ([32]byte, error) {
	var id [32]byte
	b := common.FromHex(strings.TrimSpace(s))
	if len(b) != 32 {
		return id, fmt.Errorf("bad id %q", s)
	}
	copy(id[:], b)
	return id, nil
}
