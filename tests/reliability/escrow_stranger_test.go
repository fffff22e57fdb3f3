package reliability

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/ethereum/go-ethereum/common"
)

// Issue 12, defect 1: a stranger rebuilds a victim's session creation from
// public data (the authorize transaction's calldata holds every field of
// the payment and the payer's signature) and sends it with fresh
// requestIds, once with a zero signature and once with the real signature
// copied from the calldata. Every request is refused with
// invalid_escrow_session_already_opened, the upstream never sees one, and
// the victim's session balance and on-chain capture are unchanged; with the
// token the victim is served.
func TestStrangerCannotSpendEscrowSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newInstance(opts{escrow: true})
	payerBefore := e.balance(e.payer.Address)
	const deposit = 1_000_000
	s := e.openSession(a, deposit)
	use := func(rid string) answer {
		return sendPayment(t, a.url("/session/use"), usageHeader(t, s.req, s.info, rid, ""))
	}
	if got := use("victim-1"); got.status != http.StatusOK {
		t.Fatalf("victim's call: %+v", got)
	}
	hits := e.hits.Load()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, _, err := e.ec.TransactionByHash(ctx, common.HexToHash(s.tx))
	if err != nil {
		t.Fatal(err)
	}
	call, err := escrow.UnpackAuthorize(tx.Data())
	if err != nil {
		t.Fatal(err)
	}
	if escrow.GetHash(84532, e.escrow, &call.PaymentInfo) != s.id {
		t.Fatal("the authorize calldata is not the session's payment")
	}
	for _, sig := range []struct {
		name string
		b    []byte
	}{{"zero", []byte{0}}, {"copied", call.CollectorData}} {
		for k := 0; k < 5; k++ {
			c := escrow.NewCreationPayload(84532, e.escrow, e.collect, &call.PaymentInfo, sig.b, fmt.Sprintf("stranger-%s-%d", sig.name, k))
			got := sendPayment(t, a.url("/session/steal"), payloadHeader(t, s.req, c))
			if got.status != http.StatusPaymentRequired || got.code != facilitator.CodeEscrowSessionOpened {
				t.Fatalf("stranger with the %s signature, request %d: %d %q; want 402 %s", sig.name, k, got.status, got.code, facilitator.CodeEscrowSessionOpened)
			}
		}
	}
	if got := e.hits.Load(); got != hits {
		t.Fatalf("the upstream served %d stranger requests", got-hits)
	}

	// The victim is served; the balance counts only the victim's calls.
	got := use("victim-2")
	if got.status != http.StatusOK || got.resp == nil || got.resp.Session == nil || got.resp.Session.Balance != fmt.Sprint(deposit-3*sessionPrice) {
		t.Fatalf("victim's call after the attack: %+v %+v; want balance %d", got, got.resp, deposit-3*sessionPrice)
	}
	if got := sendPayment(t, a.url("/session/bye"), usageHeader(t, s.req, s.info, "close", "close")); got.status != http.StatusOK {
		t.Fatalf("close: %+v", got)
	}
	e.waitEscrow(s.id, 0, 3*sessionPrice, 60*time.Second)
	if spent := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); spent.Int64() != 3*sessionPrice {
		t.Fatalf("the victim paid %s, want %d (three calls)", spent, 3*sessionPrice)
	}
}
