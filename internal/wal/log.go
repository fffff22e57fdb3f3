// Package wal is an append-only, group-committed log of records: the
// durable front of a store whose writes must be on disk before the writer
// goes on (the escrow ledger's debits, the paywall journal's entries). A
// group of records costs one write and one fdatasync, where a bbolt commit
// costs page writes and two fdatasyncs.
//
// Records go to the current segment file, <path>.wal-<seq> (16 hex
// digits). A segment's space is written with zeros ahead of the records,
// so a commit overwrites allocated blocks and its fdatasync carries no
// size change. Each record is framed with its length and a CRC-32C that
// also covers the segment's sequence number; reading a segment stops at
// the first frame that is zero (never written), short, or fails its check
// (a commit torn by a crash, whose Appends never returned).
//
// Group commit: a commit takes every record appended while the previous
// one was on disk. When the owner knows that more records are on their way
// (Options.Pending: requests in flight that will append), a commit waits
// for them up to Options.Linger, so that under load one fdatasync carries
// many records; a lone writer is never delayed.
//
// Compaction belongs to the owner: Rotate seals the current segment and
// starts the next; the owner applies the sealed segments' records
// (ReadSegment) to its store in one durable transaction, then removes them
// (Remove). On start, the owner applies the segments a crash left and
// opens the log after them.
package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("wal: log closed")

// Defaults of Options.
const (
	DefaultLinger        = time.Millisecond
	DefaultMaxBatchBytes = 1 << 20
	DefaultRotateBytes   = 4 << 20
	DefaultExtendBytes   = 1 << 20
)

// Options tune a Log. Zero values pick the defaults.
type Options struct {
	// Pending reports how many appends are known to be on their way
	// (requests in flight that will append when their answer is ready).
	// While it is above zero, a commit waits up to Linger for them.
	// Default: nil (never wait).
	Pending func() int
	// Linger is the longest a commit waits for pending appends.
	// Default: DefaultLinger (1 ms); negative: never wait.
	Linger time.Duration
	// MaxBatchBytes: a commit holding this many bytes is written at once.
	// Default: DefaultMaxBatchBytes (1 MiB).
	MaxBatchBytes int
	// RotateBytes: once the current segment holds this many bytes, Full
	// is signalled (the owner compacts). Default: DefaultRotateBytes
	// (4 MiB).
	RotateBytes int64
	// ExtendBytes: a segment file grows by this many zero bytes at a time.
	// Default: DefaultExtendBytes (1 MiB).
	ExtendBytes int64
}

// Log is an open log. Its methods are safe for concurrent use.
type Log struct {
	path string
	opt  Options

	commits, records atomic.Uint64

	mu     sync.Mutex
	cur    *group // the group new records join
	spare  []byte // buffer of the last group committed, for reuse
	closed bool
	wake   chan struct{} // cap 1: the flusher has records
	enough chan struct{} // cap 1: the group need not wait any longer
	full   chan struct{} // cap 1: the segment reached RotateBytes
	done   chan struct{} // closed when the flusher exits

	// segMu guards seg: held by the flusher while it writes a commit and
	// by Rotate while it switches segments.
	segMu sync.Mutex
	seg   *segment
}

// group is the records of one commit.
type group struct {
	buf   []byte
	n     int
	first time.Time
	// enough: nothing more is known to be on its way (or the group is
	// big enough); the commit need not wait.
	enough bool
	done   chan struct{}
	err    error
}

// Open creates segment seq of the log at path and starts appending there.
// Segments already present are left alone: the owner applies and removes
// them first, and opens with a higher seq.
func Open(path string, seq uint64, opt Options) (*Log, error) {
	if opt.Linger == 0 {
		opt.Linger = DefaultLinger
	}
	if opt.MaxBatchBytes <= 0 {
		opt.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if opt.RotateBytes <= 0 {
		opt.RotateBytes = DefaultRotateBytes
	}
	if opt.ExtendBytes <= 0 {
		opt.ExtendBytes = DefaultExtendBytes
	}
	seg, err := createSegment(path, seq, opt.ExtendBytes)
	if err != nil {
		return nil, err
	}
	l := &Log{path: path, opt: opt, seg: seg, cur: &group{done: make(chan struct{})},
		wake: make(chan struct{}, 1), enough: make(chan struct{}, 1), full: make(chan struct{}, 1), done: make(chan struct{})}
	go l.flusher()
	return l, nil
}

// Append adds rec to the log and returns once it is durable (nil) or its
// commit failed. rec is copied.
func (l *Log) Append(rec []byte) error {
	if len(rec) == 0 || len(rec) > MaxRecord {
		return fmt.Errorf("%w (%d bytes)", ErrRecordTooLarge, len(rec))
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	g := l.cur
	if g.n == 0 {
		g.first = time.Now()
		if g.buf == nil {
			g.buf, l.spare = l.spare[:0], nil
		}
	}
	g.buf = binary.LittleEndian.AppendUint32(g.buf, uint32(len(rec)))
	g.buf = append(g.buf, 0, 0, 0, 0) // checksum, filled in by the commit
	g.buf = append(g.buf, rec...)
	g.n++
	if !g.enough && (len(g.buf) >= l.opt.MaxBatchBytes || l.opt.Pending == nil || l.opt.Pending() <= 0) {
		g.enough = true
		signal(l.enough)
	}
	signal(l.wake)
	l.mu.Unlock()
	<-g.done
	return g.err
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Stats reports how many commits the log made and how many records they
// carried.
func (l *Log) Stats() (commits, records uint64) { return l.commits.Load(), l.records.Load() }

// Full is signalled once the current segment holds RotateBytes or more.
func (l *Log) Full() <-chan struct{} { return l.full }

// Size is the number of bytes committed to the current segment.
func (l *Log) Size() int64 {
	l.segMu.Lock()
	defer l.segMu.Unlock()
	return l.seg.off
}

// Current is the segment records are appended to.
func (l *Log) Current() Segment {
	l.segMu.Lock()
	defer l.segMu.Unlock()
	return l.seg.Segment
}

// Rotate starts a new segment and returns the one it sealed: every record
// whose Append returned before Rotate was called is in it or in an older
// one. A commit in progress finishes first.
func (l *Log) Rotate() (Segment, error) {
	l.segMu.Lock()
	defer l.segMu.Unlock()
	old := l.seg
	next, err := createSegment(l.path, old.Seq+1, l.opt.ExtendBytes)
	if err != nil {
		return Segment{}, err
	}
	l.seg = next
	if err := old.f.Close(); err != nil {
		return old.Segment, fmt.Errorf("wal: closing %s: %w", old.Path, err)
	}
	return old.Segment, nil
}

// Close commits the records appended so far, stops the log (later Appends
// fail with ErrClosed) and closes the current segment, which it returns:
// the owner applies it and the older ones.
func (l *Log) Close() (Segment, error) {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.wake)
	}
	l.mu.Unlock()
	<-l.done
	l.segMu.Lock()
	defer l.segMu.Unlock()
	if l.seg.f == nil {
		return l.seg.Segment, nil
	}
	err := l.seg.f.Close()
	l.seg.f = nil
	if err != nil {
		return l.seg.Segment, fmt.Errorf("wal: closing %s: %w", l.seg.Path, err)
	}
	return l.seg.Segment, nil
}

// flusher commits groups one after the other.
func (l *Log) flusher() {
	defer close(l.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		_, open := <-l.wake
		l.mu.Lock()
		g := l.cur
		if g.n == 0 {
			l.mu.Unlock()
			if !open {
				return
			}
			continue
		}
		// Others are about to append: let them join this commit, for at
		// most Linger after its first record.
		for open && l.opt.Linger > 0 && !g.enough {
			wait := time.Until(g.first.Add(l.opt.Linger))
			if wait <= 0 {
				break
			}
			l.mu.Unlock()
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-l.enough:
				timer.Stop()
			}
			l.mu.Lock()
		}
		l.cur = &group{done: make(chan struct{})}
		l.mu.Unlock()
		l.segMu.Lock()
		g.err = l.seg.write(g.buf, l.opt.ExtendBytes)
		if g.err != nil {
			g.err = fmt.Errorf("wal: writing %s: %w", l.seg.Path, g.err)
		}
		if g.err == nil {
			l.commits.Add(1)
			l.records.Add(uint64(g.n))
		}
		if l.seg.off >= l.opt.RotateBytes {
			signal(l.full)
		}
		l.segMu.Unlock()
		buf := g.buf
		close(g.done)
		l.mu.Lock()
		if cap(buf) <= 2*l.opt.MaxBatchBytes {
			l.spare = buf // the group's Appends have copied nothing out of it
		}
		l.mu.Unlock()
	}
}
