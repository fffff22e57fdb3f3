package escrow

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/core/types"
	"go.uber.org/zap"
)

// authorize takes the deposit: the session is recorded as opening (ledger
// and memory, a durable intent the capture worker reconciles if this
// request cannot), authorize is sent and its receipt awaited, then the
// session is active and, with a shared store, published. The price of the
// opening request is reserved under requestID.
//
// Once authorize is mined the deposit is taken, so the token is returned
// whatever happens next (Opened.Unserved when the request cannot be served
// now); before that, a failure that may have broadcast authorize leaves
// the session opening for the worker, and one that cannot records it
// failed.
func (o *Operator) authorize(ctx context.Context, id [32]byte, pi *PaymentInfo, sig []byte, requestID string, price *big.Int, req *facilitator.PaymentRequirements) (*Opened, *facilitator.Error, error) {
	st, err := o.contract.PaymentState(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if st.HasCollectedPayment {
		return nil, facilitator.Errorf(facilitator.CodeEscrowAlreadyCollected, "payment %x is already authorized on the escrow", id), nil
	}
	token, tokenHash, err := newToken()
	if err != nil {
		return nil, nil, err
	}
	rec := &SessionRecord{ID: fmt.Sprintf("0x%x", id), Network: o.cfg.Network, Escrow: o.cfg.Escrow.Hex(), Collector: o.cfg.Collector.Hex(),
		PaymentInfo: *pi, Signature: fmt.Sprintf("0x%x", sig), TokenHash: fmt.Sprintf("%x", tokenHash), Status: StatusOpening, Created: time.Now().Unix()}
	if err := o.ledger.PutSession(id, rec); err != nil {
		return nil, nil, err
	}
	s := newSession(id, rec)
	o.mu.Lock()
	o.sessions[id] = s
	o.mu.Unlock()
	failed := func(xe *facilitator.Error) (*Opened, *facilitator.Error, error) {
		if err := o.update(s, func(r *SessionRecord) { r.Status = StatusFailed }); err != nil {
			o.log.Error("escrow: recording a failed opening failed", zap.String("session", s.IDHex()), zap.Error(err))
		}
		return nil, xe, nil
	}

	collectorData, err := CollectorData(ctx, o.cfg.Sender.Backend(), pi.Payer, sig)
	if err != nil {
		return failed(facilitator.Wrap(facilitator.CodeEscrowSignature, "", err))
	}
	data, err := PackAuthorize(pi, pi.MaxAmount, o.cfg.Collector, collectorData)
	if err != nil {
		return failed(facilitator.Errorf(facilitator.CodeEscrowDeposit, "%v", err))
	}
	tx, err := o.broadcast(ctx, data)
	if err != nil {
		var ee *Error
		if errors.As(err, &ee) {
			// Refused at estimation: nothing was broadcast, nothing is held.
			return failed(facilitator.Errorf(facilitator.CodeEscrowAuthorizeFailed, "authorize would revert: %s", Reason(ee)))
		}
		// The node may or may not have it: the worker finds out.
		o.kick()
		return nil, nil, fmt.Errorf("escrow: sending authorize: %w", err)
	}
	if err := o.update(s, func(r *SessionRecord) { r.AuthorizeTx = tx.Hash().Hex() }); err != nil {
		o.log.Error("escrow: recording the authorize transaction failed", zap.String("session", s.IDHex()), zap.Error(err))
	}
	rcpt, err := o.await(ctx, tx)
	if err != nil {
		o.kick()
		return nil, nil, fmt.Errorf("escrow: authorize %s is not mined yet (the session is reconciled from the chain; its payer can recover the token once it is): %w", tx.Hash().Hex(), err)
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return failed(facilitator.Errorf(facilitator.CodeEscrowAuthorizeFailed, "authorize transaction %s reverted", tx.Hash().Hex()))
	}
	if err := o.update(s, func(r *SessionRecord) { r.Status = StatusActive }); err != nil {
		// Mined: the token goes out; the worker reconciles the record.
		o.log.Error("escrow: recording an opened session failed", zap.String("session", s.IDHex()), zap.Error(err))
	}
	o.log.Info("escrow session opened", zap.String("session", s.IDHex()), zap.String("payer", pi.Payer.Hex()),
		zap.String("deposit", pi.MaxAmount.String()), zap.String("tx", tx.Hash().Hex()))
	opened := &Opened{Session: s, Token: token, Tx: tx.Hash()}
	if sh := o.shared(); sh != nil {
		if err := o.moveToShared(ctx, sh, s); err != nil {
			o.kick() // the worker publishes it
			opened.Unserved = err
			return opened, nil, nil
		}
	}
	resv, xe, err := o.reserveIn(ctx, s, tokenHash, requestID, price, req)
	switch {
	case err != nil:
		opened.Unserved = err
	case xe != nil:
		opened.Unserved = xe
	default:
		opened.Reservation = resv
	}
	return opened, nil, nil
}
