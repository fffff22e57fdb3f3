package escrow

import (
	"bufio"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caddy-x402/x402/internal/wal"
)

func sessionID(i int) [32]byte {
	var id [32]byte
	id[0], id[31] = byte(i), 0xee
	return id
}

func walFiles(t *testing.T, path string) int {
	t.Helper()
	segs, err := wal.Segments(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(segs)
}

// Debits go through the log, are folded into the ledger file as the log
// fills, on Load and on Close, and come back exactly once each.
func TestLedgerDebitsFoldedExactlyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "escrow.db")
	l, err := openLedger(path, wal.Options{RotateBytes: 4 << 10, ExtendBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const sessions, each = 4, 300
	var wg sync.WaitGroup
	for s := 0; s < sessions; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := l.AddDebit(sessionID(s), fmt.Sprintf("req-%d", i), big.NewInt(int64(1000+i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// A requestId recorded twice counts once, with its first amount,
	// whether the first debit was still in the log or already folded.
	if err := l.AddDebit(sessionID(0), "req-299", big.NewInt(1)); err != nil {
		t.Fatal(err)
	}
	check := func(l *Ledger) {
		t.Helper()
		_, debits, err := l.Load()
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < sessions; s++ {
			d := debits[sessionID(s)]
			if len(d) != each {
				t.Fatalf("session %d: %d debits loaded, want %d", s, len(d), each)
			}
			for i := 0; i < each; i++ {
				if got := d[fmt.Sprintf("req-%d", i)]; got == nil || got.Int64() != int64(1000+i) {
					t.Fatalf("session %d req-%d: loaded %v, want %d", s, i, got, 1000+i)
				}
			}
		}
	}
	check(l)
	if err := l.AddDebit(sessionID(1), "req-0", big.NewInt(1)); err != nil {
		t.Fatal(err)
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := walFiles(t, path); n != 0 {
		t.Fatalf("%d log segments left after Close", n)
	}
	l, err = OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	check(l)
}

// A segment whose fold was recorded but whose removal did not survive is
// removed, not folded again, on the next open.
func TestLedgerStaleSegmentRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "escrow.db")
	l, err := OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AddDebit(sessionID(1), "a", big.NewInt(5)); err != nil {
		t.Fatal(err)
	}
	seg := l.debits.Current()
	saved, err := os.ReadFile(seg.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seg.Path, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err = OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := os.Stat(seg.Path); !os.IsNotExist(err) {
		t.Fatalf("stale segment still there: %v", err)
	}
	_, debits, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(debits[sessionID(1)]) != 1 {
		t.Fatalf("debits after reopening: %v", debits)
	}
	if cur := l.debits.Current(); cur.Seq <= seg.Seq {
		t.Fatalf("log reopened at segment %d, not after the folded %d", cur.Seq, seg.Seq)
	}
}

// kill -9 while requests commit: every debit whose AddDebit returned is in
// the ledger after the restart (its log folded on open), once.
func TestLedgerKillDuringDebits(t *testing.T) {
	if p := os.Getenv("LEDGER_CRASH_CHILD"); p != "" {
		ledgerCrashChild(p)
		return
	}
	path := filepath.Join(t.TempDir(), "escrow.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLedgerKillDuringDebits$")
	cmd.Env = append(os.Environ(), "LEDGER_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(2 * time.Minute)
	for len(acked) < 2000 && time.Now().Before(deadline) && sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "acked" {
			n, _ := strconv.ParseInt(f[2], 10, 64)
			acked[f[1]] = n
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if len(acked) < 2000 {
		t.Fatalf("the child acknowledged only %d debits", len(acked))
	}
	if walFiles(t, path) == 0 {
		t.Fatal("no debit log left by the crash: the test would not exercise its recovery")
	}
	l, err := OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, debits, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	loaded := 0
	for _, d := range debits {
		loaded += len(d)
	}
	for req, amt := range acked {
		g, _ := strconv.Atoi(strings.SplitN(req, "-", 2)[0][1:])
		got := debits[sessionID(g)][req]
		if got == nil || got.Int64() != amt {
			t.Fatalf("acknowledged debit %s (%d) loaded as %v after kill -9 (%d acknowledged, %d loaded)", req, amt, got, len(acked), loaded)
		}
	}
	t.Logf("%d debits acknowledged before kill -9, %d in the ledger after the restart", len(acked), loaded)
}

// ledgerCrashChild commits debits from 8 writers, printing each once
// AddDebit returned, with segments small enough to be folded meanwhile.
func ledgerCrashChild(path string) {
	l, err := openLedger(path, wal.Options{RotateBytes: 16 << 10, ExtendBytes: 8 << 10})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				req := "g" + strconv.Itoa(g) + "-" + strconv.Itoa(i)
				amt := int64(1 + i%5000)
				if err := l.AddDebit(sessionID(g), req, big.NewInt(amt)); err != nil {
					return
				}
				mu.Lock()
				fmt.Fprintln(w, "acked", req, amt)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestDebitRecordRoundTrip(t *testing.T) {
	for _, amt := range []string{"0", "1", "255", "256", "1000000", "115792089237316195423570985008687907853269984665640564039457584007913129639935"} {
		a, _ := new(big.Int).SetString(amt, 10)
		id := sessionID(7)
		rec := appendDebitRecord(nil, id, "req-x", a)
		key, got, err := parseDebitRecord(rec)
		if err != nil || got.Cmp(a) != 0 || string(key) != string(id[:])+"req-x" {
			t.Fatalf("amount %s: parsed %v %q %v", amt, got, key, err)
		}
	}
	if _, _, err := parseDebitRecord(make([]byte, 20)); err == nil {
		t.Fatal("short record parsed")
	}
}
