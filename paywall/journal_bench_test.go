package paywall

import (
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/cputime"
)

// benchEntries returns n journal entries as an exact payment makes them
// (a real signed payload, the route's requirements).
func benchEntries(b *testing.B, n int) []*Entry {
	b.Helper()
	headers := paymentHeaders(b, min(n, 64))
	req := benchRequirements()
	out := make([]*Entry, n)
	for i := range out {
		var p facilitator.PaymentPayload
		if err := facilitator.DecodeHeader(headers[i%len(headers)], 0, &p); err != nil {
			b.Fatal(err)
		}
		raw, _ := json.Marshal(&p)
		id := evm.Keccak256([]byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
		out[i] = &Entry{ID: hex.EncodeToString(id[:]), Scheme: facilitator.SchemeExact, Route: "bench", State: StateQueued,
			Payload: raw, Requirements: req, Due: time.Now(), Deadline: time.Now().Add(time.Hour)}
	}
	return out
}

// BenchmarkJournalPut is one durable, group-committed journal write per
// op with 32 writers in flight (ns/op = 1/throughput).
func BenchmarkJournalPut(b *testing.B) {
	entries := benchEntries(b, b.N)
	j, err := OpenBoltJournal(filepath.Join(b.TempDir(), "journal.db"), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	var next atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.ReportPerOp(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := j.Put(entries[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkJournalPutFinish is the whole life of an after-mode payment in
// the journal: Put when served, Finish (settled) after settlement.
func BenchmarkJournalPutFinish(b *testing.B) {
	entries := benchEntries(b, b.N)
	j, err := OpenBoltJournal(filepath.Join(b.TempDir(), "journal.db"), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	var next atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.ReportPerOp(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := entries[next.Add(1)-1]
			if err := j.Put(e); err != nil {
				b.Error(err)
				return
			}
			if err := j.Finish(e.ID, StateSettled, "0x11", ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
