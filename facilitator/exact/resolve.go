package exact

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// txReader is what ResolveSettlement needs beyond evm.Backend to follow a
// broadcast transaction that is not mined yet (ethclient and the simulated
// backend both have it).
type txReader interface {
	TransactionByHash(ctx context.Context, hash common.Hash) (*types.Transaction, bool, error)
	NonceAt(ctx context.Context, account common.Address, blockNumber *big.Int) (uint64, error)
}

// ResolveSettlement implements facilitator.SettlementResolver: how the
// settlement of p ended, from the chain, after the process that started it
// stopped before it learnt the outcome. txs are the transactions broadcast
// for it (reported by the broadcast hook before the crash).
//
//   - The authorization is used by a transfer of this payment: settled, with
//     that transaction.
//   - It is not, and nothing was broadcast: unsettled.
//   - A broadcast transaction is still waiting in the node's pool and its
//     nonce is not taken yet: pending until it is mined, its nonce is taken,
//     or the authorization expires (validBefore passed on chain), whichever
//     comes first.
//   - Otherwise: unsettled. Every transaction is mined or superseded without
//     using the authorization, the authorization expired unused, or the
//     node does not know the transaction: the hashes are recorded before the
//     broadcast (facilitator.WithBroadcastHook), so one the node never saw
//     never left (the crash came first); one it dropped can come back only
//     if someone sends it again, and the restarted sender reuses its nonce
//     for its next transaction.
func (f *Facilitator) ResolveSettlement(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements, txs []string) (facilitator.Resolution, error) {
	b := f.cfg.Backend
	if b == nil {
		return facilitator.Resolution{}, errors.New("exact facilitator: resolving a settlement needs a chain backend")
	}
	prep, err := Prepare(r)
	if err != nil {
		return facilitator.Resolution{State: facilitator.SettlementUnsettled, Reason: "the requirements cannot be settled: " + err.Error()}, nil
	}
	c, xerr := parseOnly(p, prep)
	if c == nil {
		return facilitator.Resolution{State: facilitator.SettlementUnsettled, Reason: "the payment cannot be settled: " + xerr.Error()}, nil
	}
	head, err := b.HeaderByNumber(ctx, nil)
	if err != nil {
		return facilitator.Resolution{}, fmt.Errorf("resolving a settlement: reading the head: %w", err)
	}
	used, err := evm.AuthorizationState(ctx, b, prep.Asset, c.Auth.From, c.Auth.Nonce)
	if err != nil {
		return facilitator.Resolution{}, fmt.Errorf("resolving a settlement: %w", err)
	}
	if used {
		tx, err := f.findSettlement(ctx, c, prep)
		if err != nil {
			return facilitator.Resolution{}, fmt.Errorf("resolving a settlement: looking up the used authorization: %w", err)
		}
		if tx != (common.Hash{}) {
			return facilitator.Resolution{State: facilitator.SettlementSettled, Tx: tx.Hex()}, nil
		}
		for _, h := range txs {
			if rcpt, err := b.TransactionReceipt(ctx, common.HexToHash(h)); err == nil && rcpt.Status == types.ReceiptStatusSuccessful && settledIn(rcpt, prep.Asset, &c.Auth) {
				return facilitator.Resolution{State: facilitator.SettlementSettled, Tx: h}, nil
			}
		}
		return facilitator.Resolution{State: facilitator.SettlementUnsettled, Reason: "the authorization was used or cancelled on chain without this payment's transfer"}, nil
	}
	if len(txs) == 0 {
		return facilitator.Resolution{State: facilitator.SettlementUnsettled, Reason: "no settlement transaction was broadcast"}, nil
	}
	if !c.Auth.ValidBefore.IsUint64() || head.Time < c.Auth.ValidBefore.Uint64() {
		pending, err := f.mayStillMine(ctx, txs)
		if err != nil {
			return facilitator.Resolution{}, err
		}
		if pending != "" {
			return facilitator.Resolution{State: facilitator.SettlementPending, Reason: pending}, nil
		}
		// A transaction may have been mined with the payment between the
		// two reads: only a second look at the authorization is final.
		if used, err := evm.AuthorizationState(ctx, b, prep.Asset, c.Auth.From, c.Auth.Nonce); err != nil || used {
			return facilitator.Resolution{State: facilitator.SettlementPending, Reason: "the authorization changed while resolving"}, err
		}
		return facilitator.Resolution{State: facilitator.SettlementUnsettled, Reason: "every broadcast transaction ended without using the authorization"}, nil
	}
	return facilitator.Resolution{State: facilitator.SettlementUnsettled, Reason: "the authorization expired unused"}, nil
}

// mayStillMine returns why one of txs could still use the authorization
// ("" when none can): it is waiting in the node's pool with a nonce the
// account has not passed.
func (f *Facilitator) mayStillMine(ctx context.Context, txs []string) (string, error) {
	b := f.cfg.Backend
	tr, _ := b.(txReader)
	signer := types.LatestSignerForChainID(new(big.Int).SetUint64(f.cfg.ChainID))
	for _, h := range txs {
		hash := common.HexToHash(h)
		if _, err := b.TransactionReceipt(ctx, hash); err == nil {
			continue // mined, without this payment
		} else if !errors.Is(err, ethereum.NotFound) {
			return "", fmt.Errorf("resolving a settlement: receipt of %s: %w", h, err)
		}
		if tr == nil {
			return fmt.Sprintf("transaction %s is not mined yet", h), nil
		}
		tx, _, err := tr.TransactionByHash(ctx, hash)
		switch {
		case errors.Is(err, ethereum.NotFound):
			continue // never sent (recorded ahead of a broadcast that did not happen), or dropped
		case err != nil:
			return "", fmt.Errorf("resolving a settlement: transaction %s: %w", h, err)
		}
		from, err := types.Sender(signer, tx)
		if err != nil {
			return fmt.Sprintf("transaction %s is waiting (sender unreadable: %v)", h, err), nil
		}
		mined, err := tr.NonceAt(ctx, from, nil)
		if err != nil {
			return "", fmt.Errorf("resolving a settlement: nonce of %s: %w", from.Hex(), err)
		}
		if tx.Nonce() >= mined {
			return fmt.Sprintf("transaction %s (nonce %d) is waiting in the node's pool", h, tx.Nonce()), nil
		}
		// Its nonce is taken by another transaction: it can never be mined.
	}
	return "", nil
}

var _ facilitator.SettlementResolver = (*Facilitator)(nil)
