package escrow

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/caddy-x402/x402/internal/wal"
	"go.uber.org/zap"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketMeta = []byte("meta") // ledger bookkeeping
	// keyDebitsFolded: the sequence number (8 bytes) of the last debit-log
	// segment folded into bucketDebits.
	keyDebitsFolded = []byte("debits-wal-folded")
)

// debitLog is the durable front of the ledger's debits. A debit is one
// record appended to a write-ahead log (internal/wal): one write and one
// fdatasync per group of debits, where a B+tree insert costs page writes and
// two fdatasyncs per group. The records are folded into the bbolt debits
// bucket in one transaction when the log's segment is full, when the
// ledger is loaded and when it closes; a crash leaves segments that the
// next open folds first. Folding is idempotent (a debit is a key and its
// amount) and the last folded segment is recorded in the same transaction,
// so a segment whose removal did not survive a crash is not folded twice.
type debitLog struct {
	path string
	db   *bolt.DB
	log  *wal.Log
	// expected counts the reservations in flight (requests that will
	// commit a debit soon): the log's group commit waits for them.
	expected atomic.Int64

	foldMu sync.Mutex // one fold at a time
	stop   chan struct{}
	done   chan struct{}
	logger atomic.Pointer[zap.Logger]
}

// debitRecord is a debit in the log: session id (32 bytes), the amount's
// length (1 byte) and big-endian bytes, then the requestId.
func appendDebitRecord(b []byte, id [32]byte, requestID string, amount *big.Int) []byte {
	b = append(b, id[:]...)
	n := (amount.BitLen() + 7) / 8
	b = append(b, byte(n))
	at := len(b)
	for range n {
		b = append(b, 0)
	}
	amount.FillBytes(b[at : at+n])
	return append(b, requestID...)
}

func parseDebitRecord(rec []byte) (key []byte, amount *big.Int, err error) {
	if len(rec) < 34 || len(rec) < 33+int(rec[32]) {
		return nil, nil, fmt.Errorf("short debit record (%d bytes)", len(rec))
	}
	n := int(rec[32])
	key = append(append(make([]byte, 0, 32+len(rec)-33-n), rec[:32]...), rec[33+n:]...)
	return key, new(big.Int).SetBytes(rec[33 : 33+n]), nil
}

// openDebitLog folds what a crash left in the log at path and starts a new
// segment.
func openDebitLog(path string, db *bolt.DB, opt wal.Options) (*debitLog, error) {
	d := &debitLog{path: path, db: db, stop: make(chan struct{}), done: make(chan struct{})}
	segs, err := wal.Segments(path)
	if err != nil {
		return nil, err
	}
	next := d.foldedSeq() + 1
	for _, s := range segs {
		if err := d.foldSegment(s); err != nil {
			return nil, err
		}
		next = max(next, s.Seq+1)
	}
	opt.Pending = func() int { return int(d.expected.Load()) }
	if d.log, err = wal.Open(path, next, opt); err != nil {
		return nil, err
	}
	go d.foldLoop()
	return d, nil
}

func (d *debitLog) foldedSeq() uint64 {
	var seq uint64
	_ = d.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyDebitsFolded); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return seq
}

// add appends a debit and returns once it is durable. It does not look for
// an earlier debit of the same requestId (the session refuses a requestId
// it has seen before reserving it): the ledger keys debits by session and
// requestId, and folding keeps the first, so a requestId is counted once.
func (d *debitLog) add(id [32]byte, requestID string, amount *big.Int) error {
	if amount.Sign() < 0 || amount.BitLen() > 255*8 {
		return fmt.Errorf("escrow ledger: debit amount %s out of range", amount)
	}
	var buf [32 + 1 + 32 + MaxRequestIDLength]byte
	rec := appendDebitRecord(buf[:0], id, requestID, amount) // on the stack unless unusually long
	if err := d.log.Append(rec); err != nil {
		return fmt.Errorf("escrow ledger: recording a debit: %w", err)
	}
	return nil
}

// foldLoop folds the log whenever its segment is full.
func (d *debitLog) foldLoop() {
	defer close(d.done)
	for {
		select {
		case <-d.stop:
			return
		case <-d.log.Full():
			if err := d.fold(); err != nil {
				if log := d.logger.Load(); log != nil {
					log.Error("escrow ledger: folding the debit log into the ledger file failed; retried when the log fills again", zap.Error(err))
				}
			}
		}
	}
}

// fold seals the current segment and folds every sealed one, so that bbolt
// holds every debit whose add returned before fold was called.
func (d *debitLog) fold() error {
	d.foldMu.Lock()
	defer d.foldMu.Unlock()
	if d.log.Size() > 0 {
		if _, err := d.log.Rotate(); err != nil {
			return fmt.Errorf("escrow ledger: %w", err)
		}
	}
	return d.foldSealed(d.log.Current().Seq)
}

// foldSealed folds the segments older than seq.
func (d *debitLog) foldSealed(seq uint64) error {
	segs, err := wal.Segments(d.path)
	if err != nil {
		return err
	}
	for _, s := range segs {
		if s.Seq >= seq {
			break
		}
		if err := d.foldSegment(s); err != nil {
			return err
		}
	}
	return nil
}

// foldSegment writes a segment's debits into bbolt (unless an earlier fold
// did; a key already there keeps its first amount), then removes the
// segment.
func (d *debitLog) foldSegment(s wal.Segment) error {
	type debit struct {
		key    []byte
		amount []byte
	}
	var debits []debit
	if s.Seq > d.foldedSeq() {
		err := wal.ReadSegment(s, func(rec []byte) error {
			key, amount, err := parseDebitRecord(rec)
			if err != nil {
				return err
			}
			debits = append(debits, debit{key, []byte(amount.String())})
			return nil
		})
		if err != nil {
			return fmt.Errorf("escrow ledger: reading %s: %w", s.Path, err)
		}
		// Sorted keys make the inserts sequential in the B+tree; a stable
		// sort keeps a repeated key's first debit first.
		slices.SortStableFunc(debits, func(a, b debit) int { return bytes.Compare(a.key, b.key) })
		err = d.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketDebits)
			for _, x := range debits {
				if b.Get(x.key) != nil {
					continue
				}
				if err := b.Put(x.key, x.amount); err != nil {
					return err
				}
			}
			return tx.Bucket(bucketMeta).Put(keyDebitsFolded, binary.BigEndian.AppendUint64(nil, s.Seq))
		})
		if err != nil {
			return fmt.Errorf("escrow ledger: folding %s: %w", s.Path, err)
		}
	}
	if err := wal.Remove(s); err != nil {
		return fmt.Errorf("escrow ledger: %w", err)
	}
	return nil
}

// close stops the log and folds all of it: a cleanly closed ledger has no
// log files.
func (d *debitLog) close() error {
	close(d.stop)
	<-d.done
	last, err := d.log.Close()
	d.foldMu.Lock()
	defer d.foldMu.Unlock()
	return errors.Join(err, d.foldSealed(last.Seq+1))
}
