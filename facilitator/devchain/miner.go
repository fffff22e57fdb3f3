package devchain

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/rpc"
)

const (
	// batchWindow is how long the miner waits after the first wake-up for
	// more transactions to put into the same block.
	batchWindow = time.Millisecond
	// maxRounds bounds the blocks mined per wake-up (a full block leaves
	// transactions pending for the next round).
	maxRounds = 64
	// maxMisses is how many blocks may leave a transaction out before the
	// miner stops waiting for it.
	maxMisses = 3
	// rpcTimeout bounds each in-process call the miner makes.
	rpcTimeout = 5 * time.Second
)

// miner mines a block whenever transactions are pending. It learns about
// them from the Client's SendTransaction and from the txpool's
// newPendingTransactions subscription, which also sees transactions sent over
// HTTP JSON-RPC, so it never polls. All block production (its own,
// Chain.Commit, Chain.AdjustTime) is serialised by mu, because the simulated
// beacon is not safe for concurrent use.
type miner struct {
	backend  *simulated.Backend
	rpc      *rpc.Client
	maxAhead time.Duration

	mu     sync.Mutex
	offset time.Duration // sum of AdjustTime shifts; guarded by mu

	// pending holds the hashes of transactions seen but not yet mined, with
	// the number of blocks that left them out. mined and minedOld remember
	// what recent blocks included, so that a pool notification arriving after
	// its transaction was mined does not cause an empty block.
	pmu      sync.Mutex
	pending  map[common.Hash]int
	mined    map[common.Hash]struct{}
	minedOld map[common.Hash]struct{}

	wake chan struct{}
	quit chan struct{}
	done sync.WaitGroup
	sub  *rpc.ClientSubscription
}

func startMiner(b *simulated.Backend, maxAhead time.Duration) (*miner, error) {
	rc, err := inprocRPC(b.Client())
	if err != nil {
		return nil, err
	}
	m := &miner{
		backend: b, rpc: rc, maxAhead: maxAhead,
		pending: map[common.Hash]int{}, mined: map[common.Hash]struct{}{},
		wake: make(chan struct{}, 1), quit: make(chan struct{}),
	}
	hashes := make(chan common.Hash, 256)
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	if m.sub, err = rc.EthSubscribe(ctx, hashes, "newPendingTransactions"); err != nil {
		return nil, errors.New("devchain: subscribing to pending transactions: " + err.Error())
	}
	m.done.Add(2)
	go m.forward(hashes)
	go m.loop()
	return m, nil
}

// inprocRPC digs the in-process *rpc.Client out of the simulated backend's
// client, which hides it: its embedded *ethclient.Client field is named
// Client and shadows the Client() method.
func inprocRPC(c simulated.Client) (*rpc.Client, error) {
	v := reflect.ValueOf(c)
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("Client"); f.IsValid() && f.CanInterface() {
			if ec, ok := f.Interface().(*ethclient.Client); ok && ec != nil {
				return ec.Client(), nil
			}
		}
	}
	return nil, errors.New("devchain: cannot reach the simulated backend's in-process RPC client (go-ethereum internals changed)")
}

// forward turns pending-transaction notifications into wake-ups.
func (m *miner) forward(hashes <-chan common.Hash) {
	defer m.done.Done()
	for {
		select {
		case <-m.quit:
			return
		case <-m.sub.Err():
			return
		case h := <-hashes:
			m.add(h)
		}
	}
}

// add records a transaction that entered the pool and wakes the miner.
func (m *miner) add(h common.Hash) {
	m.pmu.Lock()
	_, done := m.mined[h]
	if _, old := m.minedOld[h]; !done && !old {
		m.pending[h] = 0
	}
	m.pmu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// hasPending reports whether any seen transaction is still unmined.
func (m *miner) hasPending() bool {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	return len(m.pending) > 0
}

// record updates the bookkeeping after block was sealed and returns how many
// transactions it holds. A transaction left out of maxMisses blocks is
// forgotten: it cannot be mined as it stands (nonce gap, fee cap below the
// base fee, replaced or dropped); a later pool notification brings it back.
func (m *miner) record(block common.Hash) int {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	b, err := m.backend.Client().BlockByHash(ctx, block)
	if err != nil {
		return 0
	}
	m.pmu.Lock()
	defer m.pmu.Unlock()
	for _, tx := range b.Transactions() {
		h := tx.Hash()
		delete(m.pending, h)
		m.mined[h] = struct{}{}
	}
	if len(m.mined) > 4096 {
		m.minedOld, m.mined = m.mined, map[common.Hash]struct{}{}
	}
	for h, misses := range m.pending {
		if misses+1 >= maxMisses {
			delete(m.pending, h)
		} else {
			m.pending[h] = misses + 1
		}
	}
	return len(b.Transactions())
}

func (m *miner) stop() {
	close(m.quit)
	m.sub.Unsubscribe()
	m.done.Wait()
}

// sleep waits for d or until the miner stops; it reports whether to go on.
func (m *miner) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-m.quit:
		return false
	case <-t.C:
		return true
	}
}

func (m *miner) loop() {
	defer m.done.Done()
	for {
		select {
		case <-m.quit:
			return
		case <-m.wake:
		}
		if !m.sleep(batchWindow) {
			return
		}
		for round := 0; round < maxRounds && m.hasPending(); round++ {
			select { // whatever woke us so far goes into this block
			case <-m.wake:
			default:
			}
			if !m.waitForSlot() {
				return
			}
			if m.commit() == 0 {
				break // nothing minable: wait for news
			}
		}
	}
}

// waitForSlot holds the next block back until its timestamp (the head's + 1
// second, or now if later) is no more than maxAhead past the wall clock plus
// the AdjustTime offset. It reports false when the miner stops meanwhile.
func (m *miner) waitForSlot() bool {
	if m.maxAhead < 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	head, err := m.backend.Client().HeaderByNumber(ctx, nil)
	cancel()
	if err != nil {
		return true
	}
	m.mu.Lock()
	offset := m.offset
	m.mu.Unlock()
	next := time.Unix(int64(head.Time)+1, 0)
	if wait := time.Until(next.Add(-offset - m.maxAhead)); wait > 0 {
		return m.sleep(wait)
	}
	return true
}

// commit seals a block with what is pending and returns its transaction count.
func (m *miner) commit() int {
	m.mu.Lock()
	hash := m.backend.Commit()
	m.mu.Unlock()
	return m.record(hash)
}

// adjustTime seals an empty block d past the head. The simulated beacon
// refuses while transactions are pending, so those are mined first.
func (m *miner) adjustTime(d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	for i := 0; i < 5; i++ {
		if err = m.backend.AdjustTime(d); err == nil {
			m.offset += d.Truncate(time.Second)
			return nil
		}
		if !strings.Contains(err.Error(), "non-empty") {
			return err
		}
		m.record(m.backend.Commit())
	}
	return err
}

// minedClient is the simulated client with a SendTransaction that hands the
// transaction to the miner at once.
type minedClient struct {
	simulated.Client
	miner *miner
}

// SendTransaction submits tx and wakes the miner.
func (c *minedClient) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	err := c.Client.SendTransaction(ctx, tx)
	if err == nil {
		c.miner.add(tx.Hash())
	}
	return err
}

// BlockReceipts is eth_getBlockReceipts of the simulated node, for receipt
// watchers that read a block's receipts in one call.
func (c *minedClient) BlockReceipts(ctx context.Context, block rpc.BlockNumberOrHash) ([]*types.Receipt, error) {
	br, ok := c.Client.(interface {
		BlockReceipts(context.Context, rpc.BlockNumberOrHash) ([]*types.Receipt, error)
	})
	if !ok {
		return nil, errors.New("devchain: the simulated client has no BlockReceipts")
	}
	return br.BlockReceipts(ctx, block)
}
