package escrow

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// countingBackend is an offlineBackend that counts head reads (one per
// capture-worker sweep).
type countingBackend struct {
	offlineBackend
	heads atomic.Int64
}

func (c *countingBackend) HeaderByNumber(context.Context, *big.Int) (*types.Header, error) {
	c.heads.Add(1)
	return nil, errOffline
}

// Commits wake the capture worker at most once per committedKickDelay, not
// once per commit: a sweep reads the chain's head, so a wake-up per commit
// was an RPC per served request.
func TestCommitsWakeTheWorkerOncePerDelay(t *testing.T) {
	key, _ := crypto.GenerateKey()
	ledger, err := OpenLedger(filepath.Join(t.TempDir(), "escrow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	chain := &countingBackend{}
	op, err := NewOperator(Config{ChainID: 84532, Sender: evm.NewSender(chain, key, big.NewInt(84532)),
		Escrow: common.HexToAddress("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"), Collector: common.HexToAddress("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"),
		Ledger: ledger, CaptureInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Stop()
	token := "sess_" + hex.EncodeToString(make([]byte, 32))
	th := hashToken(token)
	deposit, _ := new(big.Int).SetString("100000000000000000000", 10)
	pi := PaymentInfo{Operator: op.Address(), Payer: common.HexToAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906"),
		Receiver: common.HexToAddress("0x000000000000000000000000000000000000B003"), Token: common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
		MaxAmount: deposit, PreApprovalExpiry: uint64(time.Now().Add(24 * time.Hour).Unix()), AuthorizationExpiry: uint64(time.Now().Add(24 * time.Hour).Unix()),
		RefundExpiry: uint64(time.Now().Add(48 * time.Hour).Unix()), Salt: big.NewInt(1)}
	id := GetHash(84532, op.cfg.Escrow, &pi)
	rec := &SessionRecord{ID: "0x" + hex.EncodeToString(id[:]), Network: "eip155:84532", Escrow: op.cfg.Escrow.Hex(), Collector: op.cfg.Collector.Hex(),
		PaymentInfo: pi, TokenHash: hex.EncodeToString(th[:]), Status: StatusActive}
	op.mu.Lock()
	op.sessions[id] = newSession(id, rec)
	op.mu.Unlock()
	req := &facilitator.PaymentRequirements{Scheme: "escrow", Network: "eip155:84532", Amount: "1000", Asset: pi.Token.Hex(), PayTo: pi.Receiver.Hex()}
	ref := &SessionRef{ID: rec.ID, Token: token}
	// The first sweep (at start) has run once its head read is seen.
	for deadline := time.Now().Add(time.Minute); chain.heads.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the capture worker's first sweep did not run")
		}
		time.Sleep(5 * time.Millisecond)
	}
	before := chain.heads.Load()
	start := time.Now()
	const commits = 400
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < commits; i += 8 {
				resv, xe, err := op.Reserve(context.Background(), ref, fmt.Sprintf("req-%d", i), big.NewInt(1000), req)
				if xe != nil || err != nil {
					t.Errorf("reserve: %v %v", xe, err)
					return
				}
				if _, err := resv.Commit(nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	// The last commits' wake-up comes within committedKickDelay.
	for deadline := time.Now().Add(time.Minute); chain.heads.Load() == before; {
		if time.Now().After(deadline) {
			t.Fatal("no sweep after the commits")
		}
		time.Sleep(5 * time.Millisecond)
	}
	sweeps := chain.heads.Load() - before
	if limit := int64(elapsed/committedKickDelay) + 3; sweeps > limit {
		t.Fatalf("%d commits in %v woke %d sweeps; want at most %d (one per %v)", commits, elapsed, sweeps, limit, committedKickDelay)
	}
	t.Logf("%d commits in %v: %d sweeps", commits, elapsed, sweeps)
}
