package facilitator

import "context"

type broadcastHookKey struct{}

// WithBroadcastHook returns a context whose settlements call fn with the
// hash (0x-hex) of every transaction signed to settle the payment, right
// before it is broadcast (write-ahead: a crash can then never leave a
// transaction on chain that fn did not hear of; one that failed to go out
// is simply never found): the first version, a re-signed retry, each
// replacement (same nonce, higher fee), and, when settlements are batched,
// the batch transaction that carries the payment. A caller that must
// survive a crash between broadcast and receipt (the paywall's journal)
// records the hashes durably, so that recovery knows the payment's own
// transactions. fn may be called from another goroutine than the Settle
// call, even after Settle returned (a batch sent after its caller gave up
// waiting), and must be quick and safe for concurrent use.
func WithBroadcastHook(ctx context.Context, fn func(tx string)) context.Context {
	return context.WithValue(ctx, broadcastHookKey{}, fn)
}

// Broadcast tells ctx's broadcast hook, if any, that tx is about to be
// broadcast. Facilitators that send transactions call it.
func Broadcast(ctx context.Context, tx string) {
	if fn, ok := ctx.Value(broadcastHookKey{}).(func(string)); ok && fn != nil {
		fn(tx)
	}
}
