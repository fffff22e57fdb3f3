package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"go.uber.org/zap"
)

// HeadReader is what a ReceiptWatcher reads from a chain. Every Backend is
// one. When the value also has SubscribeNewHead (ethclient over a websocket
// or in-process, the dev chain) the watcher follows heads as they come;
// otherwise it polls the head about once per block. When it has
// BlockReceipts (eth_getBlockReceipts: geth, anvil, reth, most providers)
// each new block's receipts are read in one call.
type HeadReader interface {
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	TransactionReceipt(ctx context.Context, txHash common.Hash) (*types.Receipt, error)
}

type blockReceiptsReader interface {
	BlockReceipts(ctx context.Context, blockNrOrHash rpc.BlockNumberOrHash) ([]*types.Receipt, error)
}

type headSubscriber interface {
	SubscribeNewHead(ctx context.Context, ch chan<- *types.Header) (ethereum.Subscription, error)
}

// WatcherConfig tunes a ReceiptWatcher. Zero values pick the defaults.
type WatcherConfig struct {
	// PollInterval fixes the interval of head polls when the RPC has no
	// subscriptions. Default 0: adaptive, one poll shortly before the next
	// block is expected (from the intervals observed between heads) and
	// then every eighth of a block time until it comes.
	PollInterval time.Duration
	// BlockTime is the first guess of the chain's block interval, before
	// two heads were seen. Default: 1 s.
	BlockTime time.Duration
	// NoSubscribe polls even when the RPC offers head subscriptions.
	NoSubscribe bool
	// Logger; default: none.
	Logger *zap.Logger
}

// ReceiptWatcher resolves the receipts of watched transactions from the
// blocks of one chain: it follows new heads and reads each new block's
// receipts once (eth_getBlockReceipts), so any number of pending
// transactions cost one call per block, not one poll loop each. It runs only
// while something is watched, so an idle watcher makes no calls. One
// watcher serves every sender of a chain.
type ReceiptWatcher struct {
	b   HeadReader
	cfg WatcherConfig
	log *zap.Logger

	mu        sync.Mutex
	watches   map[common.Hash][]*watch
	direct    []common.Hash // to check once by hash (maybe mined before being watched)
	listeners map[int]func(*types.Header)
	nextID    int
	running   bool
	kick      chan struct{}
	closed    chan struct{}
	closeOnce sync.Once

	// loop state (owned by the loop goroutine; interval read under mu)
	last       uint64        // last block whose receipts were processed
	lastHeadAt time.Time     // when the loop saw the head move
	interval   time.Duration // estimated block interval
	noBlockRcp bool          // the node has no eth_getBlockReceipts
	head       *types.Header // latest head seen
}

type watch struct {
	fn func(*types.Receipt)
}

// maxCatchUp is how many missed blocks the watcher reads one by one; after a
// longer gap (an idle watcher, a stalled RPC) it asks for each watched
// transaction's receipt instead.
const maxCatchUp = 32

// NewReceiptWatcher returns a watcher of the chain b. It starts no goroutine
// until something is watched.
func NewReceiptWatcher(b HeadReader, cfg WatcherConfig) *ReceiptWatcher {
	if cfg.BlockTime <= 0 {
		cfg.BlockTime = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &ReceiptWatcher{
		b: b, cfg: cfg, log: cfg.Logger,
		watches:   map[common.Hash][]*watch{},
		listeners: map[int]func(*types.Header){},
		kick:      make(chan struct{}, 1),
		closed:    make(chan struct{}),
		interval:  cfg.BlockTime,
	}
}

// ErrWatcherClosed is returned to waiters when their watcher is closed.
var ErrWatcherClosed = errors.New("receipt watcher closed")

// Watch calls fn once with the receipt of tx when a block holding it is
// seen, from the watcher's goroutine (fn must not block). checkNow also asks
// for the receipt directly once, for a transaction that may have been mined
// before it was watched; a transaction registered before its broadcast needs
// no such check. cancel stops the watch (fn is then never called).
func (w *ReceiptWatcher) Watch(tx common.Hash, checkNow bool, fn func(*types.Receipt)) (cancel func()) {
	wt := &watch{fn: fn}
	w.mu.Lock()
	w.watches[tx] = append(w.watches[tx], wt)
	if checkNow {
		w.direct = append(w.direct, tx)
	}
	w.startLocked()
	w.mu.Unlock()
	if checkNow {
		w.poke()
	}
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		ws := w.watches[tx]
		for i, x := range ws {
			if x == wt {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(w.watches, tx)
		} else {
			w.watches[tx] = ws
		}
	}
}

// CheckNow asks once for the receipts of these watched transactions
// directly, not from a block: for a new waiter of a transaction that a
// lagging node may have mined without showing it in a block seen so far.
func (w *ReceiptWatcher) CheckNow(txs ...common.Hash) {
	w.mu.Lock()
	for _, h := range txs {
		if _, ok := w.watches[h]; ok && !slices.Contains(w.direct, h) {
			w.direct = append(w.direct, h)
		}
	}
	w.mu.Unlock()
	w.poke()
}

// WaitReceipt waits until tx is mined (it may already be) and returns its
// receipt, or ctx's error.
func (w *ReceiptWatcher) WaitReceipt(ctx context.Context, tx common.Hash) (*types.Receipt, error) {
	ch := make(chan *types.Receipt, 1)
	cancel := w.Watch(tx, true, func(r *types.Receipt) { ch <- r })
	defer cancel()
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for receipt of %s: %w", tx.Hex(), ctx.Err())
	case <-w.closed:
		return nil, ErrWatcherClosed
	}
}

// OnHead calls fn with each new head the watcher sees while it runs (that
// is, while something is watched), from its goroutine: fn must return
// quickly. remove stops the calls.
func (w *ReceiptWatcher) OnHead(fn func(*types.Header)) (remove func()) {
	w.mu.Lock()
	id := w.nextID
	w.nextID++
	w.listeners[id] = fn
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		delete(w.listeners, id)
		w.mu.Unlock()
	}
}

// BlockInterval is the block interval the watcher estimates from the heads
// it saw (WatcherConfig.BlockTime until it saw two).
func (w *ReceiptWatcher) BlockInterval() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.interval
}

// Close stops the watcher; waiters get ErrWatcherClosed.
func (w *ReceiptWatcher) Close() {
	w.closeOnce.Do(func() { close(w.closed) })
}

func (w *ReceiptWatcher) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// startLocked starts the loop goroutine unless it runs. w.mu is held.
func (w *ReceiptWatcher) startLocked() {
	if w.running {
		return
	}
	select {
	case <-w.closed:
		return
	default:
	}
	w.running = true
	go w.run()
}

// stopIfIdle reports whether nothing is watched (or the watcher is
// closed) and marks the loop stopped if so.
func (w *ReceiptWatcher) stopIfIdle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.watches) == 0 {
		w.running = false
		return true
	}
	select {
	case <-w.closed:
		w.running = false
		return true
	default:
	}
	return false
}

func (w *ReceiptWatcher) run() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-w.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	var sub ethereum.Subscription
	heads := make(chan *types.Header, 64)
	if hs, ok := w.b.(headSubscriber); ok && !w.cfg.NoSubscribe {
		if s, err := hs.SubscribeNewHead(ctx, heads); err == nil {
			sub = s
		}
	}
	defer func() {
		if sub != nil {
			sub.Unsubscribe()
		}
	}()
	// A fresh start reads the head at once; the time spent idle says
	// nothing about the block interval.
	w.mu.Lock()
	w.lastHeadAt = time.Time{}
	w.mu.Unlock()
	w.step(ctx, nil)
	for !w.stopIfIdle() {
		var head *types.Header
		if sub != nil {
			// Heads come by subscription; a slow safety poll covers a
			// subscription that went quiet without an error.
			t := time.NewTimer(max(4*w.BlockInterval(), time.Second))
			select {
			case head = <-heads:
			case err := <-sub.Err():
				w.log.Warn("receipt watcher: head subscription ended; polling", zap.Error(err))
				sub = nil
			case <-w.kick:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		} else {
			t := time.NewTimer(w.pollDelay())
			select {
			case <-w.kick:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		if ctx.Err() != nil {
			w.mu.Lock()
			w.running = false
			w.mu.Unlock()
			return
		}
		w.step(ctx, head)
	}
}

// pollDelay is how long to wait before the next head poll, counted from
// when the head last moved (or the loop started): one probe at a quarter of
// the estimated block interval (so that a chain faster than the estimate,
// such as one that mines on demand, is noticed and the estimate shrinks),
// one shortly before the block is due, then an eighth of a block interval
// at a time until it comes. About three polls per block.
func (w *ReceiptWatcher) pollDelay() time.Duration {
	if w.cfg.PollInterval > 0 {
		return w.cfg.PollInterval
	}
	iv := w.BlockInterval()
	step := max(iv/8, 10*time.Millisecond)
	if w.lastHeadAt.IsZero() {
		return step
	}
	elapsed := time.Since(w.lastHeadAt)
	switch {
	case elapsed < iv/4-step/2:
		return iv/4 - elapsed
	case elapsed < iv*9/10-step/2:
		return iv*9/10 - elapsed
	}
	return step
}

// step reads the head (unless given), resolves watches from the blocks
// since the last one processed and from direct checks, and tells the head
// listeners.
func (w *ReceiptWatcher) step(ctx context.Context, head *types.Header) {
	w.mu.Lock()
	direct := w.direct
	w.direct = nil
	w.mu.Unlock()
	for _, h := range direct {
		w.checkOne(ctx, h)
	}
	if head == nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		h, err := w.b.HeaderByNumber(cctx, nil)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				w.log.Debug("receipt watcher: reading the head", zap.Error(err))
			}
			return
		}
		head = h
	}
	n := head.Number.Uint64()
	if n <= w.last && w.last != 0 {
		return
	}
	w.observeHead(n)
	if w.last == 0 || n-w.last > maxCatchUp || w.noBlockRcp {
		w.checkAll(ctx)
		w.last = n
	} else {
		for b := w.last + 1; b <= n; b++ {
			if b == n && head.TxHash == types.EmptyTxsHash {
				w.last = b
				continue
			}
			if !w.readBlock(ctx, b) {
				if w.noBlockRcp {
					w.checkAll(ctx)
					w.last = n
				}
				break
			}
			w.last = b
		}
	}
	w.head = head
	w.mu.Lock()
	fns := make([]func(*types.Header), 0, len(w.listeners))
	for _, fn := range w.listeners {
		fns = append(fns, fn)
	}
	w.mu.Unlock()
	for _, fn := range fns {
		fn(head)
	}
}

// observeHead updates the block interval estimate when the head moved.
func (w *ReceiptWatcher) observeHead(n uint64) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.head != nil && n > w.last && !w.lastHeadAt.IsZero() {
		dt := now.Sub(w.lastHeadAt) / time.Duration(n-w.last)
		w.interval = min(max((3*w.interval+dt)/4, 10*time.Millisecond), 30*time.Second)
	}
	w.lastHeadAt = now
}

// readBlock resolves the watches of block b from its receipts. It reports
// false when they could not be read (retried on the next step).
func (w *ReceiptWatcher) readBlock(ctx context.Context, b uint64) bool {
	br, ok := w.b.(blockReceiptsReader)
	if !ok {
		w.noBlockRcp = true
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	rs, err := br.BlockReceipts(cctx, rpc.BlockNumberOrHashWithNumber(rpc.BlockNumber(b)))
	cancel()
	if err != nil {
		if isMethodUnsupported(err) {
			w.log.Info("receipt watcher: the node has no eth_getBlockReceipts; reading receipts by transaction", zap.Error(err))
			w.noBlockRcp = true
		} else if ctx.Err() == nil {
			w.log.Debug("receipt watcher: reading block receipts", zap.Uint64("block", b), zap.Error(err))
		}
		return false
	}
	for _, r := range rs {
		w.resolve(r)
	}
	return true
}

// checkAll asks for the receipt of every watched transaction.
func (w *ReceiptWatcher) checkAll(ctx context.Context) {
	w.mu.Lock()
	hashes := make([]common.Hash, 0, len(w.watches))
	for h := range w.watches {
		hashes = append(hashes, h)
	}
	w.mu.Unlock()
	for _, h := range hashes {
		w.checkOne(ctx, h)
	}
}

func (w *ReceiptWatcher) checkOne(ctx context.Context, h common.Hash) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	r, err := w.b.TransactionReceipt(cctx, h)
	cancel()
	if err == nil && r != nil {
		w.resolve(r)
	}
}

// resolve calls and removes the watches of r's transaction.
func (w *ReceiptWatcher) resolve(r *types.Receipt) {
	w.mu.Lock()
	ws := w.watches[r.TxHash]
	delete(w.watches, r.TxHash)
	w.mu.Unlock()
	for _, x := range ws {
		x.fn(r)
	}
}

// isMethodUnsupported recognises a node's answer to an unknown method.
func isMethodUnsupported(err error) bool {
	var re rpc.Error
	if errors.As(err, &re) && re.ErrorCode() == -32601 {
		return true
	}
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "method not found") || strings.Contains(m, "does not exist") ||
		strings.Contains(m, "not supported") || strings.Contains(m, "unsupported method")
}
