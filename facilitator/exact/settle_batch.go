package exact

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"go.uber.org/zap"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// settleBatched hands the payment to the Batcher and answers from its
// outcome: left out of the batch because its call would revert (the
// reason, or the transaction that already settled it), or sent in a batch
// transaction whose receipt says whether this payment's call settled it.
func (f *Facilitator) settleBatched(ctx context.Context, c *Checked, prep *Prepared, key authKey, resp facilitator.SettleResponse) (facilitator.SettleResponse, error) {
	data, err := c.transferCalldata()
	if err != nil {
		return failed(resp, facilitator.Wrap(facilitator.CodeExactExecuteTransfer, "packing transferWithAuthorization", err), c.Payer()), nil
	}
	call := &batchCall{target: prep.Asset, data: data, beforeSend: broadcastHook(ctx),
		sent: func(first common.Hash) { f.sent(key, first) }, canceled: func() bool { return ctx.Err() != nil }}
	f.batcher.add(call)
	select {
	case <-call.done:
	case <-ctx.Done():
		// If the batch goes out after all, the settlement is remembered
		// as pending (sent) and a retry waits for it.
		return resp, ctx.Err()
	}
	switch {
	case errors.Is(call.err, ErrNoMulticall3):
		return f.settleOne(ctx, c, prep, key, resp)
	case call.err != nil:
		return resp, fmt.Errorf("settling: %w", call.err)
	case call.revert != nil:
		return f.reverted(ctx, c, prep, key, resp, call.revert)
	}
	tx := call.pending.First().Hash()
	f.log.Debug("settlement broadcast in a batch", zap.String("tx", tx.Hex()), zap.String("payer", c.Payer()), zap.String("amount", c.Auth.Value.Dec()))
	return f.await(ctx, tx, c, prep, key, resp, true)
}

// reverted answers for a payment whose call reverted in the batch's
// simulation: a used nonce may be this payment settled before (a retry
// after a crash), anything else fails with the token's reason.
func (f *Facilitator) reverted(ctx context.Context, c *Checked, prep *Prepared, key authKey, resp facilitator.SettleResponse, re *evm.RevertError) (facilitator.SettleResponse, error) {
	xe := revertToError(re)
	if xe.Code == facilitator.CodeExactNonceUsed || strings.Contains(strings.ToLower(re.Reason), "canceled") {
		return f.usedOnChain(ctx, c, prep, key, resp)
	}
	return failed(resp, xe, c.Payer()), nil
}
