package evm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"go.uber.org/zap"
)

// PendingTx is a transaction of a Sender, followed until one of its
// versions (the first broadcast or a replacement with the same nonce) is
// mined.
type PendingTx struct {
	s          *Sender
	nonce      uint64
	to         common.Address
	data       []byte
	gas        uint64
	beforeSend func(*types.Transaction)
	first      time.Time
	done       chan struct{}

	// guarded by s.mu
	tip, feeCap *big.Int
	txs         []*types.Transaction // every version broadcast, oldest first
	cancels     []func()
	sentHead    uint64 // first head seen after the last broadcast (0: none yet)
	consumed    int    // checks that found the nonce used but none of our versions mined
	stuckLogged bool
	finished    bool
	rcpt        *types.Receipt
	err         error
}

// ErrNonceConsumed means another transaction from the same account (not
// one this Sender signed) took the nonce of a pending transaction: it will
// never be mined.
var ErrNonceConsumed = errors.New("the nonce was used by another transaction from this account")

// Nonce is the transaction's nonce.
func (p *PendingTx) Nonce() uint64 { return p.nonce }

// First is the version broadcast first.
func (p *PendingTx) First() *types.Transaction {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.txs[0]
}

// Latest is the version broadcast last.
func (p *PendingTx) Latest() *types.Transaction {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.txs[len(p.txs)-1]
}

// Done is closed once a version is mined (or the nonce was lost).
func (p *PendingTx) Done() <-chan struct{} { return p.done }

// Wait returns the receipt of the version that was mined (its TxHash says
// which), ErrNonceConsumed, or ctx's error.
func (p *PendingTx) Wait(ctx context.Context) (*types.Receipt, error) {
	select {
	case <-p.done:
		return p.rcpt, p.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the receipt of %s (nonce %d): %w", p.Latest().Hash().Hex(), p.nonce, ctx.Err())
	case <-p.s.closed:
		return nil, ErrSenderClosed
	}
}

// cancelWatches stops watching every version. s.mu is held or p unshared.
func (p *PendingTx) cancelWatches() {
	for _, c := range p.cancels {
		c()
	}
	p.cancels = nil
}

// resolve ends p with a receipt or an error (once).
func (s *Sender) resolve(p *PendingTx, r *types.Receipt, err error) {
	s.mu.Lock()
	if p.finished {
		s.mu.Unlock()
		return
	}
	p.finished, p.rcpt, p.err = true, r, err
	if s.pending[p.nonce] == p {
		delete(s.pending, p.nonce)
	}
	for _, tx := range p.txs {
		delete(s.byHash, tx.Hash())
		s.resolved.Add(tx.Hash(), p)
	}
	cancels := p.cancels
	p.cancels = nil
	s.mu.Unlock()
	for _, c := range cancels {
		c()
	}
	close(p.done)
}

// onHead is the watcher's head callback: it starts a check of stuck
// transactions when one may be due (at most one check at a time).
func (s *Sender) onHead(h *types.Header) {
	n := h.Number.Uint64()
	due := false
	s.mu.Lock()
	s.headNum = n
	for _, p := range s.pending {
		if p.sentHead == 0 {
			p.sentHead = n
		} else if n-p.sentHead >= s.cfg.ReplaceAfter {
			due = true
		}
	}
	s.mu.Unlock()
	if due && s.checking.CompareAndSwap(false, true) {
		go func() {
			defer s.checking.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s.checkStuck(ctx, h)
		}()
	}
}

type nonceReader interface {
	NonceAt(ctx context.Context, account common.Address, blockNumber *big.Int) (uint64, error)
}

// checkStuck looks at the transactions that waited ReplaceAfter blocks:
// one whose nonce the chain has passed is resolved (or failed when another
// transaction took the nonce); the lowest one, and any priced below the
// current base fee, are replaced with a higher fee.
func (s *Sender) checkStuck(ctx context.Context, head *types.Header) {
	n := head.Number.Uint64()
	s.mu.Lock()
	var due []*PendingTx
	lowest := ^uint64(0)
	for nonce, p := range s.pending {
		lowest = min(lowest, nonce)
		if p.sentHead != 0 && n-p.sentHead >= s.cfg.ReplaceAfter {
			due = append(due, p)
		}
	}
	s.mu.Unlock()
	if len(due) == 0 {
		return
	}
	slices.SortFunc(due, func(a, b *PendingTx) int { return cmp.Compare(a.nonce, b.nonce) })
	mined := uint64(0)
	if nr, ok := s.backend.(nonceReader); ok {
		m, err := nr.NonceAt(ctx, s.from, nil)
		if err != nil {
			s.log.Debug("sender: reading the account nonce", zap.Error(err))
			return
		}
		mined = m
	}
	for _, p := range due {
		switch {
		case p.nonce < mined:
			s.settleConsumed(ctx, p)
		case p.nonce == lowest || head.BaseFee == nil || p.currentFeeCap().Cmp(head.BaseFee) < 0:
			s.replace(ctx, p, head)
		}
	}
}

func (p *PendingTx) currentFeeCap() *big.Int {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.feeCap
}

// settleConsumed handles a transaction whose nonce the chain has passed:
// one of its versions was mined (the watcher has not seen it yet: ask for
// the receipts) or, seen twice, another transaction took the nonce.
func (s *Sender) settleConsumed(ctx context.Context, p *PendingTx) {
	s.mu.Lock()
	txs := slices.Clone(p.txs)
	s.mu.Unlock()
	for _, tx := range txs {
		if r, err := s.backend.TransactionReceipt(ctx, tx.Hash()); err == nil && r != nil {
			s.resolve(p, r, nil)
			return
		}
	}
	s.mu.Lock()
	p.consumed++
	lost := p.consumed >= 2
	s.mu.Unlock()
	if lost {
		s.log.Error("sender: a pending transaction's nonce was used by another transaction from this account; is the key used elsewhere?",
			zap.String("account", s.from.Hex()), zap.Uint64("nonce", p.nonce), zap.String("tx", txs[len(txs)-1].Hash().Hex()))
		s.resolve(p, nil, fmt.Errorf("nonce %d of %s: %w", p.nonce, s.from.Hex(), ErrNonceConsumed))
	}
}

// replace signs p again with the same nonce and a higher fee and
// broadcasts it, unless MaxFeePerGas leaves no room.
func (s *Sender) replace(ctx context.Context, p *PendingTx, head *types.Header) {
	suggested, _, err := s.fees(ctx)
	if err != nil {
		suggested = nil
	}
	s.mu.Lock()
	if p.finished {
		s.mu.Unlock()
		return
	}
	old := p.txs[len(p.txs)-1]
	tip, feeCap, ok := replacementFees(p.tip, p.feeCap, suggested, head.BaseFee, s.maxFee)
	if !ok {
		logIt := !p.stuckLogged
		p.stuckLogged = true
		s.mu.Unlock()
		if logIt {
			s.stuckAtMaxFee.Add(1)
			s.log.Error("sender: a transaction is stuck and replacing it needs a fee above max_fee_per_gas",
				zap.String("account", s.from.Hex()), zap.Uint64("nonce", p.nonce), zap.String("tx", old.Hash().Hex()),
				zap.Stringer("fee_cap", p.feeCap), zap.Stringer("base_fee", head.BaseFee), zap.Stringer("max_fee_per_gas", s.maxFee))
		}
		return
	}
	tx, err := types.SignNewTx(s.key, s.signer, &types.DynamicFeeTx{
		ChainID: s.chainID, Nonce: p.nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: p.gas, To: &p.to, Data: p.data,
	})
	if err != nil {
		s.mu.Unlock()
		s.log.Error("sender: signing a replacement", zap.Error(err))
		return
	}
	before := len(p.cancels)
	s.watchLocked(p, tx)
	if p.beforeSend != nil {
		p.beforeSend(tx)
	}
	err = s.backend.SendTransaction(ctx, tx)
	switch {
	case err == nil || isAlreadyKnown(err):
		p.txs = append(p.txs, tx)
		p.tip, p.feeCap = tip, feeCap
		p.sentHead = s.headNum
		s.byHash[tx.Hash()] = p
		s.replaced.Add(1)
	case isUnderpriced(err):
		// The node wants more than 10 %: start the next bump from here.
		p.tip, p.feeCap = tip, feeCap
		s.dropWatch(p, before)
	default:
		// "nonce too low": a version was mined meanwhile (the watcher
		// or the next check resolves it); anything else: try again at
		// the next check.
		s.dropWatch(p, before)
	}
	s.mu.Unlock()
	if err != nil && !isAlreadyKnown(err) {
		s.log.Warn("sender: replacing a stuck transaction failed", zap.Uint64("nonce", p.nonce), zap.String("tx", old.Hash().Hex()), zap.Error(err))
		return
	}
	s.log.Warn("sender: replaced a stuck transaction with a higher fee",
		zap.String("account", s.from.Hex()), zap.Uint64("nonce", p.nonce), zap.String("old_tx", old.Hash().Hex()),
		zap.String("new_tx", tx.Hash().Hex()), zap.Stringer("fee_cap", feeCap), zap.Stringer("tip", tip))
}

// dropWatch cancels the watches added after the first n. s.mu is held.
func (s *Sender) dropWatch(p *PendingTx, n int) {
	for _, c := range p.cancels[n:] {
		c()
	}
	p.cancels = p.cancels[:n]
}

type txByHashReader interface {
	TransactionByHash(ctx context.Context, hash common.Hash) (tx *types.Transaction, isPending bool, err error)
}

// Adopt follows a transaction of the Sender's account that was broadcast
// before (by an earlier process: its hash comes from a journal after a
// restart) and that the node still holds unmined: it is watched like the
// Sender's own and replaced if it gets stuck, so that a stuck transaction
// of a previous life cannot hold back every later nonce. ok is false when
// the node does not hold it pending (mined, dropped, unknown) or it is not
// from this account; a transaction already followed is returned as it is.
func (s *Sender) Adopt(ctx context.Context, hash common.Hash) (p *PendingTx, ok bool) {
	s.mu.Lock()
	p = s.byHash[hash]
	s.mu.Unlock()
	if p != nil {
		return p, true
	}
	r, can := s.backend.(txByHashReader)
	if !can {
		return nil, false
	}
	tx, pending, err := r.TransactionByHash(ctx, hash)
	if err != nil || !pending || tx.To() == nil || tx.Type() != types.DynamicFeeTxType {
		return nil, false // not found (an error from the node), mined, or not ours to price
	}
	if from, err := types.Sender(s.signer, tx); err != nil || from != s.from {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.pending[tx.Nonce()]; q != nil {
		return q, true // another version of a nonce we follow
	}
	p = &PendingTx{s: s, nonce: tx.Nonce(), to: *tx.To(), data: tx.Data(), gas: tx.Gas(), tip: tx.GasTipCap(), feeCap: tx.GasFeeCap(),
		first: time.Now(), done: make(chan struct{}), txs: []*types.Transaction{tx}}
	if s.watcher != nil {
		// Asked for directly once too: it may be mined by now.
		p.cancels = append(p.cancels, s.watcher.Watch(hash, true, func(r *types.Receipt) { s.resolve(p, r, nil) }))
	}
	s.pending[p.nonce] = p
	s.byHash[hash] = p
	if s.synced && s.next <= p.nonce {
		s.next = p.nonce + 1
	}
	return p, true
}
