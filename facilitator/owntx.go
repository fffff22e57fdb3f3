package facilitator

import (
	"context"
	"strings"
)

// ownTxKey carries the transactions a caller already sent for the payment
// it settles.
type ownTxKey struct{}

// WithOwnTransactions marks ctx as the settlement of one request's payment
// and lists the transactions already broadcast for that request (earlier
// attempts, or hashes recorded in a journal before a crash). A facilitator
// that finds the authorization already used on chain by a transaction not
// in this list answers that the nonce is already used, with that
// transaction in SettleResponse.Transaction, instead of reporting it as
// this request's success: another request presented the same payment and
// was settled first (a replay incident; see IsReplayIncident). Without the
// mark, settling an authorization that is already settled answers success
// with the original transaction (idempotent settlement).
func WithOwnTransactions(ctx context.Context, txs ...string) context.Context {
	own := make([]string, 0, len(txs))
	for _, tx := range txs {
		if tx != "" {
			own = append(own, tx)
		}
	}
	return context.WithValue(ctx, ownTxKey{}, own)
}

// OwnTransactions reports whether ctx carries the mark of
// WithOwnTransactions, and the transactions it lists.
func OwnTransactions(ctx context.Context) (txs []string, marked bool) {
	txs, marked = ctx.Value(ownTxKey{}).([]string)
	return txs, marked
}

// IsOwnTransaction reports whether tx is one of the transactions the mark
// of ctx lists, or whether ctx has no mark (then every settlement found on
// chain counts as the caller's own).
func IsOwnTransaction(ctx context.Context, tx string) bool {
	txs, marked := OwnTransactions(ctx)
	if !marked {
		return true
	}
	for _, t := range txs {
		if strings.EqualFold(t, tx) {
			return true
		}
	}
	return false
}

// IsReplayIncident reports whether a settle answer says the payment's
// authorization was used on chain by another request's transaction (the
// answer to a settlement marked with WithOwnTransactions): one payment
// bought two responses, and this one is unpaid.
func IsReplayIncident(resp SettleResponse) bool {
	return !resp.Success && resp.Transaction != "" &&
		(resp.ErrorReason == CodeExactNonceUsed)
}
