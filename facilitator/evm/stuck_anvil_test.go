package evm_test

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"go.uber.org/zap/zaptest"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// anvilChain is anvil with TestUSDC deployed and minted to dev account 2,
// switched to manual mining so that a test decides what each block holds.
type anvilChain struct {
	t     *testing.T
	ctx   context.Context
	url   string
	ec    *ethclient.Client
	accts []devchain.Account
}

const anvilChainID = 84532

func startAnvilChain(t *testing.T) *anvilChain {
	t.Helper()
	a := testsvc.StartAnvil(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ec, err := ethclient.Dial(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ec.Close)
	accts, err := devchain.DevAccounts(4)
	if err != nil {
		t.Fatal(err)
	}
	id := big.NewInt(anvilChainID)
	token, err := devchain.Deploy(ctx, ec, accts[0].Key, id)
	if err != nil || token != devchain.DevTokenAddress {
		t.Fatalf("deploying TestUSDC: %s %v", token.Hex(), err)
	}
	if err := devchain.Mint(ctx, ec, accts[0].Key, id, token, big.NewInt(1_000_000_000), accts[2].Address); err != nil {
		t.Fatal(err)
	}
	c := &anvilChain{t: t, ctx: ctx, url: a.URL, ec: ec, accts: accts}
	c.rpc("evm_setAutomine", "false")
	return c
}

func (c *anvilChain) rpc(method string, params ...string) string {
	c.t.Helper()
	out, err := testsvc.RPC(c.ctx, c.url, method, params...)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	return out
}

func (c *anvilChain) mine() { c.t.Helper(); c.rpc("evm_mine") }

func (c *anvilChain) setNextBaseFee(wei *big.Int) {
	c.t.Helper()
	c.rpc("anvil_setNextBlockBaseFeePerGas", fmt.Sprintf("%q", "0x"+wei.Text(16)))
}

func (c *anvilChain) transfer(value uint64) []byte {
	return signedTransferOn(c.t, anvilChainID, c.accts[2].Key, c.accts[2].Address, c.accts[3].Address, value)
}

// mineUntil mines one block at a time until done reports true or
// maxBlocks were mined. After each block it gives the sender up to 5 s to
// react (progress changes) or finish; a block it is not expected to react
// to (no change in 5 s) costs those 5 s, so keep maxBlocks small.
func (c *anvilChain) mineUntil(maxBlocks int, progress func() uint64, done func() bool) int {
	c.t.Helper()
	for b := 1; b <= maxBlocks; b++ {
		before := progress()
		c.mine()
		deadline := time.Now().Add(5 * time.Second)
		for !done() && progress() == before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if done() {
			return b
		}
	}
	return maxBlocks
}

// heads counts the heads a watcher's listener saw.
func heads(w *evm.ReceiptWatcher) func() uint64 {
	var n atomic.Uint64
	w.OnHead(func(*types.Header) { n.Add(1) })
	return n.Load
}

func isDone(p *evm.PendingTx) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// A settlement priced before the base fee jumped a hundredfold waits in the
// pool; after ReplaceAfter blocks the Sender replaces it with the same nonce
// and a fee that clears the new base fee, the replacement is mined, and the
// settlements sent after it (which queue behind its nonce) are mined too.
func TestStuckTransactionIsReplaced(t *testing.T) {
	c := startAnvilChain(t)
	w := evm.NewReceiptWatcher(c.ec, evm.WatcherConfig{PollInterval: 10 * time.Millisecond})
	defer w.Close()
	s := evm.NewSender(c.ec, c.accts[1].Key, big.NewInt(anvilChainID), evm.SenderConfig{Watcher: w, ReplaceAfter: 2, Logger: zaptest.NewLogger(t)})
	defer s.Close()

	var mu sync.Mutex
	var broadcasts []*types.Transaction
	p1, err := s.Submit(c.ctx, devchain.DevTokenAddress, c.transfer(1), 0, func(tx *types.Transaction) {
		mu.Lock()
		broadcasts = append(broadcasts, tx)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	first := p1.First()
	high := new(big.Int).Mul(first.GasFeeCap(), big.NewInt(100))
	c.setNextBaseFee(high)
	c.mine() // base fee 100× the first transaction's cap: it stays in the pool
	if isDone(p1) {
		t.Fatal("the low-fee transaction was mined under the raised base fee")
	}
	// Later settlements, priced after the jump, queue behind its nonce.
	p2, err := s.Submit(c.ctx, devchain.DevTokenAddress, c.transfer(2), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	p3, err := s.Submit(c.ctx, devchain.DevTokenAddress, c.transfer(3), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Nonce() != p1.Nonce()+1 || p3.Nonce() != p1.Nonce()+2 {
		t.Fatalf("nonces %d %d %d, want consecutive", p1.Nonce(), p2.Nonce(), p3.Nonce())
	}
	seen := heads(w)
	blocks := c.mineUntil(8, seen, func() bool { return isDone(p1) && isDone(p2) && isDone(p3) })
	for i, p := range []*evm.PendingTx{p1, p2, p3} {
		r, err := p.Wait(c.ctx)
		if err != nil || r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("settlement %d: %+v %v", i+1, r, err)
		}
	}
	r1, _ := p1.Wait(c.ctx)
	if r1.TxHash == first.Hash() {
		t.Fatal("the stuck transaction itself was mined; want its replacement")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(broadcasts) < 2 || broadcasts[len(broadcasts)-1].Hash() != r1.TxHash {
		t.Fatalf("broadcast callbacks %d, last %v; want the first and the mined replacement", len(broadcasts), broadcasts)
	}
	mined, _, err := c.ec.TransactionByHash(c.ctx, r1.TxHash)
	if err != nil || mined.Nonce() != first.Nonce() || mined.GasFeeCap().Cmp(high) < 0 {
		t.Fatalf("mined replacement %v %v: want nonce %d and a fee cap ≥ %s", mined, err, first.Nonce(), high)
	}
	// WaitReceipt by the stuck version's hash ends with the replacement.
	if r, err := s.WaitReceipt(c.ctx, first.Hash()); err != nil || r.TxHash != r1.TxHash {
		t.Fatalf("WaitReceipt(first hash): %+v %v", r, err)
	}
	if bal, _ := devchain.BalanceOf(c.ctx, c.ec, devchain.DevTokenAddress, c.accts[3].Address); bal.Int64() != 6 {
		t.Fatalf("payee holds %s, want 6 (each settlement once)", bal)
	}
	st := s.Stats()
	if st.Pending != 0 || st.Replaced == 0 || st.Sent != 3 {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("all mined after %d blocks; stats %+v", blocks, st)
}

// With MaxFeePerGas below what the new base fee needs, the stuck
// transaction is not replaced (counted and logged instead); once the base
// fee comes down it is mined.
func TestStuckTransactionRespectsMaxFee(t *testing.T) {
	c := startAnvilChain(t)
	w := evm.NewReceiptWatcher(c.ec, evm.WatcherConfig{PollInterval: 10 * time.Millisecond})
	defer w.Close()
	head, err := c.ec.HeaderByNumber(c.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	maxFee := new(big.Int).Mul(head.BaseFee, big.NewInt(10))
	s := evm.NewSender(c.ec, c.accts[1].Key, big.NewInt(anvilChainID), evm.SenderConfig{Watcher: w, ReplaceAfter: 2, MaxFeePerGas: maxFee, Logger: zaptest.NewLogger(t)})
	defer s.Close()
	p, err := s.Submit(c.ctx, devchain.DevTokenAddress, c.transfer(1), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.First().GasFeeCap().Cmp(maxFee) > 0 {
		t.Fatalf("fee cap %s above MaxFeePerGas %s", p.First().GasFeeCap(), maxFee)
	}
	c.setNextBaseFee(new(big.Int).Mul(maxFee, big.NewInt(100)))
	seen := heads(w)
	c.mineUntil(5, seen, func() bool { return isDone(p) })
	if isDone(p) {
		t.Fatal("mined under a base fee above its cap")
	}
	if st := s.Stats(); st.StuckAtMaxFee != 1 || st.Replaced != 0 || st.Pending != 1 || st.OldestPending <= 0 {
		t.Fatalf("stats %+v; want one stuck at the max fee, none replaced", st)
	}
	c.setNextBaseFee(big.NewInt(1))
	c.mineUntil(3, seen, func() bool { return isDone(p) })
	r, err := p.Wait(c.ctx)
	if err != nil || r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("receipt %+v %v; want it mined once the base fee came down", r, err)
	}
	if bal, _ := devchain.BalanceOf(c.ctx, c.ec, devchain.DevTokenAddress, c.accts[3].Address); bal.Int64() != 1 {
		t.Fatalf("payee holds %s, want 1", bal)
	}
}

// A stuck transaction of an earlier process (a crash, then a restart with
// a new Sender on the same key) is adopted by its hash and replaced like
// the Sender's own; the next transaction takes the nonce after it.
func TestAdoptedStuckTransactionIsReplaced(t *testing.T) {
	c := startAnvilChain(t)
	id := big.NewInt(anvilChainID)
	before := evm.NewSender(c.ec, c.accts[1].Key, id)
	old, err := before.Submit(c.ctx, devchain.DevTokenAddress, c.transfer(1), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	before.Close() // the process is gone; its transaction waits in the pool

	w := evm.NewReceiptWatcher(c.ec, evm.WatcherConfig{PollInterval: 10 * time.Millisecond})
	defer w.Close()
	s := evm.NewSender(c.ec, c.accts[1].Key, id, evm.SenderConfig{Watcher: w, ReplaceAfter: 2, Logger: zaptest.NewLogger(t)})
	defer s.Close()
	p, ok := s.Adopt(c.ctx, old.First().Hash())
	if !ok || p.Nonce() != old.Nonce() {
		t.Fatalf("adopt: %v %v", p, ok)
	}
	if _, ok := s.Adopt(c.ctx, common.Hash{1}); ok {
		t.Fatal("adopted an unknown transaction")
	}
	// Fees jump: anvil drops the transaction from its pool at the next
	// block; only a replacement can take its nonce now.
	c.setNextBaseFee(new(big.Int).Mul(old.First().GasFeeCap(), big.NewInt(100)))
	c.mine()
	next, err := s.Submit(c.ctx, devchain.DevTokenAddress, c.transfer(2), 0, nil)
	if err != nil || next.Nonce() != old.Nonce()+1 {
		t.Fatalf("next transaction: nonce %v, %v; want %d", next, err, old.Nonce()+1)
	}
	c.mineUntil(8, heads(w), func() bool { return isDone(p) && isDone(next) })
	r, err := s.WaitReceipt(c.ctx, old.First().Hash())
	if err != nil || r.Status != types.ReceiptStatusSuccessful || r.TxHash == old.First().Hash() {
		t.Fatalf("adopted transaction: %+v %v; want its replacement mined", r, err)
	}
	if r, err := next.Wait(c.ctx); err != nil || r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("next transaction: %+v %v", r, err)
	}
	if st := s.Stats(); st.Replaced == 0 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
}
