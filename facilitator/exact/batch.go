package exact

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"go.uber.org/zap"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// Batch defaults (see BatchConfig).
const (
	DefaultBatchSize = 200
	DefaultBatchWait = 100 * time.Millisecond
	// DefaultBatchGas keeps a batch transaction under the per-transaction
	// gas cap of Ethereum's Osaka rules (EIP-7825: 2^24 = 16,777,216).
	DefaultBatchGas = 15_000_000
)

// BatchConfig tunes a Batcher. Zero values pick the defaults.
type BatchConfig struct {
	// Multicall3 is the contract whose aggregate3 carries a batch.
	// Default: contracts.Multicall3Address (the canonical address).
	Multicall3 common.Address
	// MaxSize is the most payments in one transaction; a batch that
	// reaches it is sent at once. Default: DefaultBatchSize (200).
	MaxSize int
	// MaxWait is the longest a due payment waits for others before its
	// batch is sent. Default: DefaultBatchWait (100 ms).
	MaxWait time.Duration
	// MaxGas is the largest gas limit of a batch transaction; a batch
	// that needs more is split. Default: DefaultBatchGas (15,000,000).
	MaxGas uint64
	// Observer is told about every batch transaction mined. Optional.
	Observer TxObserver
	// Logger; default: none.
	Logger *zap.Logger
}

// TxObserver is told about settlement transactions once mined (the Caddy
// module turns them into metrics: payments per transaction, gas per
// payment).
type TxObserver interface {
	// SettlementMined: a settlement transaction carrying payments calls
	// (1 unbatched) was mined; settled of them succeeded; gasUsed is the
	// transaction's.
	SettlementMined(chainID uint64, payments, settled int, gasUsed uint64)
}

// Batcher sends the due settlements of one key on one chain together: one
// transaction calls Multicall3's aggregate3 with one transferWithAuthorization
// per payment, each allowed to fail alone. A batch closes when it holds
// MaxSize payments or its first one waited MaxWait. Before it is sent, the
// batch is simulated (eth_call of aggregate3): a payment whose call would
// revert is left out and answered with the revert, so a used nonce, an
// expired authorization or an unfunded payer fails alone and costs no gas.
// What the chain then does to each call is read from the receipt (the
// AuthorizationUsed and Transfer logs of that payment), by the caller.
type Batcher struct {
	sender  *evm.Sender
	chainID uint64
	cfg     BatchConfig
	log     *zap.Logger
	mc      *contracts.Multicall3

	mu         sync.Mutex
	open       []*batchCall
	timer      *time.Timer
	closed     bool
	noContract atomic.Bool
}

// batchCall is one payment in a batch.
type batchCall struct {
	target     common.Address
	data       []byte
	beforeSend func(*types.Transaction) // each version of the batch, before it goes out
	sent       func(first common.Hash)  // the batch was broadcast
	done       chan struct{}
	revert     *evm.RevertError // left out: the simulated call reverted
	pending    *evm.PendingTx   // sent in this transaction
	err        error            // not sent (RPC trouble); retry later
	canceled   func() bool
}

// NewBatcher returns a Batcher sending through s (one per key and chain:
// share it between the facilitators that settle from that key).
func NewBatcher(s *evm.Sender, chainID uint64, cfg BatchConfig) *Batcher {
	if cfg.Multicall3 == (common.Address{}) {
		cfg.Multicall3 = contracts.Multicall3Address
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultBatchSize
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultBatchWait
	}
	if cfg.MaxGas == 0 {
		cfg.MaxGas = DefaultBatchGas
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Batcher{sender: s, chainID: chainID, cfg: cfg, log: cfg.Logger, mc: contracts.NewMulticall3()}
}

// Config is the batcher's configuration with defaults applied.
func (b *Batcher) Config() BatchConfig { return b.cfg }

// CheckContract reports an error when the chain has no code at the
// Multicall3 address (batches could not be sent there).
func (b *Batcher) CheckContract(ctx context.Context) error {
	code, err := b.sender.Backend().CodeAt(ctx, b.cfg.Multicall3, nil)
	if err != nil {
		return fmt.Errorf("reading code at Multicall3 %s: %w", b.cfg.Multicall3.Hex(), err)
	}
	if len(code) == 0 {
		return fmt.Errorf("no contract at Multicall3 %s on chain %d", b.cfg.Multicall3.Hex(), b.chainID)
	}
	return nil
}

// ErrBatcherClosed is returned for payments given to a closed Batcher.
var ErrBatcherClosed = errors.New("settlement batcher closed")

// ErrNoMulticall3 means the Multicall3 address holds no contract on this
// chain: the payments are settled one transaction each instead.
var ErrNoMulticall3 = errors.New("no Multicall3 contract at the batch address")

// Close sends what is waiting and refuses new payments.
func (b *Batcher) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.flushOpen()
}

// add puts a call into the open batch; the batch is sent when full or
// after MaxWait. The call's done channel closes with its outcome.
func (b *Batcher) add(c *batchCall) {
	c.done = make(chan struct{})
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		c.err = ErrBatcherClosed
		close(c.done)
		return
	}
	b.open = append(b.open, c)
	full := len(b.open) >= b.cfg.MaxSize
	if len(b.open) == 1 && !full {
		b.timer = time.AfterFunc(b.cfg.MaxWait, b.flushOpen)
	}
	b.mu.Unlock()
	if full {
		b.flushOpen()
	}
}

// flushOpen sends the open batch, if any.
func (b *Batcher) flushOpen() {
	b.mu.Lock()
	calls := b.open
	b.open = nil
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.mu.Unlock()
	if len(calls) > 0 {
		go b.send(calls)
	}
}

// send simulates, prices and broadcasts one batch, then hands each call its
// outcome: left out with its revert, sent in a pending transaction, or an
// error.
func (b *Batcher) send(calls []*batchCall) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	live := calls[:0]
	for _, c := range calls {
		if c.canceled != nil && c.canceled() {
			c.err = context.Canceled
			close(c.done)
			continue
		}
		live = append(live, c)
	}
	calls = live
	for attempt := 0; len(calls) > 0; attempt++ {
		ok, err := b.simulate(ctx, calls)
		if err != nil {
			b.fail(calls, err)
			return
		}
		calls = ok
		if len(calls) == 0 {
			return
		}
		gas, err := b.sender.Estimate(ctx, b.cfg.Multicall3, b.pack(calls, false))
		var re *evm.RevertError
		if errors.As(err, &re) && attempt == 0 {
			// Some call started failing since the simulation (a payer
			// spent their balance meanwhile): simulate again.
			continue
		}
		if err != nil {
			b.fail(calls, fmt.Errorf("estimating the batch's gas: %w", err))
			return
		}
		gas += gas / 4
		if gas > b.cfg.MaxGas && len(calls) > 1 {
			half := len(calls) / 2
			go b.send(calls[half:])
			calls = calls[:half]
			continue
		}
		b.broadcast(ctx, calls, gas)
		return
	}
}

// simulate runs the batch as an eth_call of aggregate3 with every call
// allowed to fail, answers the calls that reverted and returns the others.
func (b *Batcher) simulate(ctx context.Context, calls []*batchCall) ([]*batchCall, error) {
	from, to := b.sender.Address(), b.cfg.Multicall3
	out, err := b.sender.Backend().CallContract(ctx, ethereum.CallMsg{From: from, To: &to, Data: b.pack(calls, true)}, nil)
	if err != nil {
		return nil, fmt.Errorf("simulating the batch: %w", err)
	}
	if len(out) == 0 {
		// A call to an address without code succeeds with no output.
		if b.noContract.CompareAndSwap(false, true) {
			b.log.Warn("no Multicall3 contract at the batch address; settling one transaction per payment", zap.String("multicall3", to.Hex()), zap.Uint64("chain", b.chainID))
		}
		return nil, ErrNoMulticall3
	}
	res, err := b.mc.UnpackAggregate3(out)
	if err != nil || len(res) != len(calls) {
		return nil, fmt.Errorf("simulating the batch: unexpected aggregate3 result (%d results for %d calls): %v", len(res), len(calls), err)
	}
	ok := calls[:0:0]
	for i, c := range calls {
		if res[i].Success {
			ok = append(ok, c)
			continue
		}
		c.revert = evm.DecodeRevert(res[i].ReturnData)
		close(c.done)
	}
	return ok, nil
}

// pack is the aggregate3 calldata of calls.
func (b *Batcher) pack(calls []*batchCall, allowFailure bool) []byte {
	c3 := make([]contracts.Multicall3Call3, len(calls))
	for i, c := range calls {
		c3[i] = contracts.Multicall3Call3{Target: c.target, AllowFailure: allowFailure, CallData: c.data}
	}
	return b.mc.PackAggregate3(c3)
}

// broadcast sends the batch (every call allowed to fail, gas for all of
// them succeeding) and waits for its receipt.
func (b *Batcher) broadcast(ctx context.Context, calls []*batchCall, gas uint64) {
	p, err := b.sender.Submit(ctx, b.cfg.Multicall3, b.pack(calls, true), gas, func(tx *types.Transaction) {
		// Concurrently: each may make a durable journal write, which
		// the journal's group commit then takes together.
		var wg sync.WaitGroup
		for _, c := range calls {
			if c.beforeSend != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.beforeSend(tx) }()
			}
		}
		wg.Wait()
	})
	if err != nil {
		b.fail(calls, fmt.Errorf("sending the batch of %d settlements: %w", len(calls), err))
		return
	}
	first := p.First().Hash()
	b.log.Debug("settlement batch broadcast", zap.String("tx", first.Hex()), zap.Int("payments", len(calls)), zap.Uint64("gas", gas))
	for _, c := range calls {
		if c.sent != nil {
			c.sent(first)
		}
		c.pending = p
		close(c.done)
	}
	observeMined(b.cfg.Observer, b.chainID, p, calls)
}

// observeMined tells obs about p once it is mined: how many of the calls'
// payments it carried and settled, and its gas.
func observeMined(obs TxObserver, chainID uint64, p *evm.PendingTx, calls []*batchCall) {
	if obs == nil {
		return
	}
	go func() {
		wctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		r, err := p.Wait(wctx)
		if err != nil || r == nil {
			return
		}
		obs.SettlementMined(chainID, len(calls), countAuthorizationsUsed(r, calls), r.GasUsed)
	}()
}

func (b *Batcher) fail(calls []*batchCall, err error) {
	if !errors.Is(err, ErrNoMulticall3) {
		b.log.Warn("settlement batch not sent; its payments will be retried", zap.Int("payments", len(calls)), zap.Error(err))
	}
	for _, c := range calls {
		c.err = err
		close(c.done)
	}
}

// countAuthorizationsUsed counts the AuthorizationUsed logs of the calls'
// tokens in r: the payments the batch settled.
func countAuthorizationsUsed(r *types.Receipt, calls []*batchCall) int {
	targets := map[common.Address]bool{}
	for _, c := range calls {
		targets[c.target] = true
	}
	n := 0
	for _, l := range r.Logs {
		if targets[l.Address] && len(l.Topics) == 3 && l.Topics[0] == evm.AuthorizationUsedTopic {
			n++
		}
	}
	return n
}
