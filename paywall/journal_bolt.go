package paywall

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caddy-x402/x402/internal/groupcommit"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	bucketPending = []byte("pending") // id → Entry JSON (queued, settling)
	bucketSpent   = []byte("spent")   // id → deadline (unix seconds, 8 bytes) ‖ tx hash (32 bytes, when known) of finished payments
	bucketFailed  = []byte("failed")  // id → Entry JSON of permanent failures, for operators
)

// BoltJournal is the embedded Journal: a bbolt file. Writes from concurrent
// requests are group-committed (groupcommit: one commit per batch, no
// batching delay), so a paid request costs one durable write without
// serialising on the disk.
type BoltJournal struct {
	db        *bolt.DB
	w         *groupcommit.Writer
	stop      chan struct{}
	closeOnce sync.Once
	now       func() time.Time
}

var _ Journal = (*BoltJournal)(nil)

// OpenBoltJournal opens (or creates) the journal at path. Spent entries
// whose deadline passed are swept every sweep interval (default 1 min).
func OpenBoltJournal(path string, sweep time.Duration) (*BoltJournal, error) {
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
	j := &BoltJournal{db: db, w: groupcommit.New(db, 0), stop: make(chan struct{}), now: time.Now}
	go j.sweepLoop(sweep)
	return j, nil
}

// Put implements Journal.
func (j *BoltJournal) Put(e *Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: encoding entry: %w", err)
	}
	return j.w.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).Put([]byte(e.ID), b)
	})
}

// Broadcast implements Journal.
func (j *BoltJournal) Broadcast(id, txHash string) error {
	return j.w.Update(func(tx *bolt.Tx) error {
		pending := tx.Bucket(bucketPending)
		raw := pending.Get([]byte(id))
		if raw == nil {
			return nil // finished meanwhile, or never journaled
		}
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("journal: decoding entry %s: %w", id, err)
		}
		if slices.Contains(e.Sent, txHash) {
			return nil
		}
		e.Sent = append(e.Sent, txHash)
		b, err := json.Marshal(&e)
		if err != nil {
			return fmt.Errorf("journal: encoding entry %s: %w", id, err)
		}
		return pending.Put([]byte(id), b)
	})
}

// Finish implements Journal: the entry leaves the pending set; a settled or
// failed payment stays spent until its deadline (failures are also kept
// whole for inspection), a released one is forgotten.
func (j *BoltJournal) Finish(id string, state State, txHash, reason string) error {
	return j.w.Update(func(tx *bolt.Tx) error {
		pending := tx.Bucket(bucketPending)
		raw := pending.Get([]byte(id))
		if raw == nil {
			return nil // already finished (e.g. resumed twice)
		}
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("journal: decoding entry %s: %w", id, err)
		}
		if err := pending.Delete([]byte(id)); err != nil {
			return err
		}
		switch state {
		case StateSettled, StateFailed:
			// The settling transaction (a batch's, shared by many
			// payments) is kept with the deadline.
			v := binary.BigEndian.AppendUint64(make([]byte, 0, 40), uint64(e.Deadline.Unix()))
			if h, err := hex.DecodeString(strings.TrimPrefix(txHash, "0x")); err == nil && len(h) == 32 {
				v = append(v, h...)
			}
			if err := tx.Bucket(bucketSpent).Put([]byte(id), v); err != nil {
				return err
			}
			if state == StateFailed {
				e.State, e.Tx, e.Reason = state, txHash, reason
				b, _ := json.Marshal(&e)
				return tx.Bucket(bucketFailed).Put([]byte(id), b)
			}
		}
		return nil
	})
}

// Pending implements Journal.
func (j *BoltJournal) Pending() ([]*Entry, error) {
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
		j.w.Close()
		err = j.db.Close()
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
