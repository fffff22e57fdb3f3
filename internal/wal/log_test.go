package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openLog(t testing.TB, opt Options) (*Log, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	l, err := Open(path, 1, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path
}

// readAll returns every record of the log's segments, oldest first.
func readAll(t testing.TB, path string) []string {
	t.Helper()
	segs, err := Segments(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range segs {
		if err := ReadSegment(s, func(rec []byte) error { out = append(out, string(rec)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Concurrent appends are each durable once, in fewer commits than records.
func TestAppendConcurrent(t *testing.T) {
	var pending atomic.Int64
	l, path := openLog(t, Options{Pending: func() int { return int(pending.Load()) }, Linger: 5 * time.Millisecond})
	const writers, each = 32, 50
	pending.Store(writers * each)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				pending.Add(-1)
				if err := l.Append([]byte(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	commits, records := l.Stats()
	if _, err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, path)
	if len(got) != writers*each || records != writers*each {
		t.Fatalf("%d records read back, %d counted; want %d", len(got), records, writers*each)
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r] {
			t.Fatalf("record %s read twice", r)
		}
		seen[r] = true
	}
	// Each writer's records are in its order.
	for w := 0; w < writers; w++ {
		last := -1
		for _, r := range got {
			var ww, i int
			if _, err := fmt.Sscanf(r, "w%d-%d", &ww, &i); err != nil || ww != w {
				continue
			}
			if i != last+1 {
				t.Fatalf("writer %d: record %d after %d", w, i, last)
			}
			last = i
		}
	}
	if commits >= records/2 {
		t.Fatalf("%d commits for %d records: no group commit", commits, records)
	}
	t.Logf("%d records in %d commits", records, commits)
}

// A lone writer never waits for others: with nothing pending, a commit is
// written at once even with a long linger.
func TestLoneAppendDoesNotLinger(t *testing.T) {
	l, _ := openLog(t, Options{Pending: func() int { return 0 }, Linger: time.Hour})
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 10; i++ {
			if err := l.Append([]byte("x")); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("10 lone appends did not return within a minute (lingered for others)")
	}
}

// With appends announced, a commit waits for them (up to Linger) and the
// last one ends the wait.
func TestLingerWaitsForPending(t *testing.T) {
	var pending atomic.Int64
	l, _ := openLog(t, Options{Pending: func() int { return int(pending.Load()) }, Linger: time.Hour})
	pending.Store(3)
	var wg sync.WaitGroup
	returned := make(chan int, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 20 * time.Millisecond)
			pending.Add(-1)
			if err := l.Append([]byte{byte(i)}); err != nil {
				t.Error(err)
			}
			returned <- i
		}()
	}
	wg.Wait()
	close(returned)
	if commits, records := l.Stats(); commits != 1 || records != 3 {
		t.Fatalf("%d commits for %d records; want the three appends in one commit", commits, records)
	}

	// Linger bounds the wait when the announced appends do not come.
	l2, _ := openLog(t, Options{Pending: func() int { return 1 }, Linger: 30 * time.Millisecond})
	start := time.Now()
	if err := l2.Append([]byte("alone")); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 30*time.Millisecond || el > time.Minute {
		t.Fatalf("append with a pending write that never came took %v; want the 30ms linger", el)
	}
}

// Rotate seals a segment: the records appended before are in it, the later
// ones in the next; Remove deletes it.
func TestRotate(t *testing.T) {
	l, path := openLog(t, Options{})
	for i := 0; i < 3; i++ {
		if err := l.Append([]byte(fmt.Sprint("a", i))); err != nil {
			t.Fatal(err)
		}
	}
	sealed, err := l.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append([]byte("b0")); err != nil {
		t.Fatal(err)
	}
	if cur := l.Current(); cur.Seq != sealed.Seq+1 {
		t.Fatalf("current segment %d after sealing %d", cur.Seq, sealed.Seq)
	}
	var old []string
	if err := ReadSegment(sealed, func(r []byte) error { old = append(old, string(r)); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(old, []string{"a0", "a1", "a2"}) {
		t.Fatalf("sealed segment holds %q", old)
	}
	if err := Remove(sealed); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, path); !slices.Equal(got, []string{"b0"}) {
		t.Fatalf("log holds %q after removing the sealed segment", got)
	}
}

func TestCloseAndErrors(t *testing.T) {
	l, path := openLog(t, Options{})
	if err := l.Append(nil); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("empty record: %v", err)
	}
	if err := l.Append(make([]byte, MaxRecord+1)); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("oversized record: %v", err)
	}
	if err := l.Append([]byte("kept")); err != nil {
		t.Fatal(err)
	}
	seg, err := l.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := l.Append([]byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if got := readAll(t, path); !slices.Equal(got, []string{"kept"}) {
		t.Fatalf("log holds %q", got)
	}
	if _, err := Open(path, seg.Seq, Options{}); err == nil {
		t.Fatal("opening over an existing segment succeeded")
	}
}

// A segment grows past its first extension; Full is signalled at
// RotateBytes.
func TestGrowAndFull(t *testing.T) {
	l, path := openLog(t, Options{ExtendBytes: 4096, RotateBytes: 64 << 10})
	rec := make([]byte, 1000)
	var want int
	for i := 0; i < 100; i++ {
		rec[0] = byte(i)
		if err := l.Append(rec); err != nil {
			t.Fatal(err)
		}
		want++
	}
	select {
	case <-l.Full():
	default:
		t.Fatalf("Full not signalled at %d bytes", l.Size())
	}
	if got := readAll(t, path); len(got) != want {
		t.Fatalf("%d records read back, want %d", len(got), want)
	}
	fi, err := os.Stat(l.Current().Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size()%4096 != 0 || fi.Size() < l.Size() {
		t.Fatalf("segment file is %d bytes for %d written: not extended in steps", fi.Size(), l.Size())
	}
}
