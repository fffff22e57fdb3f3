package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
)

func TestSessionsUsageErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sessions.json")
	for _, args := range [][]string{
		{"pay", "--dev-account", "2", "--scheme", "escrow", "--deposit", "abc", "--session-file", file, "http://localhost:1/x"},
		{"pay", "--dev-account", "2", "--scheme", "escrow", "--deposit", "0", "--session-file", file, "http://localhost:1/x"},
		{"pay", "--dev-account", "2", "--scheme", "escrow", "--session-length", "-1s", "--session-file", file, "http://localhost:1/x"},
		{"sessions", "--session-file", file, "bogus"},
		{"sessions", "close", "--session-file", file},
		{"sessions", "close", "--session-file", file, "a", "b"},
		{"sessions", "close", "--session-file", file, "--timeout", "0s", "0xabcdef12"},
	} {
		if _, stderr, code := runX402(t, "", args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("a usage error wrote the session file")
	}
}

func TestSessionsListAndUnknownClose(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cfg", "sessions.json")
	_, stderr, code := runX402(t, "", "sessions", "--session-file", file)
	if code != 0 || !strings.Contains(stderr, "no escrow sessions") {
		t.Fatalf("empty: %d %q", code, stderr)
	}
	token := "sess_" + strings.Repeat("5a", 32)
	st := client.OpenSessionStore(file)
	for i, status := range []string{client.SessionActive, client.SessionClosed} {
		if err := st.Put(client.Session{ID: "0x" + strings.Repeat(string(rune('a'+i)), 64), Token: token, Status: status,
			Payer: devAccount0, Receiver: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", Network: "eip155:1337",
			URL: "http://127.0.0.1:9/session/hello", Deposit: "1000000", Balance: "997000", ExpiresAt: time.Now().Add(time.Hour).Unix(),
			OpenedAt: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode: %v", err)
	}
	stdout, _, code := runX402(t, "", "sessions", "--session-file", file)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "0xaaaa") ||
		!strings.Contains(lines[1], "http://127.0.0.1:9") || !strings.Contains(lines[1], "0.997") || !strings.Contains(lines[1], "active") ||
		!strings.Contains(lines[2], "closed") || strings.Contains(stdout, token) {
		t.Fatalf("list: %d\n%s", code, stdout)
	}
	stdout, _, code = runX402(t, "", "sessions", "--json", "--session-file", file)
	if code != 0 || strings.Contains(stdout, token) || !strings.Contains(stdout, `"origin": "http://127.0.0.1:9"`) {
		t.Fatalf("json: %d\n%s", code, stdout)
	}
	// Unknown or ambiguous ids fail (status 1) without any request.
	for _, id := range []string{"0xcccccccc", "0x"} {
		if _, stderr, code := runX402(t, "", "sessions", "close", "--session-file", file, id); code != exitFailure || !strings.Contains(stderr, "no session") {
			t.Fatalf("close %s: %d %q", id, code, stderr)
		}
	}
	// A server that is not there: a failure, and the session stays as it was.
	if _, _, code := runX402(t, "", "sessions", "close", "--session-file", file, "--timeout", "2s", "0xaaaaaa"); code != exitFailure {
		t.Fatalf("close without a server: %d", code)
	}
	if s, err := st.Get("0xaaaaaa"); err != nil || s.Status != client.SessionActive || s.Token != token {
		t.Fatalf("after a failed close: %v %v", s, err)
	}
}

func TestHelpNamesSessions(t *testing.T) {
	stdout, _, code := runX402(t, "", "sessions", "--help")
	if code != 0 || !strings.Contains(stdout, "close") {
		t.Fatalf("sessions --help: %d\n%s", code, stdout)
	}
	stdout, _, _ = runX402(t, "", "pay", "--help")
	for _, flag := range []string{"--deposit", "--session-file", "--session-length", "--refund-window"} {
		if !strings.Contains(stdout, flag) {
			t.Fatalf("pay --help lacks %s", flag)
		}
	}
}
