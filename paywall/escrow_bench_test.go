package paywall

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/cputime"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// offlineChain is a chain that cannot be reached: the escrow operator's
// capture worker (stopped by the benchmark) finds nothing to do.
type offlineChain struct{ evm.Backend }

var errOfflineChain = errors.New("benchmark: no chain")

func (offlineChain) PendingNonceAt(context.Context, common.Address) (uint64, error) {
	return 0, errOfflineChain
}

func (offlineChain) HeaderByNumber(context.Context, *big.Int) (*types.Header, error) {
	return nil, errOfflineChain
}

// newEscrowBenchRoute is an escrow route whose operator holds one active
// session (loaded from a real ledger file, with its debit log) and no
// chain. It returns the route and the usage headers of n requests on that
// session, each with its own requestId, as a client sends them.
func newEscrowBenchRoute(b *testing.B, n int) (*Route, []string) {
	b.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	ledger, err := escrow.OpenLedger(filepath.Join(b.TempDir(), "escrow.db"))
	if err != nil {
		b.Fatal(err)
	}
	escrowAddr := common.HexToAddress("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")
	token := "sess_" + hex.EncodeToString(make([]byte, 32))
	th := sha256.Sum256([]byte(token))
	deposit, _ := new(big.Int).SetString("1000000000000000000000", 10)
	expiry := uint64(time.Now().Add(24 * time.Hour).Unix())
	pi := escrow.PaymentInfo{Operator: crypto.PubkeyToAddress(key.PublicKey), Payer: common.HexToAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906"),
		Receiver: common.HexToAddress("0x000000000000000000000000000000000000B003"), Token: common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
		MaxAmount: deposit, PreApprovalExpiry: expiry, AuthorizationExpiry: expiry, RefundExpiry: expiry + 86400, Salt: big.NewInt(1)}
	id := escrow.GetHash(84532, escrowAddr, &pi)
	idHex := "0x" + hex.EncodeToString(id[:])
	if err := ledger.PutSession(id, &escrow.SessionRecord{ID: idHex, Network: "eip155:84532", Escrow: escrowAddr.Hex(),
		Collector: common.HexToAddress("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0").Hex(), PaymentInfo: pi,
		TokenHash: hex.EncodeToString(th[:]), Status: escrow.StatusActive}); err != nil {
		b.Fatal(err)
	}
	op, err := escrow.NewOperator(escrow.Config{ChainID: 84532, Network: "eip155:84532", Sender: evm.NewSender(offlineChain{}, key, big.NewInt(84532)),
		Escrow: escrowAddr, Collector: common.HexToAddress("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"), Ledger: ledger})
	if err != nil {
		b.Fatal(err)
	}
	op.Stop()
	b.Cleanup(func() { ledger.Close() })
	router := facilitator.NewRouter()
	router.Handle(facilitator.SchemeExact, "eip155:84532", instantFacilitator{})
	e := &Engine{Facilitator: router, Guard: NewMemoryGuard(0, 0)}
	e.Queue = NewSettlementQueue(QueueConfig{Capacity: 1 << 20})
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		e.Close(ctx)
	})
	req := facilitator.PaymentRequirements{Network: "eip155:84532", Amount: "1000", Asset: pi.Token.Hex(), PayTo: pi.Receiver.Hex(), MaxTimeoutSeconds: 60}
	o, err := NewEscrowOffer(req, "USD Coin", "2", "USDC", 6, op)
	if err != nil {
		b.Fatal(err)
	}
	rt := &Route{Name: "escrow-bench", Offers: []*Offer{o}}
	if err := rt.Init(e); err != nil {
		b.Fatal(err)
	}
	resource := &facilitator.ResourceInfo{URL: "http://api.test/session/data", Description: "benchmark", MimeType: "application/json"}
	headers := make([]string, n)
	for i := range headers {
		raw, err := json.Marshal(escrow.UsagePayload{Session: &escrow.SessionRef{ID: idHex, Token: token}, Amount: "1000", RequestID: fmt.Sprintf("bench-%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		if headers[i], err = facilitator.EncodeHeader(facilitator.PaymentPayload{X402Version: facilitator.V2, Accepted: &o.Requirements, Resource: resource, Payload: raw}); err != nil {
			b.Fatal(err)
		}
	}
	return rt, headers
}

// BenchmarkServeEscrow is a served escrow session request through
// Route.Serve: header decoding, token check, reservation, the upstream (a
// 46-byte JSON answer), the debit appended to the ledger's log (fdatasync,
// group-committed) and the PAYMENT-RESPONSE header. parallel32: 32 in
// flight (ns/op = 1/throughput); serial: one at a time. cpu-ns/op is the
// process's CPU time per request.
func BenchmarkServeEscrow(b *testing.B) {
	for _, tc := range []struct {
		name     string
		parallel bool
	}{{"parallel32", true}, {"serial", false}} {
		b.Run(tc.name, func(b *testing.B) {
			rt, headers := newEscrowBenchRoute(b, b.N)
			var next, bad atomic.Int64
			one := func() {
				i := next.Add(1) - 1
				req, _ := http.NewRequest(http.MethodGet, "http://api.test/session/data", nil)
				req.Header.Set(facilitator.HeaderPaymentSignature, headers[i])
				w := &benchWriter{h: http.Header{}}
				if err := rt.Serve(w, req, benchUpstream); err != nil || w.status != http.StatusOK || w.h.Get(facilitator.HeaderPaymentResponse) == "" {
					bad.Add(1)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			stop := cputime.ReportPerOp(b)
			if tc.parallel {
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						one()
					}
				})
			} else {
				for i := 0; i < b.N; i++ {
					one()
				}
			}
			b.StopTimer()
			stop()
			if n := bad.Load(); n > 0 {
				b.Fatalf("%d of %d escrow requests were not served", n, b.N)
			}
		})
	}
}
