package caddymodule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

func TestIsValidateCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"caddy", "validate", "--config", "Caddyfile"}, true},
		{[]string{"caddy", "adapt", "--config", "Caddyfile", "--validate"}, true},
		{[]string{"caddy", "adapt", "-validate=true"}, true},
		{[]string{"caddy", "adapt", "--config", "Caddyfile"}, false},
		{[]string{"caddy", "run", "--config", "validate"}, false},
		{[]string{"caddy"}, false},
		{[]string{"x402.test", "-test.run", "X"}, false},
	} {
		if got := isValidateCommand(tc.args); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.args, got, tc.want)
		}
	}
}

// Default data files are named after the settlement key; a keyless dev
// config keeps them in a temporary directory; configured paths win; an
// earlier version's single default file is adopted once.
func TestDataFiles(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	dir := filepath.Join(caddy.AppDataDir(), "x402")
	const addr = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
	log := zap.NewNop()

	df, err := (&App{}).dataFiles(addr, false, log)
	if err != nil || df.tempDir != "" ||
		df.journal != filepath.Join(dir, "journal-"+strings.ToLower(addr)+".db") ||
		df.ledger != filepath.Join(dir, "escrow-"+strings.ToLower(addr)+".db") {
		t.Fatalf("keyed: %+v %v", df, err)
	}
	df, err = (&App{}).dataFiles("", true, log)
	if err != nil || df.tempDir == "" || filepath.Dir(df.journal) != df.tempDir || filepath.Dir(df.ledger) != df.tempDir {
		t.Fatalf("keyless dev: %+v %v", df, err)
	}
	// A reload's new runtime finds the same files (the escrow operator and
	// its sessions are pooled by the ledger's path).
	if again, _ := (&App{}).dataFiles("", true, log); again != df {
		t.Fatalf("keyless dev after a reload: %+v, want %+v", again, df)
	}
	// Removed once no runtime holds its files (a runtime of another test of
	// this package may still hold them).
	_, held := journals.References(df.journal)
	df.releaseTempDir()
	if _, err := os.Stat(df.tempDir); held == os.IsNotExist(err) {
		t.Fatalf("temporary directory: held by a runtime %v, stat %v", held, err)
	}
	df, _ = (&App{Journal: "off", EscrowLedger: "/x/e.db"}).dataFiles(addr, false, log)
	if df.journal != "" || df.ledger != "/x/e.db" {
		t.Fatalf("configured: %+v", df)
	}
	df, _ = (&App{}).dataFiles("", false, log)
	if df.journal != filepath.Join(dir, "journal.db") {
		t.Fatalf("remote: %+v", df)
	}

	// The earlier default journal.db is renamed to the first keyed name.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "journal.db"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	df, _ = (&App{}).dataFiles(addr, false, log)
	if b, err := os.ReadFile(df.journal); err != nil || string(b) != "old" {
		t.Fatalf("legacy journal not adopted: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "journal.db")); !os.IsNotExist(err) {
		t.Fatalf("legacy journal still there: %v", err)
	}
}
