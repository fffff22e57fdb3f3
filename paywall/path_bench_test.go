package paywall

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"math/big"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/cputime"
	"github.com/ethereum/go-ethereum/common"
)

// The request path without a chain: payments are verified for real
// (EIP-712 digest, ecrecover, every check), claimed in the real replay
// guard, counted against a payer balance, journaled in a real bbolt file
// (fsync included) and settled by a facilitator that answers success at
// once. What these benchmarks leave out is the network: Caddy, the
// upstream and the chain (examples/bench/run measures those).

// instantFacilitator settles every payment at once.
type instantFacilitator struct{}

func (instantFacilitator) Supported(context.Context) (facilitator.SupportedResponse, error) {
	return facilitator.SupportedResponse{}, nil
}

func (instantFacilitator) Verify(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
	return facilitator.VerifyResponse{IsValid: true}, nil
}

func (instantFacilitator) Settle(_ context.Context, _ *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
	return facilitator.SettleResponse{Success: true, Network: r.Network,
		Transaction: "0x1111111111111111111111111111111111111111111111111111111111111111"}, nil
}

// benchPayments holds pre-signed payment headers, shared by the benchmarks
// of this file: every benchmark run builds a fresh engine (and replay
// guard), so a header is used once per run.
var benchPayments struct {
	sync.Mutex
	key     *ecdsa.PrivateKey
	headers []string
}

func benchRequirements() facilitator.PaymentRequirements {
	extra, _ := json.Marshal(evm.Extra{Name: "USD Coin", Version: "2"})
	return facilitator.PaymentRequirements{
		Scheme: "exact", Network: "eip155:84532", Amount: "1000",
		Asset: "0x5FbDB2315678afecb367f032d93F642f64180aa3", PayTo: "0x000000000000000000000000000000000000B001",
		MaxTimeoutSeconds: 3600, Extra: extra,
	}
}

// paymentHeaders returns n distinct pre-signed PAYMENT-SIGNATURE values
// (valid for an hour), signing more on every core when needed.
func paymentHeaders(b *testing.B, n int) []string {
	b.Helper()
	bp := &benchPayments
	bp.Lock()
	defer bp.Unlock()
	if bp.key == nil {
		bp.key = newKey(b)
	}
	if have := len(bp.headers); have < n {
		r := benchRequirements()
		more := make([]string, n-have)
		var wg sync.WaitGroup
		var failed atomic.Bool
		workers := runtime.GOMAXPROCS(0)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(more); i += workers {
					p, err := evm.NewExactPayment(bp.key, &r, evm.ExactOptions{})
					if err != nil {
						failed.Store(true)
						return
					}
					if more[i], err = facilitator.EncodeHeader(p); err != nil {
						failed.Store(true)
						return
					}
				}
			}()
		}
		wg.Wait()
		if failed.Load() {
			b.Fatal("signing benchmark payments failed")
		}
		bp.headers = append(bp.headers, more...)
	}
	return bp.headers[:n]
}

// benchWriter is a minimal http.ResponseWriter.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(s int)           { w.status = s }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }

var benchBody = []byte(`{"ok":true,"data":"benchmark upstream","n":42}`)

func benchUpstream(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(benchBody)
	return nil
}

// newBenchRoute builds an exact route on an engine with the instant
// facilitator, a memory guard, a funds check with a large cached balance
// and, when journal is set, a bbolt journal in a temporary directory.
func newBenchRoute(b *testing.B, mode SettleMode, journal bool, delay time.Duration) *Route {
	b.Helper()
	router := facilitator.NewRouter()
	router.Handle(facilitator.SchemeExact, "eip155:84532", instantFacilitator{})
	guard := NewMemoryGuard(0, 0)
	rich, _ := new(big.Int).SetString("1000000000000000000000000", 10)
	funds := NewFunds(func(context.Context, string, common.Address, common.Address) (*big.Int, error) { return rich, nil }, nil, time.Hour)
	e := &Engine{Facilitator: router, Guard: guard, Funds: funds}
	if journal {
		j, err := OpenBoltJournal(filepath.Join(b.TempDir(), "journal.db"), 0)
		if err != nil {
			b.Fatal(err)
		}
		e.Journal = j
	}
	e.Queue = NewSettlementQueue(QueueConfig{Capacity: 1 << 30, Journal: e.Journal})
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		e.Close(ctx)
		if e.Journal != nil {
			e.Journal.Close()
		}
	})
	o, err := NewExactOffer(benchRequirements(), "USDC", 6)
	if err != nil {
		b.Fatal(err)
	}
	rt := &Route{Name: "bench", Offers: []*Offer{o}, Mode: mode, SettleDelay: delay}
	if err := rt.Init(e); err != nil {
		b.Fatal(err)
	}
	return rt
}

// BenchmarkServePaid is the paid request through Route.Serve with 32
// requests in flight on GOMAXPROCS cores (ns/op is wall time per request,
// i.e. 1/throughput), each with its own pre-signed payment:
//
//   - after/memory: settle after, no journal, settlement not yet due;
//   - after/journal: the same with the bbolt journal (one durable,
//     group-committed write per request before its answer);
//   - after/journal+settle: settlements due at once and answered by the
//     instant facilitator, so each request also costs its queue job and the
//     journal's Finish write, as in production;
//   - header/journal: settle header (settled before the answer), journaled.
func BenchmarkServePaid(b *testing.B) {
	cases := []struct {
		name    string
		mode    SettleMode
		journal bool
		delay   time.Duration
	}{
		{"after/memory", SettleAfter, false, time.Hour},
		{"after/journal", SettleAfter, true, time.Hour},
		{"after/journal+settle", SettleAfter, true, time.Millisecond},
		{"header/journal", SettleHeader, true, 0},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			headers := paymentHeaders(b, b.N)
			rt := newBenchRoute(b, tc.mode, tc.journal, tc.delay)
			var next atomic.Int64
			var bad atomic.Int64
			b.SetParallelism(16) // 32 in flight on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			stop := cputime.ReportPerOp(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					req, _ := http.NewRequest(http.MethodGet, "http://api.test/paid/data", nil)
					req.Header.Set(facilitator.HeaderPaymentSignature, headers[i])
					w := &benchWriter{h: http.Header{}}
					if err := rt.Serve(w, req, benchUpstream); err != nil || w.status != http.StatusOK {
						bad.Add(1)
					}
				}
			})
			b.StopTimer()
			stop()
			if n := bad.Load(); n > 0 {
				b.Fatalf("%d of %d paid requests were not served", n, b.N)
			}
		})
	}
}

// BenchmarkServePaidSerial is after/journal with one request at a time:
// the latency of one paid request, dominated by the group commit's delay
// and fsync.
func BenchmarkServePaidSerial(b *testing.B) {
	headers := paymentHeaders(b, b.N)
	rt := newBenchRoute(b, SettleAfter, true, time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodGet, "http://api.test/paid/data", nil)
		req.Header.Set(facilitator.HeaderPaymentSignature, headers[i])
		w := &benchWriter{h: http.Header{}}
		if err := rt.Serve(w, req, benchUpstream); err != nil || w.status != http.StatusOK {
			b.Fatalf("request %d: %d %v", i, w.status, err)
		}
	}
}
