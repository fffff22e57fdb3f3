package escrow

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// A stranger who rebuilds a session's creation payload from public data
// (the authorize calldata: every PaymentInfo field and the payer's
// signature) cannot spend the session, with a zero signature or with the
// real one, whatever requestIds it picks: refused with
// invalid_escrow_session_already_opened, nothing reserved or committed.
// The token holder spends it as before.
func TestStrangerCannotSpendWithCreationData(t *testing.T) {
	e := newOpEnv(t, nil)
	opened := e.open(e.creation(e.payer, 1_000_000, time.Hour, nil))
	if _, err := opened.Reservation.Commit(nil); err != nil {
		t.Fatal(err)
	}
	ref := &SessionRef{ID: opened.Session.IDHex(), Token: opened.Token}
	s := opened.Session

	// What the stranger sees: the authorize transaction.
	tx, _, err := e.chain.Client.TransactionByHash(context.Background(), opened.Tx)
	if err != nil {
		t.Fatal(err)
	}
	call, err := UnpackAuthorize(tx.Data())
	if err != nil {
		t.Fatal(err)
	}
	if GetHash(1337, e.chain.Escrow, &call.PaymentInfo) != s.ID {
		t.Fatal("the calldata's payment is not the session's")
	}
	before := s.Info()
	signatures := map[string][]byte{
		"signature 0x00":                 {0},
		"65 zero bytes":                  make([]byte, 65),
		"the real signature (calldata)":  call.CollectorData,
		"the real signature, v flipped":  flipV(call.CollectorData),
		"the real signature, 6492 magic": append(append([]byte{}, call.CollectorData...), make([]byte, 32)...),
	}
	for name, sig := range signatures {
		for i := 0; i < 5; i++ {
			c := NewCreationPayload(1337, e.chain.Escrow, e.chain.ERC3009Collector, &call.PaymentInfo, sig, fmt.Sprintf("stranger-%s-%d", strings.ReplaceAll(name, " ", "-"), i))
			o, xe, err := e.op.Open(context.Background(), c, &e.req, e.price)
			if o != nil || err != nil || xe == nil || xe.Code != facilitator.CodeEscrowSessionOpened || !strings.Contains(xe.Message, s.IDHex()) {
				t.Fatalf("%s, try %d: opened %+v, %v, %v; want %s naming the session", name, i, o, xe, err, facilitator.CodeEscrowSessionOpened)
			}
		}
	}
	if after := s.Info(); after != before {
		t.Fatalf("the session moved under the stranger's requests: %+v, was %+v", after, before)
	}
	// The token holder is served.
	r, xe, err := e.op.Reserve(ctx0, ref, "victim-1", e.price, &e.req)
	if xe != nil || err != nil {
		t.Fatalf("the token holder is refused: %v %v", xe, err)
	}
	bal, err := r.Commit(nil)
	if err != nil || bal.Cmp(big.NewInt(1_000_000-2*10_000)) != 0 {
		t.Fatalf("balance after the victim's second call %v %v", bal, err)
	}
}

func flipV(sig []byte) []byte {
	out := append([]byte{}, sig...)
	if len(out) == 65 {
		out[64] ^= 1
	}
	return out
}
