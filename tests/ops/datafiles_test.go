package ops

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// Two instances on one host with default data paths: each facilitator key
// gets its own journal and escrow ledger, so both start; a second instance
// on the same key is refused at once with the first one's pid (not bbolt's
// "timeout" after 5 s); `caddy validate` of a running instance's config
// succeeds without touching its files.
func TestInstancesOnOneHost(t *testing.T) {
	h := newHost(t)
	keyA, _ := h.keyFile(3, 0o600)
	keyB, _ := h.keyFile(4, 0o600)
	a := h.newInstance("a", config{facilitator: "\t\t\tkey_file " + keyA + "\n"})
	b := h.newInstance("b", config{facilitator: "\t\t\tkey_file " + keyB + "\n"})
	a.start()
	b.start()

	start := time.Now()
	out, err := h.caddy(nil, "validate", "--config", a.caddyfile)
	took := time.Since(start)
	if err != nil || !strings.Contains(out, "Valid configuration") {
		t.Fatalf("caddy validate while a runs: %v\n%s", err, out)
	}
	t.Logf("caddy validate while the instance runs: %s", took.Round(time.Millisecond))

	same := h.newInstance("same-key", config{facilitator: "\t\t\tkey_file " + keyA + "\n"})
	start = time.Now()
	out = same.startFails()
	took = time.Since(start)
	// The escrow ledger (escrow is always on for the dev chain) is opened
	// before the journal.
	want := fmt.Sprintf("is in use by another process (pid %d): give each Caddy instance its own escrow ledger (option escrow_ledger), or stop the other one", a.proc.Cmd.Process.Pid)
	if !strings.Contains(out, want) {
		t.Fatalf("second instance on the same key (after %s):\n%s\nwant %q", took, out, want)
	}
	if strings.Contains(out, "timeout") {
		t.Fatalf("the refusal waited for the lock:\n%s", out)
	}
	t.Logf("second instance on the same key refused in %s", took.Round(time.Millisecond))

	// With its own escrow ledger, the journal is the next file it meets.
	ledger := h.newInstance("same-key-own-ledger", config{facilitator: "\t\t\tkey_file " + keyA + "\n", x402Extra: "\t\tescrow_ledger " + h.dir + "/own-escrow.db\n"})
	want = fmt.Sprintf("x402 journal: %s/data/caddy/x402/journal-0x90f79bf6eb2c4f870365e785982e1f101e93b906.db is in use by another process (pid %d): give each Caddy instance its own journal (option journal), or stop the other one", h.dir, a.proc.Cmd.Process.Pid)
	if out := ledger.startFails(); !strings.Contains(out, want) {
		t.Fatalf("second instance on the same key with its own ledger:\n%s\nwant %q", out, want)
	}
}
