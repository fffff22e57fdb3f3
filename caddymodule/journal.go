package caddymodule

import (
	"fmt"
	"path/filepath"

	"github.com/caddy-x402/x402/paywall"
	"github.com/caddyserver/caddy/v2"
)

// journals keeps each journal file open once per process, shared by the
// runtimes of overlapping configs during a reload (bbolt allows one opener).
var journals = caddy.NewUsagePool()

type pooledJournal struct {
	*paywall.BoltJournal
}

// Destruct implements caddy.Destructor.
func (p pooledJournal) Destruct() error { return p.BoltJournal.Close() }

// journalPath is where the app's journal lives: the configured path, or
// x402/journal.db in Caddy's data directory. "off" disables it.
func (a *App) journalPath() string {
	switch a.Journal {
	case "off":
		return ""
	case "":
		return filepath.Join(caddy.AppDataDir(), "x402", "journal.db")
	}
	return a.Journal
}

// openJournal returns the pooled journal at path; fresh is true when this
// call opened it (then its pending payments must be recovered).
func openJournal(path string) (j *paywall.BoltJournal, fresh bool, err error) {
	val, loaded, err := journals.LoadOrNew(path, func() (caddy.Destructor, error) {
		bj, err := paywall.OpenBoltJournal(path, 0)
		if err != nil {
			return nil, err
		}
		return pooledJournal{bj}, nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("x402 journal: %w", err)
	}
	return val.(pooledJournal).BoltJournal, !loaded, nil
}
