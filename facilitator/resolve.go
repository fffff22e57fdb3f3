package facilitator

import (
	"context"
	"errors"
)

// SettlementState is how an interrupted settlement ended, as read from the
// chain by a SettlementResolver.
type SettlementState string

const (
	// SettlementSettled: the payment is on chain (Resolution.Tx, when the
	// transaction could be found).
	SettlementSettled SettlementState = "settled"
	// SettlementUnsettled: nothing was charged and nothing sent for it can
	// charge it any more: nothing was broadcast, every broadcast transaction
	// is mined or dropped without using the authorization (or its nonce was
	// taken by another transaction), or the authorization expired unused.
	SettlementUnsettled SettlementState = "unsettled"
	// SettlementPending: a broadcast transaction may still be mined; ask
	// again later.
	SettlementPending SettlementState = "pending"
)

// Resolution is a SettlementResolver's answer.
type Resolution struct {
	State  SettlementState
	Tx     string // the settling transaction (SettlementSettled)
	Reason string // for logs: why it is unsettled or pending
}

// SettlementResolver is implemented by facilitators that can tell from the
// chain how a settlement ended when the process that started it stopped
// before it learnt the outcome (kill -9 during a synchronous settlement).
// txs are the transactions the settlement's broadcast hook reported (see
// WithBroadcastHook) before the crash; empty when none was recorded.
type SettlementResolver interface {
	ResolveSettlement(ctx context.Context, p *PaymentPayload, r *PaymentRequirements, txs []string) (Resolution, error)
}

// ErrNoResolver means the facilitator of a requirement cannot resolve an
// interrupted settlement (a remote facilitator: its transactions are not
// ours to read).
var ErrNoResolver = errors.New("the facilitator cannot resolve interrupted settlements")

// ResolveSettlement dispatches to the facilitator for r when it is a
// SettlementResolver, else fails with ErrNoResolver.
func (rt *Router) ResolveSettlement(ctx context.Context, p *PaymentPayload, r *PaymentRequirements, txs []string) (Resolution, error) {
	f, err := rt.route(r)
	if err != nil {
		return Resolution{}, err
	}
	res, ok := f.(SettlementResolver)
	if !ok {
		return Resolution{}, ErrNoResolver
	}
	return res.ResolveSettlement(ctx, p, r, txs)
}

var _ SettlementResolver = (*Router)(nil)
