package escrow

import (
	"context"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"go.uber.org/zap"
)

// An opening is a durable intent too: the session is written to the
// ledger (status opening) before authorize is sent. When the opening
// request cannot tell how authorize ended (receipt timeout, RPC error,
// crash), the capture worker finds out from the chain, paymentState
// first: mined → the session is active, and since no client got its token
// from us it is an orphan whose payer can recover the token (Recover)
// within RecoveryWindow, after which it is closed and the deposit voided;
// not mined, and it never can be (our transaction reverted, the
// authorization's validBefore passed, or its ERC-3009 nonce was used
// otherwise) → failed, nothing held. Nothing is left failed while money is
// locked.

// reconcileOpening settles a session whose authorize outcome is unknown.
func (o *Operator) reconcileOpening(ctx context.Context, s *Session) {
	s.work.Lock()
	defer s.work.Unlock()
	if s.Status() != StatusOpening {
		return
	}
	st, err := o.contract.PaymentState(ctx, s.ID)
	if err != nil {
		o.log.Warn("escrow: reconciling an opening session: reading the escrow failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
		return
	}
	if st.HasCollectedPayment {
		o.activateOrphan(ctx, s)
		return
	}
	rec := s.record()
	b := o.cfg.Sender.Backend()
	if rec.AuthorizeTx != "" {
		r, err := b.TransactionReceipt(ctx, common.HexToHash(rec.AuthorizeTx))
		if err == nil && r != nil {
			o.waitHead(ctx, r)
			if st, err := o.contract.PaymentState(ctx, s.ID); err == nil && st.HasCollectedPayment {
				o.activateOrphan(ctx, s)
				return
			}
			if r.Status != types.ReceiptStatusSuccessful {
				o.fail(s, "its authorize transaction reverted")
				return
			}
		}
	}
	if now := o.chainNow(ctx); !now.Before(time.Unix(int64(s.pi.PreApprovalExpiry), 0)) {
		o.fail(s, "its authorization expired before authorize was mined")
		return
	}
	a := ReceiveAuthorization(o.cfg.ChainID, o.cfg.Escrow, o.cfg.Collector, &s.pi)
	if used, err := evm.AuthorizationState(ctx, b, s.pi.Token, s.pi.Payer, a.Nonce); err == nil && used {
		// Used, yet the payment is not collected: cancelled by the payer
		// (or mined between our two reads: look again next time).
		if st, err := o.contract.PaymentState(ctx, s.ID); err == nil && !st.HasCollectedPayment {
			o.fail(s, "its authorization was used or cancelled elsewhere")
		}
	}
}

// activateOrphan makes an opening session whose authorize the worker found
// mined active, waiting for its payer to recover the token.
func (o *Operator) activateOrphan(ctx context.Context, s *Session) {
	now := o.cfg.Now().Unix()
	if err := o.update(s, func(r *SessionRecord) { r.Status, r.Orphan, r.OrphanSince = StatusActive, true, now }); err != nil {
		o.log.Error("escrow: recording an authorized session failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
		return
	}
	o.log.Warn("escrow session authorized without an answer to its opening request; its payer can recover the token (signed recovery) or it is voided",
		zap.String("session", s.IDHex()), zap.String("payer", s.pi.Payer.Hex()), zap.String("deposit", s.pi.MaxAmount.String()),
		zap.Duration("recovery_window", o.cfg.RecoveryWindow))
	if sh := o.shared(); sh != nil {
		if err := o.moveToShared(ctx, sh, s); err != nil {
			o.log.Warn("escrow: publishing a recovered session failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
		}
	}
}

// fail records that authorize never took the deposit.
func (o *Operator) fail(s *Session, why string) {
	if err := o.update(s, func(r *SessionRecord) { r.Status = StatusFailed }); err != nil {
		o.log.Error("escrow: recording a failed opening failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
		return
	}
	o.log.Info("escrow session not opened: "+why+"; nothing is held", zap.String("session", s.IDHex()))
}
