// Package groupcommit makes concurrent writes to a bbolt database share
// durable commits without adding latency.
//
// bbolt's own DB.Batch waits MaxBatchDelay (default 10 ms) after the first
// write of a batch before committing it, so every write pays that delay
// even when the disk is idle. A Writer commits a write to an idle database
// at once; the writes that arrive while a commit is on disk (about two
// fdatasyncs) wait for it and then share the next commit. Under load one
// commit carries many writes; alone, a write costs one commit.
package groupcommit

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("groupcommit: writer closed")

// DefaultMaxBatch is the most writes one commit carries.
const DefaultMaxBatch = 1000

// Writer group-commits writes to one database. Its methods are safe for
// concurrent use.
type Writer struct {
	db   *bolt.DB
	max  int
	ops  chan *op
	stop chan struct{}
	done chan struct{}
}

type op struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// New starts a Writer on db that puts at most maxBatch writes (default
// DefaultMaxBatch when <= 0) in one commit. Close it before closing db.
func New(db *bolt.DB, maxBatch int) *Writer {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	w := &Writer{db: db, max: maxBatch, ops: make(chan *op), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// Update runs fn in a read-write transaction and returns once that
// transaction is durably committed (nil) or failed. fn may run more than
// once (when another write of its batch fails, the batch is retried
// without it), so it must only depend on the transaction. An error
// returned by fn fails this write alone and rolls back what it did.
func (w *Writer) Update(fn func(*bolt.Tx) error) error {
	o := &op{fn: fn, err: make(chan error, 1)}
	select {
	case w.ops <- o:
	case <-w.stop:
		return ErrClosed
	}
	return <-o.err
}

// Close waits for the commit in progress and stops the writer; later
// Updates fail with ErrClosed. It does not close the database.
func (w *Writer) Close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]*op, 0, w.max)
	for {
		select {
		case o := <-w.ops:
			batch = append(batch[:0], o)
		case <-w.stop:
			return
		}
	gather: // every write that queued up during the previous commit
		for len(batch) < w.max {
			select {
			case o := <-w.ops:
				batch = append(batch, o)
			default:
				break gather
			}
		}
		w.commit(batch)
		clear(batch)
	}
}

// commit writes batch in one transaction. When a write's function fails,
// the transaction is rolled back, that write gets its error and the others
// are committed again without it.
func (w *Writer) commit(batch []*op) {
	for len(batch) > 0 {
		failed := -1
		var fnErr error
		err := w.db.Update(func(tx *bolt.Tx) error {
			for i, o := range batch {
				if fnErr = run(o.fn, tx); fnErr != nil {
					failed = i
					return fnErr
				}
			}
			return nil
		})
		if failed < 0 {
			for _, o := range batch {
				o.err <- err // nil, or the commit's own failure (disk full, I/O error)
			}
			return
		}
		batch[failed].err <- fnErr
		batch = append(batch[:failed], batch[failed+1:]...)
	}
}

// run calls fn, turning a panic into an error so one bad write cannot stop
// the writer (and with it every later write).
func run(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("groupcommit: write panicked: %v", r)
		}
	}()
	return fn(tx)
}
