package paywall

import (
	"context"
	"math/big"
	"net/http"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// Scheme verifies payments of one x402 scheme in-process. An Offer holds
// one per accepted requirement.
type Scheme interface {
	// Accept verifies p against the offer and claims it (the nonce in the
	// replay guard, or the session balance), so that it cannot be used by
	// another request. A rejection carries the HTTP status and x402 error.
	Accept(ctx context.Context, e *Engine, r *http.Request, p *facilitator.PaymentPayload, o *Offer) (Claim, *Rejection)
}

// Claim is a verified, claimed payment whose upstream request is under way.
// Exactly one of Settle or Release ends it.
type Claim interface {
	// Payer is the verified paying address.
	Payer() string
	// Scheme is the scheme name, for logs and metrics.
	Scheme() string
	// Settle charges the payment. It may be called again after an error or a
	// settlement_pending answer (settlement is idempotent).
	Settle(ctx context.Context) (facilitator.SettleResponse, error)
	// Release gives the payment back: nothing is charged and it may be used
	// again.
	Release(ctx context.Context)
	// Queued is the PAYMENT-RESPONSE sent when settlement happens after the
	// response (settle mode "after").
	Queued() facilitator.SettleResponse
	// Deadline is the last moment settlement can succeed (the
	// authorization's validBefore); the queue stops retrying after it.
	Deadline() time.Time
	// Entry describes the claim for the journal; the caller sets State, Due
	// and Route. Nil means the scheme keeps its own durable record.
	Entry() *Entry
	// Deferred is true when settlement is slow (on chain) and may be queued
	// ("after" mode); false when it is a local ledger write that is done at
	// the upstream's status line in every mode.
	Deferred() bool
}

// Answerer is a claim that is its own answer (closing an escrow session):
// the route writes it and never calls the upstream.
type Answerer interface {
	Answer() (status int, resp facilitator.SettleResponse)
}

// Opener is a claim that opened something its client must learn about
// even when the request is not charged: an escrow session's deposit is
// taken, so the answer carries the session's token whatever the upstream
// answered.
type Opener interface {
	// Uncharged is the PAYMENT-RESPONSE for an answer that is not charged;
	// false when there is nothing to tell.
	Uncharged() (facilitator.SettleResponse, bool)
}

// Metered is a claim whose charge the upstream may lower by reporting the
// actual cost in the route's charge header (usage-based pricing, capped by
// the route's price).
type Metered interface {
	SetCharge(units *big.Int)
}

// Rejection is why a payment was refused: the HTTP status (400 malformed,
// 402 invalid, 503 busy) and the x402 error.
type Rejection struct {
	Status int
	Err    *facilitator.Error
}

func reject(status int, code, format string, args ...any) *Rejection {
	return &Rejection{Status: status, Err: facilitator.Errorf(code, format, args...)}
}
