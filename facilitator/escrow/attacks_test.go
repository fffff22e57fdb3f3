package escrow

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// The pitfalls of reference/escrow.md §8, each refused with its code before
// any transaction is sent.
func TestSessionCreationAttacks(t *testing.T) {
	e := newOpEnv(t, nil)
	other, _ := crypto.GenerateKey()
	poor := other // holds no tokens
	cases := []struct {
		name string
		c    *CreationPayload
		code string
	}{
		{"session of 30 seconds (would be reclaimed before capture)", e.creation(e.payer, 1_000_000, 30*time.Second, nil), facilitator.CodeEscrowSessionLength},
		{"session of a year", e.creation(e.payer, 1_000_000, 365*24*time.Hour, nil), facilitator.CodeEscrowSessionLength},
		{"deposit below the minimum", e.creation(e.payer, 50_000, time.Hour, nil), facilitator.CodeEscrowDeposit},
		{"deposit above the maximum", e.creation(e.payer, 200_000_000, time.Hour, nil), facilitator.CodeEscrowDeposit},
		{"deposit paid to another collector", e.creation(e.payer, 1_000_000, time.Hour, func(d *DepositTerms) { d.Collector = common.HexToAddress("0x01") }), facilitator.CodeEscrowCollector},
		{"signed for another operator (nonce differs)", e.creation(e.payer, 1_000_000, time.Hour, func(d *DepositTerms) { d.Operator = common.HexToAddress("0x02") }), facilitator.CodeEscrowNonce},
		{"signed for another receiver (nonce differs)", e.creation(e.payer, 1_000_000, time.Hour, func(d *DepositTerms) { d.Receiver = common.HexToAddress("0x03") }), facilitator.CodeEscrowNonce},
		{"signed for another escrow (nonce differs)", e.creation(e.payer, 1_000_000, time.Hour, func(d *DepositTerms) { d.Escrow = common.HexToAddress("0x04") }), facilitator.CodeEscrowNonce},
		{"refund window of a year", e.creation(e.payer, 1_000_000, time.Hour, func(d *DepositTerms) { d.RefundExpiry = d.AuthorizationExpiry + 365*86400 }), facilitator.CodeEscrowRefundWindow},
		{"payer without funds", e.creation(poor, 1_000_000, time.Hour, nil), facilitator.CodeEscrowInsufficientFunds},
		{"signature by someone else", func() *CreationPayload {
			c := e.creation(other, 1_000_000, time.Hour, nil)
			c.Authorization.From = crypto.PubkeyToAddress(e.payer.PublicKey).Hex()
			return c
		}(), facilitator.CodeEscrowSignature},
		{"validAfter not zero", func() *CreationPayload {
			c := e.creation(e.payer, 1_000_000, time.Hour, nil)
			c.Authorization.ValidAfter = "5"
			return c
		}(), facilitator.CodeEscrowWindow},
		{"expiries out of order", func() *CreationPayload {
			c := e.creation(e.payer, 1_000_000, time.Hour, nil)
			c.SessionParams.RefundExpiry = evm.NumString(fmt.Sprint(time.Now().Unix()))
			return c
		}(), facilitator.CodeEscrowExpiries},
		{"tampered deposit value", func() *CreationPayload {
			c := e.creation(e.payer, 1_000_000, time.Hour, nil)
			c.Authorization.Value = "900000"
			return c
		}(), facilitator.CodeEscrowNonce},
		{"salt not a number", func() *CreationPayload {
			c := e.creation(e.payer, 1_000_000, time.Hour, nil)
			c.SessionParams.Salt = "0xzz"
			return c
		}(), facilitator.CodeEscrowPayload},
		{"signature garbage", func() *CreationPayload {
			c := e.creation(e.payer, 1_000_000, time.Hour, nil)
			c.Signature = "0x1234"
			return c
		}(), facilitator.CodeEscrowSignature},
	}
	before, _ := e.sender.Backend().PendingNonceAt(context.Background(), e.sender.Address())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, xe, err := e.op.Open(context.Background(), tc.c, &e.req, e.price)
			if err != nil || o != nil || xe == nil || xe.Code != tc.code {
				t.Fatalf("got %+v / %v / %v, want %s", o, xe, err, tc.code)
			}
		})
	}
	if after, _ := e.sender.Backend().PendingNonceAt(context.Background(), e.sender.Address()); after != before {
		t.Fatalf("refused creations sent %d transactions (paid gas)", after-before)
	}
}

// Use of a session: a replayed requestId is never served twice, the token
// is checked, and the session only pays the receiver, token and network it
// was opened for.
func TestSessionUseAttacks(t *testing.T) {
	var skew atomic.Int64 // how far the operator's clock is ahead
	e := newOpEnv(t, func(c *Config) { c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) } })
	opened := e.open(e.creation(e.payer, 1_000_000, time.Hour, nil))
	_, _ = opened.Reservation.Commit(nil)
	ref := &SessionRef{ID: opened.Session.IDHex(), Token: opened.Token}
	otherPayee := e.req
	otherPayee.PayTo = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
	otherToken := e.req
	otherToken.Asset = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
	otherNet := e.req
	otherNet.Network = "eip155:8453"
	for _, tc := range []struct {
		name string
		ref  *SessionRef
		rid  string
		req  *facilitator.PaymentRequirements
		code string
	}{
		{"the creating requestId again", ref, "req-open", &e.req, facilitator.CodeEscrowDuplicateRequest},
		{"wrong token", &SessionRef{ID: ref.ID, Token: "sess_" + ref.Token[5:9] + "00"}, "x1", &e.req, facilitator.CodeEscrowSessionToken},
		{"empty token", &SessionRef{ID: ref.ID, Token: "x"}, "x2", &e.req, facilitator.CodeEscrowSessionToken},
		{"unknown session", &SessionRef{ID: "0x" + fmt.Sprintf("%064x", 7), Token: ref.Token}, "x3", &e.req, facilitator.CodeEscrowSessionUnknown},
		{"malformed id", &SessionRef{ID: "nope", Token: ref.Token}, "x4", &e.req, facilitator.CodeEscrowSessionUnknown},
		{"another payee's route", ref, "x5", &otherPayee, facilitator.CodeEscrowSessionBinding},
		{"another token's route", ref, "x6", &otherToken, facilitator.CodeEscrowSessionBinding},
		{"another network's route", ref, "x7", &otherNet, facilitator.CodeEscrowSessionBinding},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, xe, _ := e.op.Reserve(ctx0, tc.ref, tc.rid, e.price, tc.req); xe == nil || xe.Code != tc.code {
				t.Fatalf("got %v %v, want %s", r, xe, tc.code)
			}
		})
	}
	// A requestId in flight is refused too, and usable again once released.
	r, xe, _ := e.op.Reserve(ctx0, ref, "dup", e.price, &e.req)
	if xe != nil {
		t.Fatal(xe)
	}
	if _, xe, _ := e.op.Reserve(ctx0, ref, "dup", e.price, &e.req); xe == nil || xe.Code != facilitator.CodeEscrowDuplicateRequest {
		t.Fatalf("concurrent duplicate: %v", xe)
	}
	r.Release()
	if r2, xe, _ := e.op.Reserve(ctx0, ref, "dup", e.price, &e.req); xe != nil {
		t.Fatalf("released requestId not reusable: %v", xe)
	} else {
		r2.Release()
	}
	// Near expiry no new use is accepted (the final capture must land).
	skew.Store(int64(time.Until(opened.Session.ExpiresAt().Add(-time.Minute))))
	if _, xe, _ := e.op.Reserve(ctx0, ref, "late", e.price, &e.req); xe == nil || xe.Code != facilitator.CodeEscrowSessionExpiring {
		t.Fatalf("use near expiry: %v", xe)
	}
}
