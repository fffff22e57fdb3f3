package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// bucketFolded holds, per log, the sequence number (8 bytes) of the last
// segment folded into the bbolt file.
var bucketFolded = []byte("wal-folded")

// FoldFunc applies the records of one segment to a bbolt transaction.
type FoldFunc func(tx *bolt.Tx, s Segment) error

// Folded is a log in front of a bbolt file: writers append records (one
// fdatasync per group), and the records are folded into the file by fold
// (the owner's FoldFunc), in one transaction per segment that also records
// the segment as folded, so a segment whose removal did not survive a crash
// is removed, not folded again. A segment is folded when it reaches
// Options.RotateBytes, on Fold (before the owner reads the file) and on
// Close (a cleanly closed store has no log files); the segments a crash
// left are folded by OpenFolded.
type Folded struct {
	*Log
	path string
	db   *bolt.DB
	name []byte
	fold FoldFunc

	foldMu sync.Mutex // one fold at a time
	stop   chan struct{}
	done   chan struct{}
	logger atomic.Pointer[zap.Logger]

	closeOnce sync.Once
	closeErr  error
}

// OpenFolded folds the segments of the log at path that an earlier run
// left (name identifies the log in db) and opens the log after them.
func OpenFolded(path string, db *bolt.DB, name string, fold FoldFunc, opt Options) (*Folded, error) {
	f := &Folded{path: path, db: db, name: []byte(name), fold: fold, stop: make(chan struct{}), done: make(chan struct{})}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketFolded)
		return err
	}); err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	segs, err := Segments(path)
	if err != nil {
		return nil, err
	}
	next := f.folded() + 1
	for _, s := range segs {
		if err := f.foldSegment(s); err != nil {
			return nil, err
		}
		next = max(next, s.Seq+1)
	}
	if f.Log, err = Open(path, next, opt); err != nil {
		return nil, err
	}
	go f.loop()
	return f, nil
}

// SetLogger names where a failed background fold is reported.
func (f *Folded) SetLogger(l *zap.Logger) { f.logger.Store(l) }

func (f *Folded) folded() uint64 {
	var seq uint64
	_ = f.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketFolded).Get(f.name); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return seq
}

// loop folds the log whenever its segment is full.
func (f *Folded) loop() {
	defer close(f.done)
	for {
		select {
		case <-f.stop:
			return
		case <-f.Log.Full():
			if err := f.Fold(); err != nil {
				if l := f.logger.Load(); l != nil {
					l.Error("folding a write-ahead log into its file failed; retried when the log fills again", zap.String("log", f.path), zap.Error(err))
				}
			}
		}
	}
}

// Fold seals the current segment and folds every sealed one: afterwards
// the bbolt file holds every record whose Append returned before Fold was
// called.
func (f *Folded) Fold() error {
	f.foldMu.Lock()
	defer f.foldMu.Unlock()
	if f.Log.Size() > 0 {
		if _, err := f.Log.Rotate(); err != nil {
			return err
		}
	}
	return f.foldBefore(f.Log.Current().Seq)
}

// foldBefore folds the segments older than seq, oldest first.
func (f *Folded) foldBefore(seq uint64) error {
	segs, err := Segments(f.path)
	if err != nil {
		return err
	}
	for _, s := range segs {
		if s.Seq >= seq {
			break
		}
		if err := f.foldSegment(s); err != nil {
			return err
		}
	}
	return nil
}

// foldSegment applies a segment (unless an earlier fold did) and removes it.
func (f *Folded) foldSegment(s Segment) error {
	if s.Seq > f.folded() {
		err := f.db.Update(func(tx *bolt.Tx) error {
			if err := f.fold(tx, s); err != nil {
				return err
			}
			return tx.Bucket(bucketFolded).Put(f.name, binary.BigEndian.AppendUint64(nil, s.Seq))
		})
		if err != nil {
			return fmt.Errorf("wal: folding %s: %w", s.Path, err)
		}
	}
	return Remove(s)
}

// Close stops the log and folds all of it. A second Close returns the
// first one's result. It does not close the bbolt file.
func (f *Folded) Close() error {
	f.closeOnce.Do(func() {
		close(f.stop)
		<-f.done
		last, err := f.Log.Close()
		f.foldMu.Lock()
		defer f.foldMu.Unlock()
		f.closeErr = errors.Join(err, f.foldBefore(last.Seq+1))
	})
	return f.closeErr
}
