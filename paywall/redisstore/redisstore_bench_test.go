package redisstore

import (
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// BenchmarkRedisGuardClaim is one replay-guard claim (SET NX PXAT) against
// a redis-server on loopback, which the benchmark starts itself: one at a
// time (latency) and 32 in flight (throughput; ns/op = 1/throughput).
func BenchmarkRedisGuardClaim(b *testing.B) {
	r := testsvc.StartRedis(b)
	g, err := New(Options{URL: r.URL(0), Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	if err := g.Ping(context.Background()); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Uint64
	claim := func() error {
		var in [8]byte
		binary.BigEndian.PutUint64(in[:], seq.Add(1))
		return g.Claim(context.Background(), evm.Keccak256(in[:]), time.Now().Add(time.Hour))
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
