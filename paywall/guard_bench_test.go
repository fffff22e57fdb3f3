package paywall

import (
	"context"
	"encoding/binary"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// BenchmarkMemoryGuardClaimParallel is one replay-guard claim per op from
// 32 goroutines (the guard's 64 shards keep them from contending).
func BenchmarkMemoryGuardClaimParallel(b *testing.B) {
	g := NewMemoryGuard(b.N+64*1024, 0)
	defer g.Close()
	until := time.Now().Add(time.Hour)
	var next atomic.Uint64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var in [8]byte
		for pb.Next() {
			binary.BigEndian.PutUint64(in[:], next.Add(1))
			if err := g.Claim(context.Background(), evm.Keccak256(in[:]), until); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMemoryGuardMillion fills a guard with 1,000,000 live claims (the
// default capacity) and reports the heap they take, measured after GC
// (target: at most 256 MiB).
func BenchmarkMemoryGuardMillion(b *testing.B) {
	const live = 1_000_000
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g := NewMemoryGuard(live, 0)
		until := time.Now().Add(time.Hour)
		var in [8]byte
		for n := uint64(0); n < live; n++ {
			binary.BigEndian.PutUint64(in[:], n)
			if err := g.Claim(context.Background(), evm.Keccak256(in[:]), until); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if g.Len() != live {
			b.Fatalf("guard holds %d claims, want %d", g.Len(), live)
		}
		heap := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		b.ReportMetric(heap, "MiB")
		b.ReportMetric(heap*(1<<20)/live, "B/claim")
		if heap > 256 {
			b.Errorf("1,000,000 live claims take %.1f MiB of heap, more than 256 MiB", heap)
		}
		runtime.KeepAlive(g)
		g.Close()
	}
}

// BenchmarkRequirementMatch is the route's match of a v2 payment against
// its offers: scheme, network and the echoed requirements (asset, payee,
// amount), as Route.accept does before any signature work.
func BenchmarkRequirementMatch(b *testing.B) {
	o, err := NewExactOffer(benchRequirements(), "USDC", 6)
	if err != nil {
		b.Fatal(err)
	}
	other := benchRequirements()
	other.PayTo = "0x000000000000000000000000000000000000B002"
	o2, err := NewExactOffer(other, "USDC", 6)
	if err != nil {
		b.Fatal(err)
	}
	offers := []*Offer{o2, o} // the payment matches the second
	var p facilitator.PaymentPayload
	if err := facilitator.DecodeHeader(paymentHeaders(b, 1)[0], 0, &p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		scheme, network := p.SchemeNetwork()
		var hit *Offer
		for _, o := range offers {
			if o.Requirements.Scheme == scheme && facilitator.SameNetwork(network, o.Requirements.Network) && o.echoMatches(p.Accepted) {
				hit = o
				break
			}
		}
		if hit != o {
			b.Fatal("no match")
		}
	}
}

// BenchmarkChallengeParallel is the unpaid 402 (PAYMENT-REQUIRED header and
// v1 JSON body) from 32 goroutines.
func BenchmarkChallengeParallel(b *testing.B) {
	rt := newBenchRoute(b, SettleAfter, false, time.Hour)
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, "http://api.test/paid/data", nil)
			w := &benchWriter{h: http.Header{}}
			if err := rt.Serve(w, req, benchUpstream); err != nil || w.status != http.StatusPaymentRequired {
				b.Error("unpaid request not answered 402")
				return
			}
		}
	})
}
