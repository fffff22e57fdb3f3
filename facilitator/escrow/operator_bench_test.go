package escrow

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/cputime"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// offlineBackend is a chain that cannot be reached: what the capture
// worker's first sweep reads fails (the benchmarks stop the worker).
type offlineBackend struct{ evm.Backend }

var errOffline = errors.New("benchmark: no chain")

func (offlineBackend) PendingNonceAt(context.Context, common.Address) (uint64, error) {
	return 0, errOffline
}

func (offlineBackend) HeaderByNumber(context.Context, *big.Int) (*types.Header, error) {
	return nil, errOffline
}

// benchOperator is an operator with one active session and a real ledger
// file, but no chain and no capture worker. It measures what a session request
// costs the operator: token check, binding check, reservation, and the
// durable (fsync'd, group-committed) debit.
func benchOperator(b *testing.B) (*Operator, *SessionRef, *facilitator.PaymentRequirements) {
	b.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	ledger, err := OpenLedger(filepath.Join(b.TempDir(), "escrow.db"))
	if err != nil {
		b.Fatal(err)
	}
	op, err := NewOperator(Config{ChainID: 84532, Sender: evm.NewSender(offlineBackend{}, key, big.NewInt(84532)),
		Escrow: common.HexToAddress("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"), Collector: common.HexToAddress("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"),
		Ledger: ledger})
	if err != nil {
		b.Fatal(err)
	}
	// No capture worker: it would read the chain on its first sweep.
	op.Stop()
	b.Cleanup(func() { ledger.Close() })
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
	return op, &SessionRef{ID: rec.ID, Token: token}, req
}

// BenchmarkReserveCommit is a served session request as the operator sees
// it: Reserve (token, binding, balance) then Commit (the durable debit).
// serial: one at a time (latency); parallel32: 32 in flight on one session
// (ns/op = 1/throughput).
func BenchmarkReserveCommit(b *testing.B) {
	op, ref, req := benchOperator(b)
	price := big.NewInt(1000)
	var seq atomic.Int64
	one := func() error {
		resv, xe, err := op.Reserve(context.Background(), ref, fmt.Sprintf("req-%d", seq.Add(1)), price, req)
		if xe != nil || err != nil {
			return fmt.Errorf("reserve: %v %v", xe, err)
		}
		_, err = resv.Commit(nil)
		return err
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		defer cputime.ReportPerOp(b)()
		for i := 0; i < b.N; i++ {
			if err := one(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel32", func(b *testing.B) {
		b.SetParallelism(16)
		b.ReportAllocs()
		defer cputime.ReportPerOp(b)()
		c0, r0 := op.ledger.debits.Stats()
		defer func() {
			if c1, r1 := op.ledger.debits.Stats(); c1 > c0 {
				b.ReportMetric(float64(r1-r0)/float64(c1-c0), "debits/commit")
			}
		}()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := one(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkReserveRelease is the in-memory part alone: Reserve then
// Release (an upstream failure: nothing is written).
func BenchmarkReserveRelease(b *testing.B) {
	op, ref, req := benchOperator(b)
	price := big.NewInt(1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		resv, xe, err := op.Reserve(context.Background(), ref, fmt.Sprintf("req-%d", i), price, req)
		if xe != nil || err != nil {
			b.Fatal(xe, err)
		}
		resv.Release()
	}
}
