package caddymodule

import (
	"errors"
	"fmt"

	"github.com/caddy-x402/x402/paywall"
	"github.com/caddyserver/caddy/v2"
	bolterrors "go.etcd.io/bbolt/errors"
)

// journals keeps each journal file open once per process, shared by the
// runtimes of overlapping configs during a reload (bbolt allows one opener).
var journals = caddy.NewUsagePool()

type pooledJournal struct {
	*paywall.BoltJournal
}

// Destruct implements caddy.Destructor.
func (p pooledJournal) Destruct() error { return p.BoltJournal.Close() }

// openJournal returns the pooled journal at path; fresh is true when this
// call opened it (then its pending payments must be recovered).
func openJournal(path string) (j *paywall.BoltJournal, fresh bool, err error) {
	val, loaded, err := journals.LoadOrNew(path, func() (caddy.Destructor, error) {
		if err := checkFree("journal", path, "journal"); err != nil {
			return nil, err
		}
		bj, err := paywall.OpenBoltJournal(path, 0)
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, checkFreeOrBusy("journal", path, "journal")
		}
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
