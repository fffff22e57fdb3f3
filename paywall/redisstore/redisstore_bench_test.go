package redisstore

import (
	"context"
	"encoding/binary"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall"
)

// benchStore starts a store on a redis-server of its own and waits until
// it takes claims.
func benchStore(b *testing.B) *Store {
	b.Helper()
	r := testsvc.StartRedis(b)
	s, err := New(Options{URL: r.URL(0), Namespace: "bench", Recovery: fastRecovery})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Start(context.Background(), func() (*paywall.RearmSet, error) { return &paywall.RearmSet{}, nil }); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !s.Ready() {
		if time.Now().After(deadline) {
			b.Fatal("store not ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// BenchmarkRedisGuardClaim is one replay-guard claim (one script: the
// generation check, then SET NX PXAT) against a redis-server on loopback,
// which the benchmark starts itself: one at a time (latency) and 32 in
// flight (throughput; ns/op = 1/throughput).
func BenchmarkRedisGuardClaim(b *testing.B) {
	s := benchStore(b)
	var seq atomic.Uint64
	claim := func() error {
		var in [8]byte
		binary.BigEndian.PutUint64(in[:], seq.Add(1))
		return s.Claim(context.Background(), evm.Keccak256(in[:]), time.Now().Add(time.Hour))
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := claim(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel32", func(b *testing.B) {
		b.SetParallelism(16)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := claim(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRedisFundsReserve is one after-mode funds reservation of a
// repeat payer (its balance reading is fresh in the store: no RPC), the
// second round trip of an after-mode paid request on Redis.
func BenchmarkRedisFundsReserve(b *testing.B) {
	s := benchStore(b)
	k := payer(7)
	rich := &paywall.BalanceReading{Balance: new(big.Int).Lsh(big.NewInt(1), 200)}
	var seq atomic.Uint64
	reserve := func(o paywall.ReserveOptions) error {
		var in [8]byte
		binary.BigEndian.PutUint64(in[:], seq.Add(1))
		x := &paywall.Exposure{Key: k, ID: evm.Keccak256(in[:]), Amount: big.NewInt(10_000), Until: time.Now().Add(time.Hour)}
		d, err := s.Reserve(context.Background(), x, o)
		if err == nil && !d.Allowed {
			b.Fatal("refused")
		}
		return err
	}
	if err := reserve(paywall.ReserveOptions{TTL: time.Hour, Reading: rich, Lag: time.Second}); err != nil {
		b.Fatal(err)
	}
	o := paywall.ReserveOptions{TTL: time.Hour, Lag: time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := reserve(o); err != nil {
			b.Fatal(err)
		}
	}
}
