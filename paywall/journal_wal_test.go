package paywall

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/internal/wal"
)

// A payment's records may land in different segments of the log: put in
// one, broadcast in the next, finished in a third. Every fold leaves the
// file as if each call had been written to it directly.
func TestJournalFoldAcrossSegments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := openBoltJournal(path, time.Hour, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	now := time.Now().Truncate(time.Second)
	put := func(id string) {
		t.Helper()
		if err := j.Put(&Entry{ID: id, Scheme: "exact", Route: "r", State: StateQueued, Payload: json.RawMessage(`{"x402Version":2}`), Due: now, Deadline: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	fold := func() {
		t.Helper()
		if err := j.log.Fold(); err != nil {
			t.Fatal(err)
		}
	}
	tx1, tx2 := "0x"+strings.Repeat("01", 32), "0x"+strings.Repeat("02", 32)

	put("a") // put, folded, broadcast, folded, failed
	put("b") // put and broadcast in one segment, settled in the next
	put("c") // put and released in one segment: never pending in the file
	_ = j.Broadcast("b", tx2)
	_ = j.Finish("c", StateReleased, "", "")
	fold()
	if p, _ := j.Pending(); len(p) != 2 || p[0].ID != "a" || p[1].ID != "b" || !slices.Equal(p[1].Sent, []string{tx2}) {
		t.Fatalf("pending after the first fold: %+v", p)
	}
	_ = j.Broadcast("a", tx1)
	fold()
	_ = j.Broadcast("a", tx1) // reported twice: recorded once
	_ = j.Finish("a", StateFailed, tx1, "invalid_exact_evm_insufficient_balance")
	_ = j.Finish("b", StateSettled, tx2, "")
	_ = j.Finish("b", StateFailed, "", "late") // a second finish changes nothing
	put("d")                                   // still pending at the end
	if p, _ := j.Pending(); len(p) != 1 || p[0].ID != "d" {
		t.Fatalf("pending: %+v", p)
	}
	spent, _ := j.Spent(now)
	if len(spent) != 3 || !spent["a"].Equal(now.Add(time.Hour)) || !spent["b"].Equal(now.Add(time.Hour)) {
		t.Fatalf("spent %v; want a, b and the pending d", spent)
	}
	failed, _ := j.Failed()
	if len(failed) != 1 || failed[0].ID != "a" || failed[0].State != StateFailed || failed[0].Tx != tx1 ||
		failed[0].Reason != "invalid_exact_evm_insufficient_balance" || !slices.Equal(failed[0].Sent, []string{tx1}) || failed[0].Route != "r" {
		t.Fatalf("failed %+v", failed)
	}
	for id, want := range map[string][3]string{"a": {string(StateFailed), tx1, "invalid_exact_evm_insufficient_balance"}, "b": {string(StateSettled), tx2, ""}, "c": {}, "d": {string(StateQueued)}} {
		st, tx, reason, err := j.Lookup(id)
		if err != nil || [3]string{string(st), tx, reason} != want {
			t.Errorf("Lookup(%s) = %q %q %q %v, want %q", id, st, tx, reason, err, want)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if segs, _ := wal.Segments(path); len(segs) != 0 {
		t.Fatalf("%d log segments left after Close", len(segs))
	}
}

// appendEntryJSON writes what json.Marshal writes, as far as decoding can
// tell, for any strings.
func TestEntryJSONMatchesMarshal(t *testing.T) {
	now := time.Date(2026, 12, 7, 5, 6, 7, 123456789, time.FixedZone("x", 3600))
	req := benchRequirements()
	reqJSON, _ := json.Marshal(&req)
	for _, e := range []*Entry{
		{ID: "plain", Scheme: "exact", Route: "default", State: StateQueued, Payload: json.RawMessage(`{"a":1}`), Requirements: req, reqJSON: reqJSON, Due: now, Deadline: now.Add(time.Minute)},
		{ID: "ünïcode \u2028 \"quotes\" \\ back\tslash \x01\x1f", Scheme: "exact", Route: "<route & html>", State: StateFailed,
			Payload: json.RawMessage(` { "b" : [1, 2] } `), Requirements: req, Tx: "0xab", Reason: "bad\nline", Sent: []string{"0x1", "0x2"}},
		{ID: "invalid utf8 \xff\xfe", Scheme: "exact", Requirements: req, Due: time.Unix(0, 0).UTC()},
	} {
		got, err := appendEntryJSON(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var a, b Entry
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%q: %v", got, err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		a.Payload, b.Payload = compactJSON(t, a.Payload), compactJSON(t, b.Payload)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("appendEntryJSON decodes to\n%+v\njson.Marshal to\n%+v", a, b)
		}
	}
}

func compactJSON(t *testing.T, b []byte) json.RawMessage {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return out
}

// kill -9 while payments are journaled and finished: after the restart,
// every payment whose Put returned is pending or finished, and every one
// whose Finish (settled) returned is spent and no longer pending.
func TestJournalKillDuringWrites(t *testing.T) {
	if p := os.Getenv("JOURNAL_CRASH_CHILD"); p != "" {
		journalCrashChild(p)
		return
	}
	path := filepath.Join(t.TempDir(), "j.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalKillDuringWrites$")
	cmd.Env = append(os.Environ(), "JOURNAL_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	put, fin := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(2 * time.Minute)
	for len(fin) < 1500 && time.Now().Before(deadline) && sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "put":
			put[f[1]] = true
		case len(f) == 2 && f[0] == "fin":
			fin[f[1]] = true
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if len(fin) < 1500 {
		t.Fatalf("the child acknowledged only %d finishes", len(fin))
	}
	if segs, _ := wal.Segments(path); len(segs) == 0 {
		t.Fatal("no log left by the crash: the test would not exercise its recovery")
	}
	j, err := OpenBoltJournal(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	pendingList, err := j.Pending()
	if err != nil {
		t.Fatal(err)
	}
	pending := map[string]bool{}
	for _, e := range pendingList {
		pending[e.ID] = true
		if e.Deadline.IsZero() || e.Route != "crash" {
			t.Fatalf("pending entry %s read back wrong: %+v", e.ID, e)
		}
	}
	spent, err := j.Spent(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for id := range put {
		if _, ok := spent[id]; !ok && !pending[id] {
			t.Fatalf("payment %s journaled before kill -9 is neither pending nor spent after the restart", id)
		}
	}
	for id := range fin {
		if _, ok := spent[id]; !ok || pending[id] {
			t.Fatalf("payment %s settled before kill -9: spent %v, pending %v after the restart", id, ok, pending[id])
		}
	}
	t.Logf("%d puts and %d finishes acknowledged before kill -9; %d pending, %d spent after the restart", len(put), len(fin), len(pending), len(spent))
}

// journalCrashChild journals payments from 16 writers, finishing every
// other one, with a log small enough to be folded meanwhile.
func journalCrashChild(path string) {
	j, err := openBoltJournal(path, time.Hour, wal.Options{RotateBytes: 64 << 10, ExtendBytes: 16 << 10})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	req := benchRequirements()
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	say := func(s string) {
		mu.Lock()
		fmt.Fprintln(w, s)
		w.Flush()
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := "g" + strconv.Itoa(g) + "-" + strconv.Itoa(i)
				now := time.Now()
				e := &Entry{ID: id, Scheme: facilitator.SchemeExact, Route: "crash", State: StateQueued, Payload: json.RawMessage(`{"x402Version":2}`),
					Requirements: req, Due: now, Deadline: now.Add(time.Hour)}
				if err := j.Put(e); err != nil {
					return
				}
				say("put " + id)
				if i%2 == 0 {
					if err := j.Finish(id, StateSettled, "0x"+strings.Repeat("ab", 32), ""); err != nil {
						return
					}
					say("fin " + id)
				}
			}
		}()
	}
	wg.Wait()
}
