package escrow

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzSessionPayloads feeds escrow payloads (raw JSON, as a PAYMENT-SIGNATURE
// carries them) through the decoder and the operator, against a live
// session on a dev chain, and checks the rule of issue 12: a creation
// payload never yields a reservation on an existing session (whatever its
// signature and requestId), and a use is reserved only with the session's
// token. The session's counters never move.
//
// Inputs are templates: {ID}, {TOKEN}, {SIG}, {FROM}, {TO}, {VALUE},
// {VALIDBEFORE}, {NONCE}, {SALT}, {AUTHEXP} and {REFUNDEXP} become the live
// session's values in each process, so the corpus stays meaningful in
// every fuzzing worker (each opens its own session).
func FuzzSessionPayloads(f *testing.F) {
	e := newOpEnv(f, nil)
	opened := e.open(e.creation(e.payer, 1_000_000, time.Hour, nil))
	if _, err := opened.Reservation.Commit(nil); err != nil {
		f.Fatal(err)
	}
	s := opened.Session
	tx, _, err := e.chain.Client.TransactionByHash(context.Background(), opened.Tx)
	if err != nil {
		f.Fatal(err)
	}
	call, err := UnpackAuthorize(tx.Data())
	if err != nil {
		f.Fatal(err)
	}
	pi := call.PaymentInfo
	a := ReceiveAuthorization(1337, e.chain.Escrow, e.chain.ERC3009Collector, &pi)
	vals := strings.NewReplacer(
		"{ID}", s.IDHex(), "{TOKEN}", opened.Token, "{SIG}", "0x"+hex.EncodeToString(call.CollectorData),
		"{FROM}", pi.Payer.Hex(), "{TO}", e.chain.ERC3009Collector.Hex(), "{VALUE}", pi.MaxAmount.String(),
		"{VALIDBEFORE}", fmt.Sprint(pi.PreApprovalExpiry), "{NONCE}", fmt.Sprintf("0x%x", a.Nonce),
		"{SALT}", fmt.Sprintf("0x%064x", pi.Salt), "{AUTHEXP}", fmt.Sprint(pi.AuthorizationExpiry), "{REFUNDEXP}", fmt.Sprint(pi.RefundExpiry))
	const creation = `{"signature":"%s","authorization":{"from":"{FROM}","to":"{TO}","value":"{VALUE}","validAfter":"0",` +
		`"validBefore":"{VALIDBEFORE}","nonce":"{NONCE}"},"sessionParams":{"salt":"{SALT}","authorizationExpiry":{AUTHEXP},` +
		`"refundExpiry":{REFUNDEXP}},"requestId":"%s"}`
	f.Add([]byte(fmt.Sprintf(creation, "{SIG}", "fresh-1")))
	f.Add([]byte(fmt.Sprintf(creation, "0x00", "fresh-2")))
	f.Add([]byte(fmt.Sprintf(creation, "0x"+strings.Repeat("00", 65), "req-open")))
	f.Add([]byte(`{"session":{"id":"{ID}","token":"{TOKEN}"},"amount":"10000","requestId":"use-1"}`))
	f.Add([]byte(`{"session":{"id":"{ID}","token":"sess_00"},"requestId":"use-2"}`))
	f.Add([]byte(`{"session":{"id":"{ID}","token":"{SIG}"},"requestId":"use-3","authorization":{}}`))

	before := s.Info()
	f.Fuzz(func(t *testing.T, raw []byte) {
		if bytes.Contains(raw, []byte(`"close"`)) {
			return // a close with the token is legitimate and would end the session
		}
		pl, err := ParsePayload(json.RawMessage(vals.Replace(string(raw))))
		if err != nil {
			return
		}
		switch {
		case pl.Creation != nil:
			o, xe, err := e.op.Open(context.Background(), pl.Creation, &e.req, e.price)
			if o != nil {
				o.Reservation.Release()
				t.Fatalf("a creation payload without a fresh payer signature opened or spent session %s (error %v %v)", o.Session.IDHex(), xe, err)
			}
		case pl.Usage != nil && pl.Usage.Action == "":
			r, _, _ := e.op.Reserve(context.Background(), pl.Usage.Session, pl.Usage.RequestID, e.price, &e.req)
			if r != nil {
				r.Release()
				if pl.Usage.Session.Token != opened.Token {
					t.Fatalf("a use with token %q was reserved", pl.Usage.Session.Token)
				}
			}
		}
		if after := s.Info(); after != before {
			t.Fatalf("the session moved: %+v, was %+v", after, before)
		}
	})
}
