package exact

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// settledIn reports whether receipt r settled the authorization: the asset
// emitted AuthorizationUsed(from, nonce) for it and, right next to it (one
// call of transferWithAuthorization emits both, nothing between),
// Transfer(from, to, value). The nonce makes it this authorization's; a
// batch may hold other payments with the same payer, payee and amount.
func settledIn(r *types.Receipt, asset common.Address, a *evm.Authorization) bool {
	value := a.Value.Bytes32()
	isTransfer := func(l *types.Log) bool {
		return l.Address == asset && len(l.Topics) == 3 && l.Topics[0] == evm.TransferTopic &&
			common.BytesToAddress(l.Topics[1][:]) == a.From && common.BytesToAddress(l.Topics[2][:]) == a.To &&
			bytes.Equal(l.Data, value[:])
	}
	for i, l := range r.Logs {
		if l.Address != asset || len(l.Topics) != 3 || l.Topics[0] != evm.AuthorizationUsedTopic ||
			common.BytesToAddress(l.Topics[1][:]) != a.From || l.Topics[2] != common.Hash(a.Nonce) {
			continue
		}
		if i+1 < len(r.Logs) && isTransfer(r.Logs[i+1]) || i > 0 && isTransfer(r.Logs[i-1]) {
			return true
		}
	}
	return false
}

// unsettled answers for a payment whose call did not settle it in the
// mined transaction r: why, read from the chain as it is now (the nonce
// used by another transaction, the payer's balance, the window), or
// transaction_failed when nothing explains it.
func (f *Facilitator) unsettled(ctx context.Context, c *Checked, prep *Prepared, key authKey, resp facilitator.SettleResponse, r *types.Receipt) (facilitator.SettleResponse, error) {
	b := f.cfg.Backend
	used, err := evm.AuthorizationState(ctx, b, prep.Asset, c.Auth.From, c.Auth.Nonce)
	if err != nil {
		return resp, fmt.Errorf("settling: transaction %s did not settle the payment; reading its authorization state: %w", r.TxHash.Hex(), err)
	}
	if used {
		return f.usedOnChain(ctx, c, prep, key, resp)
	}
	if bal, err := evm.BalanceOf(ctx, b, prep.Asset, c.Auth.From); err == nil && bal.Lt(&c.Auth.Value) {
		return failed(resp, facilitator.Errorf(facilitator.CodeExactInsufficientBalance, "payer holds %s, needs %s (transaction %s)", bal.Dec(), c.Auth.Value.Dec(), r.TxHash.Hex()), c.Payer()), nil
	}
	if h, err := b.HeaderByNumber(ctx, r.BlockNumber); err == nil && h.Time >= c.Auth.ValidBefore.Uint64() {
		return failed(resp, facilitator.Errorf(facilitator.CodeExactValidBefore, "authorization expired at %s, before block %d (transaction %s)",
			time.Unix(int64(c.Auth.ValidBefore.Uint64()), 0).UTC().Format(time.RFC3339), r.BlockNumber, r.TxHash.Hex()), c.Payer()), nil
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return failed(resp, facilitator.Errorf(facilitator.CodeExactTxFailed, "settlement transaction %s reverted", r.TxHash.Hex()), c.Payer()), nil
	}
	return failed(resp, facilitator.Errorf(facilitator.CodeExactTxFailed, "the transfer failed in transaction %s", r.TxHash.Hex()), c.Payer()), nil
}
