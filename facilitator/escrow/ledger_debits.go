package escrow

import (
	"bytes"
	"fmt"
	"math/big"
	"slices"
	"sync/atomic"

	"github.com/caddy-x402/x402/internal/wal"

	bolt "go.etcd.io/bbolt"
)

// debitLog is the durable front of the ledger's debits. A debit is one
// record appended to a write-ahead log (internal/wal): one write and one
// fdatasync per group of debits, where a B+tree insert costs page writes and
// two fdatasyncs per group. The records are folded into the bbolt debits
// bucket (wal.Folded: when a segment is full, on Load, on Close, and on
// open after a crash). Folding is idempotent: a debit is a key and its
// amount.
type debitLog struct {
	*wal.Folded
	// expected counts the reservations in flight (requests that will
	// commit a debit soon): the log's group commit waits for them.
	expected atomic.Int64
}

// appendDebitRecord encodes a debit for the log: session id (32 bytes), the
// amount's length (1 byte) and big-endian bytes, then the requestId.
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
	d := &debitLog{}
	opt.Pending = func() int { return int(d.expected.Load()) }
	f, err := wal.OpenFolded(path, db, "debits", foldDebits, opt)
	if err != nil {
		return nil, err
	}
	d.Folded = f
	return d, nil
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
	if err := d.Append(rec); err != nil {
		return fmt.Errorf("escrow ledger: recording a debit: %w", err)
	}
	return nil
}

// foldDebits writes a segment's debits into the debits bucket, sorted (the
// inserts are then sequential in the B+tree); a key already there keeps its
// first amount.
func foldDebits(tx *bolt.Tx, s wal.Segment) error {
	type debit struct{ key, amount []byte }
	var debits []debit
	err := wal.ReadSegment(s, func(rec []byte) error {
		key, amount, err := parseDebitRecord(rec)
		if err != nil {
			return err
		}
		debits = append(debits, debit{key, []byte(amount.String())})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(debits, func(a, b debit) int { return bytes.Compare(a.key, b.key) })
	b := tx.Bucket(bucketDebits)
	for _, x := range debits {
		if b.Get(x.key) != nil {
			continue
		}
		if err := b.Put(x.key, x.amount); err != nil {
			return err
		}
	}
	return nil
}
