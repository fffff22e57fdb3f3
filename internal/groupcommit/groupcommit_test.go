package groupcommit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("b")

func openDB(t testing.TB) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		t.Fatal(err)
	}
	return db
}

func put(k int) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		var key [8]byte
		binary.BigEndian.PutUint64(key[:], uint64(k))
		return tx.Bucket(bucket).Put(key[:], []byte("v"))
	}
}

func count(t *testing.T, db *bolt.DB) int {
	t.Helper()
	n := 0
	_ = db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucket).Stats().KeyN; return nil })
	return n
}

// Concurrent writes all land, in fewer commits than writes, and one
// failing write neither blocks nor undoes the others of its batch.
func TestWriterConcurrentWritesAndFailures(t *testing.T) {
	db := openDB(t)
	w := New(db, 0)
	defer w.Close()
	const writers = 400
	boom := errors.New("refused")
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch {
			case i%50 == 7:
				errs[i] = w.Update(func(tx *bolt.Tx) error {
					_ = put(1_000_000 + i)(tx) // rolled back with the error
					return fmt.Errorf("write %d: %w", i, boom)
				})
			case i%50 == 9:
				errs[i] = w.Update(func(*bolt.Tx) error { panic("bad write") })
			default:
				errs[i] = w.Update(put(i))
			}
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case i%50 == 7:
			if !errors.Is(err, boom) {
				t.Fatalf("write %d: %v, want its own error", i, err)
			}
		case i%50 == 9:
			if err == nil {
				t.Fatalf("panicking write %d reported success", i)
			}
		case err != nil:
			t.Fatalf("write %d: %v", i, err)
		default:
			ok++
		}
	}
	if got := count(t, db); got != ok {
		t.Fatalf("database holds %d keys, want the %d successful writes", got, ok)
	}
}

// A lone write is committed at once, not after a batching delay.
func TestWriterNoDelayWhenIdle(t *testing.T) {
	db := openDB(t)
	w := New(db, 0)
	defer w.Close()
	start := time.Now()
	for i := 0; i < 20; i++ {
		if err := w.Update(put(i)); err != nil {
			t.Fatal(err)
		}
	}
	// 20 serial commits: each is two fdatasyncs; bbolt's DB.Batch would
	// add its 10 ms delay to every one (200 ms).
	if el := time.Since(start); el > 150*time.Millisecond {
		t.Fatalf("20 serial writes took %v", el)
	}
	if count(t, db) != 20 {
		t.Fatal("writes missing")
	}
}

func TestWriterClose(t *testing.T) {
	db := openDB(t)
	w := New(db, 0)
	if err := w.Update(put(1)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w.Close() // twice is harmless
	if err := w.Update(put(2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("update after close: %v, want ErrClosed", err)
	}
}

func BenchmarkWriterParallel(b *testing.B) {
	db := openDB(b)
	w := New(db, 0)
	defer w.Close()
	var next sync.Mutex
	k := 0
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			k++
			i := k
			next.Unlock()
			if err := w.Update(put(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
