package paywall

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddy-x402/x402/internal/wal"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"
)

var (
	bucketPending = []byte("pending") // id → Entry JSON (queued, settling)
	bucketSpent   = []byte("spent")   // id → deadline (unix seconds, 8 bytes) ‖ tx hash (32 bytes, when known) of finished payments
	bucketFailed  = []byte("failed")  // id → Entry JSON of permanent failures, for operators
)

// BoltJournal is the embedded Journal: a bbolt file with a write-ahead log
// in front of it (internal/wal). Put, Broadcast and Finish each append one
// record (one write and one fdatasync per group of records from concurrent
// requests, where a bbolt commit costs page writes and two fdatasyncs); the
// records are folded into the file when the log's segment is full (64 MiB),
// before every read (Pending, Spent, Lookup, Failed) and on Close, so that
// most payments are put and finished without ever touching its pending
// bucket.
type BoltJournal struct {
	db        *bolt.DB
	log       *wal.Folded
	stop      chan struct{}
	closeOnce sync.Once
	now       func() time.Time
	// expected counts the Puts on their way (requests served whose answer
	// is not out yet): the log's group commit waits for them.
	expected atomic.Int64
}

var _ Journal = (*BoltJournal)(nil)

// DefaultJournalSegment is the size at which the journal's log is folded
// into its file.
const DefaultJournalSegment = 64 << 20

// OpenBoltJournal opens (or creates) the journal at path, with its log in
// path.wal-* files beside it (present only while the journal is open, or
// after a crash: the next open folds them in). Spent entries whose
// deadline passed are swept every sweep interval (default 1 min).
func OpenBoltJournal(path string, sweep time.Duration) (*BoltJournal, error) {
	return openBoltJournal(path, sweep, wal.Options{RotateBytes: DefaultJournalSegment})
}

func openBoltJournal(path string, sweep time.Duration, opt wal.Options) (*BoltJournal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating journal directory: %w", err)
	}
	// NoFreelistSync: the free-page list is rebuilt when the file is opened
	// instead of written with every commit (fewer pages per fsync).
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("opening journal %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketPending, bucketSpent, bucketFailed} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising journal %s: %w", path, err)
	}
	if sweep <= 0 {
		sweep = time.Minute
	}
	j := &BoltJournal{db: db, stop: make(chan struct{}), now: time.Now}
	opt.Pending = func() int { return int(j.expected.Load()) }
	if j.log, err = wal.OpenFolded(path, db, "journal", foldJournal, opt); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	go j.sweepLoop(sweep)
	return j, nil
}

// SetLogger names where a failed fold of the journal's log is reported.
func (j *BoltJournal) SetLogger(l *zap.Logger) { j.log.SetLogger(l) }

// Expect tells the journal that delta more Puts are on their way (or, when
// negative, that they came or will not come).
func (j *BoltJournal) Expect(delta int) { j.expected.Add(int64(delta)) }

// Put implements Journal.
func (j *BoltJournal) Put(e *Entry) error {
	rec, err := putRecord(make([]byte, 0, 2048), e)
	if err != nil {
		return err
	}
	if err := j.log.Append(rec); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Broadcast implements Journal.
func (j *BoltJournal) Broadcast(id, txHash string) error {
	rec, err := broadcastRecord(id, txHash)
	if err != nil {
		return err
	}
	if err := j.log.Append(rec); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Finish implements Journal: the entry leaves the pending set; a settled or
// failed payment stays spent until its deadline (failures are also kept
// whole for inspection), a released one is forgotten. Finishing an unknown
// or already finished payment does nothing.
func (j *BoltJournal) Finish(id string, state State, txHash, reason string) error {
	rec, err := finishRecord(id, state, txHash, reason)
	if err != nil {
		return err
	}
	if err := j.log.Append(rec); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// fold brings the file up to date with the log, for a read.
func (j *BoltJournal) fold() error {
	if err := j.log.Fold(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Pending implements Journal.
func (j *BoltJournal) Pending() ([]*Entry, error) {
	if err := j.fold(); err != nil {
		return nil, err
	}
	var out []*Entry
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("journal: decoding entry %s: %w", k, err)
			}
			out = append(out, &e)
			return nil
		})
	})
	return out, err
}

// Spent implements Journal.
func (j *BoltJournal) Spent(now time.Time) (map[string]time.Time, error) {
	if err := j.fold(); err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	err := j.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
			var e Entry
			if json.Unmarshal(v, &e) == nil {
				out[string(k)] = e.Deadline
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketSpent).ForEach(func(k, v []byte) error {
			if len(v) >= 8 {
				if dl := time.Unix(int64(binary.BigEndian.Uint64(v)), 0); dl.After(now) {
					out[string(k)] = dl
				}
			}
			return nil
		})
	})
	return out, err
}

// Lookup reports what the journal holds for payment id: its state
// (queued, settling, settled, failed; "" when unknown or released), the
// transaction that settled it (or was last broadcast for it) and the
// reason of a failure.
func (j *BoltJournal) Lookup(id string) (state State, txHash, reason string, err error) {
	if err := j.fold(); err != nil {
		return "", "", "", err
	}
	err = j.db.View(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bucketPending).Get([]byte(id)); raw != nil {
			var e Entry
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("journal: decoding entry %s: %w", id, err)
			}
			state, txHash = e.State, e.Tx
			return nil
		}
		if raw := tx.Bucket(bucketFailed).Get([]byte(id)); raw != nil {
			var e Entry
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("journal: decoding entry %s: %w", id, err)
			}
			state, txHash, reason = StateFailed, e.Tx, e.Reason
			return nil
		}
		if v := tx.Bucket(bucketSpent).Get([]byte(id)); v != nil {
			state = StateSettled
			if len(v) == 40 {
				txHash = "0x" + hex.EncodeToString(v[8:])
			}
		}
		return nil
	})
	return state, txHash, reason, err
}

// Failed lists payments whose settlement failed permanently.
func (j *BoltJournal) Failed() ([]*Entry, error) {
	if err := j.fold(); err != nil {
		return nil, err
	}
	var out []*Entry
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFailed).ForEach(func(_, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, &e)
			return nil
		})
	})
	return out, err
}

// Close implements Journal.
func (j *BoltJournal) Close() error {
	var err error
	j.closeOnce.Do(func() {
		close(j.stop)
		err = errors.Join(j.log.Close(), j.db.Close())
	})
	return err
}

func (j *BoltJournal) sweepLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
			_ = j.sweep(j.now())
		}
	}
}

// sweep forgets spent payments whose deadline passed: the chain itself now
// refuses their authorizations.
func (j *BoltJournal) sweep(now time.Time) error {
	err := j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSpent)
		var dead [][]byte
		_ = b.ForEach(func(k, v []byte) error {
			if len(v) >= 8 && int64(binary.BigEndian.Uint64(v)) < now.Unix() {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return nil
	}
	return err
}
