package exact

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"go.uber.org/zap"
)

// Settle executes the payment with transferWithAuthorization and waits for
// its receipt. It is idempotent per authorization: settling one this
// facilitator (or anyone, within LogLookback blocks) already settled returns
// the original transaction; concurrent calls for one authorization share one
// transaction. A receipt that does not arrive within ReceiptTimeout gives
// success=false, errorReason settlement_pending and the transaction hash;
// settling again later waits for that same transaction.
func (f *Facilitator) Settle(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
	resp := facilitator.SettleResponse{Network: r.Network}
	if f.sender == nil {
		return resp, errors.New("exact facilitator: settlement needs a chain backend and a key")
	}
	prep, err := Prepare(r)
	if err != nil {
		xe := facilitator.AsError(err, facilitator.CodeInvalidPaymentRequirements)
		return failed(resp, xe, ""), nil
	}
	if prep.ChainID != f.cfg.ChainID {
		return failed(resp, facilitator.Errorf(facilitator.CodeExactNetworkConfig, "this facilitator settles on %s, not %s", f.network, r.Network), ""), nil
	}
	c, xerr := Check(p, prep, f.cfg.Now(), f.cfg.MaxValidity)
	if c == nil && xerr != nil && xerr.Code != facilitator.CodeExactValidBefore {
		return failed(resp, xerr, ""), nil
	}
	if c == nil {
		// Expired: only an authorization already settled may still answer.
		expired := xerr
		if c, xerr = parseOnly(p, prep); c == nil {
			return failed(resp, xerr, ""), nil
		}
		resp.Payer = c.Payer()
		return f.settleExpired(ctx, c, prep, resp, expired)
	}
	resp.Payer = c.Payer()
	key := keyOf(prep, c)

	f.mu.Lock()
	if fl, ok := f.inflight[key]; ok {
		f.mu.Unlock()
		if f.cfg.SettleOnce {
			return failed(resp, facilitator.Errorf(facilitator.CodeExactNonceUsed, "this authorization is being settled by another request"), c.Payer()), nil
		}
		select {
		case <-fl.done:
			if fl.err == nil && fl.resp.Success {
				return f.replayed(ctx, fl.resp, fl.resp.Transaction)
			}
			return fl.resp, fl.err
		case <-ctx.Done():
			return resp, ctx.Err()
		}
	}
	fl := &flight{done: make(chan struct{}), err: errSettleAborted}
	f.inflight[key] = fl
	f.mu.Unlock()
	// Release the waiters however settle ends, a panic included; they then
	// see errSettleAborted and may retry.
	defer func() {
		f.mu.Lock()
		delete(f.inflight, key)
		f.mu.Unlock()
		close(fl.done)
	}()
	fl.resp, fl.err = f.settle(ctx, c, prep, key, resp)
	return fl.resp, fl.err
}

var errSettleAborted = errors.New("exact facilitator: a concurrent settlement of this authorization was aborted")

func (f *Facilitator) settle(ctx context.Context, c *Checked, prep *Prepared, key authKey, resp facilitator.SettleResponse) (facilitator.SettleResponse, error) {
	if s, ok := f.settled.Get(key); ok {
		if !s.pending {
			resp.Transaction = s.tx.Hex()
			if f.cfg.SettleOnce {
				return failed(resp, facilitator.Errorf(facilitator.CodeExactNonceUsed, "this authorization was already settled (transaction %s)", s.tx.Hex()), c.Payer()), nil
			}
			resp.Success = true
			return f.replayed(ctx, resp, resp.Transaction)
		}
		if !facilitator.IsOwnTransaction(ctx, s.tx.Hex()) {
			resp.Success = true
			return f.replayed(ctx, resp, s.tx.Hex())
		}
		return f.await(ctx, s.tx, c, prep, key, resp, f.batcher != nil)
	}
	if tx, ok := f.ownInFlight(ctx); ok {
		f.log.Info("settlement: waiting for this payment's transaction sent before a restart", zap.String("tx", tx.Hex()), zap.String("payer", c.Payer()))
		f.sent(key, tx)
		return f.await(ctx, tx, c, prep, key, resp, f.batcher != nil)
	}
	if c.NeedsChain {
		if xerr, err := f.checkContractSignature(ctx, c); err != nil || xerr != nil {
			return failed(resp, xerr, c.Payer()), err
		}
	}
	if f.batcher != nil {
		return f.settleBatched(ctx, c, prep, key, resp)
	}
	return f.settleOne(ctx, c, prep, key, resp)
}

// ownInFlight returns a transaction the caller already sent for this
// payment (facilitator.WithOwnTransactions: after a restart, from its
// journal) that the node still holds unmined. The Sender adopts it (watched,
// replaced if stuck) and it is waited for instead of sending the payment
// again.
func (f *Facilitator) ownInFlight(ctx context.Context) (common.Hash, bool) {
	txs, _ := facilitator.OwnTransactions(ctx)
	for _, h := range txs {
		hash := common.HexToHash(h)
		if _, ok := f.sender.Adopt(ctx, hash); ok {
			return hash, true
		}
	}
	return common.Hash{}, false
}

// settleOne settles the payment in a transaction of its own.
func (f *Facilitator) settleOne(ctx context.Context, c *Checked, prep *Prepared, key authKey, resp facilitator.SettleResponse) (facilitator.SettleResponse, error) {
	used, err := evm.AuthorizationState(ctx, f.cfg.Backend, prep.Asset, c.Auth.From, c.Auth.Nonce)
	if err != nil {
		return resp, fmt.Errorf("settling: %w", err)
	}
	if used {
		return f.usedOnChain(ctx, c, prep, key, resp)
	}
	data, err := c.transferCalldata()
	if err != nil {
		return failed(resp, facilitator.Wrap(facilitator.CodeExactExecuteTransfer, "packing transferWithAuthorization", err), c.Payer()), nil
	}
	p, err := f.sender.Submit(ctx, prep.Asset, data, 0, broadcastHook(ctx))
	if err != nil {
		var re *evm.RevertError
		if errors.As(err, &re) {
			return failed(resp, revertToError(re), c.Payer()), nil
		}
		return resp, fmt.Errorf("settling: %w", err)
	}
	observeMined(f.cfg.Observer, f.cfg.ChainID, p, []*batchCall{{target: prep.Asset}})
	tx := p.First().Hash()
	f.sent(key, tx)
	f.log.Debug("settlement broadcast", zap.String("tx", tx.Hex()), zap.String("payer", c.Payer()), zap.String("amount", c.Auth.Value.Dec()))
	return f.await(ctx, tx, c, prep, key, resp, false)
}

// broadcastHook tells ctx's broadcast hook about each version of a
// settlement's transaction before it goes out.
func broadcastHook(ctx context.Context) func(*types.Transaction) {
	return func(tx *types.Transaction) { facilitator.Broadcast(ctx, tx.Hash().Hex()) }
}

// sent remembers a broadcast settlement as pending under its first
// transaction's hash, so that a retry waits for it (Sender.WaitReceipt
// follows replacements); the first hash stays its name, as a
// settlement_pending answer gives it.
func (f *Facilitator) sent(key authKey, first common.Hash) {
	f.settled.Add(key, settlement{tx: first, pending: true})
}

// usedOnChain answers for an authorization whose nonce the token reports
// used: success with the transaction that settled exactly this payment
// (this facilitator's, before a restart, or anyone's within LogLookback
// blocks), or nonce_already_used when none did (cancelled, or used for
// another transfer).
func (f *Facilitator) usedOnChain(ctx context.Context, c *Checked, prep *Prepared, key authKey, resp facilitator.SettleResponse) (facilitator.SettleResponse, error) {
	tx, err := f.findSettlement(ctx, c, prep)
	if err != nil {
		return resp, fmt.Errorf("settling: looking up the used authorization: %w", err)
	}
	if tx == (common.Hash{}) {
		return failed(resp, facilitator.Errorf(facilitator.CodeExactNonceUsed, "authorization nonce is already used or cancelled on chain"), c.Payer()), nil
	}
	f.settled.Add(key, settlement{tx: tx})
	if f.cfg.SettleOnce {
		resp.Transaction = tx.Hex()
		return failed(resp, facilitator.Errorf(facilitator.CodeExactNonceUsed, "this authorization was already settled (transaction %s)", tx.Hex()), c.Payer()), nil
	}
	resp.Success, resp.Transaction = true, tx.Hex()
	return f.replayed(ctx, resp, resp.Transaction)
}

// settleExpired answers for an authorization outside its window: the
// transaction that settled it (this process's, pending or not, or anyone's
// within LogLookback blocks), else the expiry error.
func (f *Facilitator) settleExpired(ctx context.Context, c *Checked, prep *Prepared, resp facilitator.SettleResponse, expired *facilitator.Error) (facilitator.SettleResponse, error) {
	key := keyOf(prep, c)
	if s, ok := f.settled.Get(key); ok {
		if !s.pending {
			resp.Transaction = s.tx.Hex()
			if f.cfg.SettleOnce {
				return failed(resp, expired, c.Payer()), nil
			}
			resp.Success = true
			return f.replayed(ctx, resp, resp.Transaction)
		}
		if !facilitator.IsOwnTransaction(ctx, s.tx.Hex()) {
			resp.Success = true
			return f.replayed(ctx, resp, s.tx.Hex())
		}
		return f.await(ctx, s.tx, c, prep, key, resp, f.batcher != nil)
	}
	if f.cfg.SettleOnce {
		return failed(resp, expired, c.Payer()), nil
	}
	tx, err := f.findSettlement(ctx, c, prep)
	if err != nil {
		return resp, fmt.Errorf("settling: looking up an expired authorization: %w", err)
	}
	if tx == (common.Hash{}) {
		return failed(resp, expired, c.Payer()), nil
	}
	f.settled.Add(key, settlement{tx: tx})
	resp.Success, resp.Transaction = true, tx.Hex()
	return f.replayed(ctx, resp, resp.Transaction)
}

// replayed turns a settlement found already made (on chain, in this
// process's cache, or by a concurrent call) into the nonce-used failure
// when the caller marked its own transactions (facilitator.
// WithOwnTransactions) and tx is not one of them: another request was
// settled with this payment, so it is not this request's success (a replay
// incident). Unmarked callers keep the idempotent success.
func (f *Facilitator) replayed(ctx context.Context, resp facilitator.SettleResponse, tx string) (facilitator.SettleResponse, error) {
	if facilitator.IsOwnTransaction(ctx, tx) {
		return resp, nil
	}
	resp.Transaction = tx
	return failed(resp, facilitator.Errorf(facilitator.CodeExactNonceUsed,
		"this payment's authorization was already used on chain by transaction %s, which this request did not send: another request used the same payment", tx), ""), nil
}

// await waits for the receipt of a settlement transaction (following its
// replacements) and reads this payment's outcome from it. batched says the
// transaction is a batch: one whose every call failed (out of gas) is
// retried, not a final failure.
func (f *Facilitator) await(ctx context.Context, tx common.Hash, c *Checked, prep *Prepared, key authKey, resp facilitator.SettleResponse, batched bool) (facilitator.SettleResponse, error) {
	resp.Transaction = tx.Hex()
	wctx, cancel := context.WithTimeout(ctx, f.cfg.ReceiptTimeout)
	defer cancel()
	rcpt, err := f.sender.WaitReceipt(wctx, tx)
	if err != nil {
		if ctx.Err() != nil {
			return resp, ctx.Err()
		}
		if errors.Is(err, evm.ErrNonceConsumed) {
			f.settled.Remove(key)
			return resp, fmt.Errorf("settling: transaction %s: %w", tx.Hex(), err)
		}
		resp.ErrorReason = facilitator.CodeSettlementPending
		resp.ErrorMessage = "transaction broadcast, receipt not seen yet; settle again to keep waiting"
		return resp, nil
	}
	// A replacement (same nonce, higher fee) may be the version mined.
	tx = rcpt.TxHash
	resp.Transaction = tx.Hex()
	if rcpt.Status == types.ReceiptStatusSuccessful && settledIn(rcpt, prep.Asset, &c.Auth) {
		f.settled.Add(key, settlement{tx: tx})
		resp.Success = true
		return resp, nil
	}
	f.settled.Remove(key)
	if rcpt.Status != types.ReceiptStatusSuccessful && batched {
		return resp, fmt.Errorf("settling: batch transaction %s reverted as a whole (gas used %d); settling again", tx.Hex(), rcpt.GasUsed)
	}
	return f.unsettled(ctx, c, prep, key, resp, rcpt)
}

// findSettlement looks for the AuthorizationUsed event of an authorization
// within LogLookback blocks and returns the transaction that used it, if
// that transaction moved exactly this payment.
func (f *Facilitator) findSettlement(ctx context.Context, c *Checked, prep *Prepared) (common.Hash, error) {
	head, err := f.cfg.Backend.HeaderByNumber(ctx, nil)
	if err != nil {
		return common.Hash{}, err
	}
	from := new(big.Int)
	if n := head.Number.Uint64(); n > f.cfg.LogLookback {
		from.SetUint64(n - f.cfg.LogLookback)
	}
	logs, err := f.cfg.Backend.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: from,
		Addresses: []common.Address{prep.Asset},
		Topics:    [][]common.Hash{{evm.AuthorizationUsedTopic}, {common.BytesToHash(c.Auth.From[:])}, {c.Auth.Nonce}},
	})
	if err != nil {
		return common.Hash{}, err
	}
	for _, l := range logs {
		rcpt, err := f.cfg.Backend.TransactionReceipt(ctx, l.TxHash)
		if err != nil {
			return common.Hash{}, err
		}
		if rcpt.Status == types.ReceiptStatusSuccessful && settledIn(rcpt, prep.Asset, &c.Auth) {
			return l.TxHash, nil
		}
	}
	return common.Hash{}, nil
}

func keyOf(prep *Prepared, c *Checked) authKey {
	return authKey{asset: prep.Asset, from: c.Auth.From, nonce: c.Auth.Nonce, digest: c.Digest}
}

// parseOnly extracts the authorization without judging its validity window
// (used to look up expired but already settled authorizations).
func parseOnly(p *facilitator.PaymentPayload, prep *Prepared) (*Checked, *facilitator.Error) {
	return check(p, prep, time.Time{}, 0, false)
}

func failed(resp facilitator.SettleResponse, xe *facilitator.Error, payer string) facilitator.SettleResponse {
	if xe != nil {
		resp.ErrorReason, resp.ErrorMessage = xe.Code, xe.Message
	}
	if payer != "" {
		resp.Payer = payer
	}
	resp.Success = false
	return resp
}

// erc20InsufficientBalance is the selector of OpenZeppelin's
// ERC20InsufficientBalance(address,uint256,uint256).
var erc20InsufficientBalance = evm.Selector("ERC20InsufficientBalance(address,uint256,uint256)")

// revertToError maps a reverted transferWithAuthorization to an x402 code,
// recognising FiatToken's revert strings and common custom errors.
func revertToError(re *evm.RevertError) *facilitator.Error {
	r := strings.ToLower(re.Reason)
	switch {
	case strings.Contains(r, "authorization is expired") || strings.Contains(r, "authorizationexpired"):
		return facilitator.Errorf(facilitator.CodeExactValidBefore, "token says: %s", re.Reason)
	case strings.Contains(r, "not yet valid"):
		return facilitator.Errorf(facilitator.CodeExactValidAfter, "token says: %s", re.Reason)
	case strings.Contains(r, "authorization is used") || strings.Contains(r, "used or canceled") || strings.Contains(r, "authorizationalreadyused"):
		return facilitator.Errorf(facilitator.CodeExactNonceUsed, "token says: %s", re.Reason)
	case strings.Contains(r, "exceeds balance") || re.Selector() == erc20InsufficientBalance:
		return facilitator.Errorf(facilitator.CodeExactInsufficientBalance, "payer balance is below the amount")
	case strings.Contains(r, "invalid signature") || strings.Contains(r, "signermismatch"):
		return facilitator.Errorf(facilitator.CodeExactSignature, "token says: %s", re.Reason)
	}
	return facilitator.Errorf(facilitator.CodeExactExecuteTransfer, "transfer would revert: %s", re.Error())
}
