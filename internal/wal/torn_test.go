package wal

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A commit torn by a crash ends the segment: the records before it are
// read, nothing from it or after it.
func TestReadStopsAtTornCommit(t *testing.T) {
	l, path := openLog(t, Options{})
	for _, r := range []string{"one", "two", "three"} {
		if err := l.Append([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	end := l.Size()
	seg, err := l.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(seg.Path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// "three" was the last frame: 8 bytes of header, 5 of payload.
	three := end - 13
	cases := []struct {
		name  string
		write func()
		want  []string
	}{
		{"intact", func() {}, []string{"one", "two", "three"}},
		{"payload flipped", func() { f.WriteAt([]byte("X"), three+10) }, []string{"one", "two"}},
		{"payload half written", func() { f.WriteAt([]byte{'t', 'h', 0, 0, 0}, three+8) }, []string{"one", "two"}},
		{"impossible length", func() {
			var b [4]byte
			binary.LittleEndian.PutUint32(b[:], MaxRecord+1)
			f.WriteAt(b[:], three)
		}, []string{"one", "two"}},
		{"zero length", func() { f.WriteAt(make([]byte, 4), three) }, []string{"one", "two"}},
	}
	for _, tc := range cases {
		tc.write()
		if got := readAll(t, path); !slices.Equal(got, tc.want) {
			t.Fatalf("%s: read %q, want %q", tc.name, got, tc.want)
		}
	}
	// A record copied into another segment fails that segment's check.
	other := Segment{Path: segmentPath(path, seg.Seq+1), Seq: seg.Seq + 1}
	b, _ := os.ReadFile(seg.Path)
	if err := os.WriteFile(other.Path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = ReadSegment(other, func([]byte) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d records of segment %d read as segment %d's", n, seg.Seq, other.Seq)
	}
}

// After a failed commit, the next one writes over its bytes and zeroes
// what is left of them, so none of the failed records is read back.
func TestFailedCommitIsOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := createSegment(path, 1, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer s.f.Close()
	frame := func(recs ...string) []byte {
		var b []byte
		for _, r := range recs {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
			b = append(b, 0, 0, 0, 0)
			b = append(b, r...)
		}
		return b
	}
	if err := s.write(frame("ok1"), 4096); err != nil {
		t.Fatal(err)
	}
	// A commit of three records that reached the file but whose
	// fdatasync failed: write records its end as dirty.
	failed := frame("bad", "bad", "bad")
	copyOf := *s
	if err := copyOf.write(failed, 4096); err != nil { // checksums filled in, written at s.off
		t.Fatal(err)
	}
	s.dirty = s.off + int64(len(failed))
	// The next commit is exactly as long as the first failed frame.
	if err := s.write(frame("ok2"), 4096); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := ReadSegment(s.Segment, func(r []byte) error { got = append(got, string(r)); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"ok1", "ok2"}) {
		t.Fatalf("read %q after a failed commit, want [ok1 ok2]", got)
	}
}

// kill -9 while writers append: every record whose Append returned is read
// back after the crash, once.
func TestKillDuringAppends(t *testing.T) {
	if os.Getenv("WAL_CRASH_CHILD") != "" {
		crashChild(os.Getenv("WAL_CRASH_CHILD"))
		return
	}
	path := filepath.Join(t.TempDir(), "store.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringAppends$")
	cmd.Env = append(os.Environ(), "WAL_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(2 * time.Minute)
	for len(acked) < 3000 && time.Now().Before(deadline) && sc.Scan() {
		if r, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked[r] = true
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if len(acked) < 3000 {
		t.Fatalf("the child acknowledged only %d appends", len(acked))
	}
	seen := map[string]bool{}
	for _, r := range readAll(t, path) {
		if seen[r] {
			t.Fatalf("record %s read twice", r)
		}
		seen[r] = true
	}
	for r := range acked {
		if !seen[r] {
			t.Fatalf("acknowledged record %s lost by the crash (%d acknowledged, %d read back)", r, len(acked), len(seen))
		}
	}
	t.Logf("%d appends acknowledged before kill -9, %d records read back", len(acked), len(seen))
}

// crashChild appends from 16 writers forever, printing each record once
// its Append returned.
func crashChild(path string) {
	l, err := Open(path, 1, Options{Pending: func() int { return 8 }, ExtendBytes: 8192})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				r := "g" + strconv.Itoa(g) + "-" + strconv.Itoa(i) + strings.Repeat(".", i%300)
				if err := l.Append([]byte(r)); err != nil {
					return
				}
				mu.Lock()
				fmt.Fprintln(w, "acked", r)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
