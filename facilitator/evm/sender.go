package evm

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"go.uber.org/zap"
)

// SenderConfig tunes a Sender. Zero values pick the defaults.
type SenderConfig struct {
	// Watcher resolves the receipts of the Sender's transactions. Share one
	// per chain between the senders of that chain. Default: the Sender's
	// own, closed with it.
	Watcher *ReceiptWatcher
	// ReplaceAfter is how many blocks a pending transaction may wait, after
	// the first head seen since its broadcast, before it is replaced with
	// the same nonce and a higher fee. Default: DefaultReplaceAfter (3).
	ReplaceAfter uint64
	// MaxFeePerGas caps the fee cap (wei per gas) of every transaction and
	// replacement. Default: DefaultMaxFeePerGas (1,000 gwei).
	MaxFeePerGas *big.Int
	// Logger; default: none.
	Logger *zap.Logger
}

// DefaultReplaceAfter is the default SenderConfig.ReplaceAfter: three
// blocks. A transaction priced at twice the base fee plus the node's tip is
// mined in the next block unless fees rose more than 100 % (six full blocks
// in a row) or it was dropped; three blocks leave room for a congested block
// or two before paying more (6 s on Base, 36 s on Ethereum).
const DefaultReplaceAfter = 3

// Sender signs and broadcasts transactions from one key. It owns the key's
// account nonce: concurrent callers never reuse or skip a nonce, which is the
// bug behind duplicate or stuck settlements in facilitators that read
// PendingNonceAt on every write. Any number of its transactions may be in
// flight; it follows each until one version of it is mined (through the
// chain's ReceiptWatcher), and replaces one that waited more than
// ReplaceAfter blocks with the same nonce and a higher fee, so that later
// transactions never wait behind a stuck one.
//
// Gas estimation and fee lookup run outside the lock (they also surface a
// revert before anything is broadcast); only nonce assignment, signing and
// the broadcast itself are serialised.
type Sender struct {
	backend    Backend
	key        *ecdsa.PrivateKey
	from       common.Address
	chainID    *big.Int
	signer     types.Signer
	cfg        SenderConfig
	maxFee     *big.Int
	watcher    *ReceiptWatcher
	ownWatcher bool
	log        *zap.Logger
	removeHead func()
	closed     chan struct{}
	closeOnce  sync.Once

	mu      sync.Mutex
	next    uint64
	synced  bool
	pending map[uint64]*PendingTx      // by nonce, not mined yet
	byHash  map[common.Hash]*PendingTx // every version of the pending ones
	// resolved keeps mined transactions' records by every hash they had,
	// so a wait for a replaced version still ends.
	resolved *expirable.LRU[common.Hash, *PendingTx]
	headNum  uint64 // latest head seen (0: none yet)

	checking                      atomic.Bool
	sent, replaced, stuckAtMaxFee atomic.Uint64

	// The fee parameters of the latest head, reused for FeeTTL: reading
	// them (eth_maxPriorityFeePerGas and the latest header) for every
	// transaction was 43 % of the settlement's CPU in the benchmark.
	feeMu  sync.Mutex
	tip    *big.Int
	feeCap *big.Int
	feeAt  time.Time
	feeTTL time.Duration
}

// NewSender returns a Sender for key on the chain with the given id; cfg
// is optional (at most one).
func NewSender(b Backend, key *ecdsa.PrivateKey, chainID *big.Int, cfg ...SenderConfig) *Sender {
	var c SenderConfig
	if len(cfg) > 0 {
		c = cfg[0]
	}
	if c.ReplaceAfter == 0 {
		c.ReplaceAfter = DefaultReplaceAfter
	}
	if c.MaxFeePerGas == nil || c.MaxFeePerGas.Sign() <= 0 {
		c.MaxFeePerGas = DefaultMaxFeePerGas
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	s := &Sender{
		backend:  b,
		key:      key,
		from:     crypto.PubkeyToAddress(key.PublicKey),
		chainID:  new(big.Int).Set(chainID),
		signer:   types.LatestSignerForChainID(chainID),
		cfg:      c,
		maxFee:   new(big.Int).Set(c.MaxFeePerGas),
		log:      c.Logger,
		closed:   make(chan struct{}),
		pending:  map[uint64]*PendingTx{},
		byHash:   map[common.Hash]*PendingTx{},
		resolved: expirable.NewLRU[common.Hash, *PendingTx](1<<16, nil, time.Hour),
		feeTTL:   FeeTTL,
		watcher:  c.Watcher,
	}
	if s.watcher == nil && b != nil {
		s.watcher, s.ownWatcher = NewReceiptWatcher(b, WatcherConfig{Logger: c.Logger}), true
	}
	if s.watcher != nil {
		s.removeHead = s.watcher.OnHead(s.onHead)
	}
	return s
}

// Address is the account the Sender sends from.
func (s *Sender) Address() common.Address { return s.from }

// Backend is the chain the Sender talks to.
func (s *Sender) Backend() Backend { return s.backend }

// Watcher is the receipt watcher the Sender's transactions are followed by.
func (s *Sender) Watcher() *ReceiptWatcher { return s.watcher }

// ErrSenderClosed is returned to waiters when their Sender is closed.
var ErrSenderClosed = errors.New("transaction sender closed")

// Close stops following the Sender's transactions (their waiters get
// ErrSenderClosed) and closes its own watcher.
func (s *Sender) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.removeHead != nil {
			s.removeHead()
		}
		if s.ownWatcher {
			s.watcher.Close()
		}
	})
}

// Estimate runs eth_estimateGas for a call from the sender; a revert comes
// back as *RevertError, so callers learn why a transaction would fail
// without paying for it.
func (s *Sender) Estimate(ctx context.Context, to common.Address, data []byte) (uint64, error) {
	gas, err := s.backend.EstimateGas(ctx, ethereum.CallMsg{From: s.from, To: &to, Data: data})
	if err != nil {
		return 0, asRevert(err)
	}
	return gas, nil
}

// Send estimates gas (with a 25% margin), prices the transaction (EIP-1559:
// fee cap = 2 × base fee + tip), assigns the next nonce, signs and
// broadcasts it. It returns the signed transaction once the node accepted
// it; WaitReceipt with its hash follows it through replacements.
func (s *Sender) Send(ctx context.Context, to common.Address, data []byte) (*types.Transaction, error) {
	p, err := s.Submit(ctx, to, data, 0, nil)
	if err != nil {
		return nil, err
	}
	return p.First(), nil
}

// Submit is Send with a gas limit of the caller's (0: estimate, +25 %) and a
// callback, beforeSend, for every signed version of the transaction right
// before it is broadcast (the first one, a re-signed retry, each
// replacement): a write-ahead record of what may go out, so that a crash
// between broadcast and receipt leaves no transaction unknown. It runs
// under the Sender's lock and should be quick (a group-committed write).
// The PendingTx ends when one version is mined.
func (s *Sender) Submit(ctx context.Context, to common.Address, data []byte, gas uint64, beforeSend func(*types.Transaction)) (*PendingTx, error) {
	if gas == 0 {
		g, err := s.Estimate(ctx, to, data)
		if err != nil {
			return nil, err
		}
		gas = g + g/4
	}
	tip, feeCap, err := s.fees(ctx)
	if err != nil {
		return nil, err
	}
	return s.broadcastNew(ctx, to, data, gas, tip, feeCap, beforeSend)
}

// broadcastNew assigns the next nonce and broadcasts; the record is
// followed by the watcher from before the broadcast, so no block can hold
// the transaction unseen.
func (s *Sender) broadcastNew(ctx context.Context, to common.Address, data []byte, gas uint64, tip, feeCap *big.Int, beforeSend func(*types.Transaction)) (*PendingTx, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if !s.synced {
			if err := s.resyncLocked(ctx); err != nil {
				return nil, err
			}
		}
		tx, err := types.SignNewTx(s.key, s.signer, &types.DynamicFeeTx{
			ChainID: s.chainID, Nonce: s.next, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: &to, Data: data,
		})
		if err != nil {
			return nil, fmt.Errorf("signing transaction: %w", err)
		}
		p := &PendingTx{s: s, nonce: s.next, to: to, data: data, gas: gas, tip: tip, feeCap: feeCap,
			first: time.Now(), done: make(chan struct{}), beforeSend: beforeSend}
		s.watchLocked(p, tx)
		if beforeSend != nil {
			beforeSend(tx)
		}
		err = s.backend.SendTransaction(ctx, tx)
		switch {
		case err == nil || isAlreadyKnown(err):
			p.txs = append(p.txs, tx)
			s.pending[p.nonce] = p
			s.byHash[tx.Hash()] = p
			s.next++
			s.sent.Add(1)
			return p, nil
		case isFeeTooLow(err) && attempt == 0:
			// The base fee outgrew the cap read up to FeeTTL ago: read
			// the fees afresh and sign again with the same nonce.
			p.cancelWatches()
			s.dropFees()
			if tip, feeCap, err = s.fees(ctx); err != nil {
				return nil, err
			}
			continue
		case isNonceConflict(err) && attempt == 0:
			// Someone else used this key, or an earlier broadcast whose
			// answer we lost went through: resynchronise once.
			p.cancelWatches()
			s.synced = false
			continue
		default:
			// The node may or may not have taken the transaction (a
			// timeout says nothing); read the nonce afresh next time,
			// and the fees (the base fee may have outgrown the cap).
			p.cancelWatches()
			s.synced = false
			s.dropFees()
			return nil, fmt.Errorf("broadcasting transaction (nonce %d): %w", tx.Nonce(), err)
		}
	}
}

// resyncLocked reads the account's pending nonce from the node. It never
// goes below a nonce this Sender still follows (a node that lost them gets
// them again through replacement), so no nonce is used twice.
func (s *Sender) resyncLocked(ctx context.Context) error {
	n, err := s.backend.PendingNonceAt(ctx, s.from)
	if err != nil {
		return fmt.Errorf("reading pending nonce of %s: %w", s.from.Hex(), err)
	}
	for nonce := range s.pending {
		if nonce+1 > n {
			n = nonce + 1
		}
	}
	s.next, s.synced = n, true
	return nil
}

// watchLocked has the watcher resolve p when tx is mined.
func (s *Sender) watchLocked(p *PendingTx, tx *types.Transaction) {
	if s.watcher == nil {
		return
	}
	p.cancels = append(p.cancels, s.watcher.Watch(tx.Hash(), false, func(r *types.Receipt) { s.resolve(p, r, nil) }))
}

// WaitReceipt waits until the transaction with this hash, or a replacement
// of it, is mined, and returns the receipt of the version that was (its
// TxHash may differ from hash). Hashes the Sender does not know are waited
// for as they are.
func (s *Sender) WaitReceipt(ctx context.Context, hash common.Hash) (*types.Receipt, error) {
	s.mu.Lock()
	p := s.byHash[hash]
	var hashes []common.Hash
	if p != nil {
		if p.sentHead != 0 {
			// A head came since the broadcast and the waiter arrives
			// now: ask once, in case the node lagged when the block
			// holding it was read.
			for _, tx := range p.txs {
				hashes = append(hashes, tx.Hash())
			}
		}
	} else {
		p, _ = s.resolved.Get(hash)
	}
	s.mu.Unlock()
	if p != nil {
		if len(hashes) > 0 && s.watcher != nil {
			s.watcher.CheckNow(hashes...)
		}
		return p.Wait(ctx)
	}
	if s.watcher == nil {
		return WaitReceipt(ctx, s.backend, hash, 0)
	}
	return s.watcher.WaitReceipt(ctx, hash)
}

// SenderStats describe a Sender's transactions.
type SenderStats struct {
	// Pending is how many of its transactions are not mined yet.
	Pending int
	// OldestPending is the age of the oldest of them (since its first
	// broadcast); 0 without any.
	OldestPending time.Duration
	// Sent counts transactions (nonces) broadcast; Replaced counts
	// replacements; StuckAtMaxFee counts transactions that needed a
	// replacement above MaxFeePerGas.
	Sent, Replaced, StuckAtMaxFee uint64
}

// Stats reports the Sender's pending transactions and counters.
func (s *Sender) Stats() SenderStats {
	st := SenderStats{Sent: s.sent.Load(), Replaced: s.replaced.Load(), StuckAtMaxFee: s.stuckAtMaxFee.Load()}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Pending = len(s.pending)
	for _, p := range s.pending {
		if age := time.Since(p.first); age > st.OldestPending {
			st.OldestPending = age
		}
	}
	return st
}
