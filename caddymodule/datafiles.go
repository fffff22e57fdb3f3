package caddymodule

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/caddy-x402/x402/internal/filelock"
	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// The journal and the escrow ledger are single-writer files (bbolt). Their
// default paths are per instance: named after the facilitator's settlement
// address, which the README asks to be one per instance (two settlers on one
// key collide on nonces), so two Caddy instances sharing a data directory
// never share a file, and an instance finds its own files again after a
// restart. A config without a key of its own (the embedded dev chain with
// its public dev account, which lives only as long as the process) keeps
// them in a temporary directory. `caddy validate` never touches them.

// dataFiles is where one runtime keeps its journal and escrow ledger.
type dataFiles struct {
	journal string // "" when the journal is off
	ledger  string
	// tempDir is the process's temporary data directory when the files are
	// in it (see processTempDir).
	tempDir string
}

// processTemp is one temporary data directory per process, shared by the
// runtimes of successive configs: a reload that replaces the runtime must
// find the same journal and escrow ledger (the pooled escrow operator and
// its open sessions are keyed by the ledger's path). It is removed when no
// runtime uses it any more.
var processTemp struct {
	mu  sync.Mutex
	dir string
}

// processTempDir returns the process's temporary data directory, creating
// it when needed.
func processTempDir() (string, error) {
	processTemp.mu.Lock()
	defer processTemp.mu.Unlock()
	if processTemp.dir == "" {
		dir, err := os.MkdirTemp("", fmt.Sprintf("caddy-x402-%d-", os.Getpid()))
		if err != nil {
			return "", fmt.Errorf("x402: creating a temporary directory: %w", err)
		}
		processTemp.dir = dir
	}
	return processTemp.dir, nil
}

// releaseTempDir removes the process's temporary data directory once no
// runtime holds its journal or ledger.
func (df dataFiles) releaseTempDir() {
	if df.tempDir == "" {
		return
	}
	processTemp.mu.Lock()
	defer processTemp.mu.Unlock()
	if processTemp.dir != df.tempDir {
		return
	}
	if _, open := journals.References(df.journal); open {
		return
	}
	if _, open := ledgers.References(df.ledger); open {
		return
	}
	_ = os.RemoveAll(processTemp.dir)
	processTemp.dir = ""
}

// dataFiles picks the runtime's files. settler is the embedded
// facilitator's address ("" without a key of its own); devOnly says every
// network is the embedded dev chain.
func (a *App) dataFiles(settler string, devOnly bool, log *zap.Logger) (dataFiles, error) {
	var df dataFiles
	temp := func(name string) (string, error) {
		dir, err := processTempDir()
		if err != nil {
			return "", err
		}
		df.tempDir = dir
		return filepath.Join(dir, name), nil
	}
	pick := func(configured, kind string) (string, error) {
		switch {
		case configured == "off" && kind == "journal":
			return "", nil
		case validating():
			// Checking a config must not take the running instance's files
			// (their locks would make it wait, then fail).
			return temp(kind + ".db")
		case configured != "":
			return configured, nil
		case settler != "":
			path := filepath.Join(caddy.AppDataDir(), "x402", kind+"-"+strings.ToLower(settler)+".db")
			adoptLegacy(filepath.Join(caddy.AppDataDir(), "x402", legacyName[kind]), path, log)
			return path, nil
		case devOnly:
			return temp(kind + ".db")
		}
		// A remote facilitator has no key to name the file after.
		return filepath.Join(caddy.AppDataDir(), "x402", legacyName[kind]), nil
	}
	var err error
	if df.journal, err = pick(a.Journal, "journal"); err != nil {
		return df, err
	}
	if df.ledger, err = pick(a.EscrowLedger, "escrow"); err != nil {
		return df, err
	}
	return df, nil
}

// legacyName is the single default file name of earlier versions.
var legacyName = map[string]string{"journal": "journal.db", "escrow": "escrow.db"}

// adoptLegacy renames the earlier single default file to this instance's
// path, once: only one instance could use it (a second one could not open
// it), so its pending settlements and spent payments belong to the first
// instance that starts with per-instance names and has none yet.
func adoptLegacy(legacy, path string, log *zap.Logger) {
	if _, err := os.Stat(path); err == nil {
		return
	}
	if _, err := os.Stat(legacy); err != nil {
		return
	}
	if filelock.Check(legacy) != nil {
		return // an instance of an earlier version still runs on it
	}
	if err := os.Rename(legacy, path); err != nil {
		log.Warn("x402: could not move the earlier default file to this instance's name", zap.String("from", legacy), zap.String("to", path), zap.Error(err))
		return
	}
	log.Info("x402: moved the earlier default file to this instance's name (one per facilitator key)", zap.String("from", legacy), zap.String("to", path))
}

// checkFree refuses a file another process has open, with its pid, before
// bbolt would wait for the lock and fail with "timeout".
func checkFree(kind, path, option string) error {
	if err := filelock.Check(path); err != nil {
		var iu *filelock.InUseError
		if errors.As(err, &iu) && iu.PID > 0 {
			return fmt.Errorf("%s is in use by another process (pid %d): give each Caddy instance its own %s (option %s), or stop the other one", path, iu.PID, kind, option)
		}
		return fmt.Errorf("%s is in use by another process: give each Caddy instance its own %s (option %s), or stop the other one", path, kind, option)
	}
	return nil
}

// checkFreeOrBusy is checkFree after the opener timed out on the lock: the
// file is busy even if the holder let go since.
func checkFreeOrBusy(kind, path, option string) error {
	if err := checkFree(kind, path, option); err != nil {
		return err
	}
	return fmt.Errorf("%s was locked by another process until just now: give each Caddy instance its own %s (option %s)", path, kind, option)
}

// validating reports whether this process only checks a configuration
// (`caddy validate`, `caddy adapt --validate`): Caddy provisions the config
// there exactly as for a start, and nothing tells a module otherwise.
var validating = sync.OnceValue(func() bool { return isValidateCommand(os.Args) })

func isValidateCommand(args []string) bool {
	if len(args) < 2 {
		return false
	}
	switch args[1] {
	case "validate":
		return true
	case "adapt":
		return slices.ContainsFunc(args[2:], func(a string) bool {
			a = strings.TrimLeft(a, "-")
			return a == "validate" || a == "validate=true"
		})
	}
	return false
}
