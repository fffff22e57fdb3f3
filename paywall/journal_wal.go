package paywall

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caddy-x402/x402/internal/wal"
	bolt "go.etcd.io/bbolt"
)

// The journal's write-ahead log records (BoltJournal): Put, Broadcast and
// Finish each append one record; folding a segment into the bbolt file
// applies them in order, so a payment put and finished within one segment
// never touches the pending bucket.
const (
	recPut       = 'P' // id, deadline (8 bytes, Unix seconds), entry JSON
	recBroadcast = 'B' // id, transaction
	recFinish    = 'F' // id, state, transaction, reason
)

var errBadRecord = errors.New("journal: malformed log record")

// appendShort appends a length-prefixed (1 byte) string of at most 255
// bytes.
func appendShort(b []byte, s string) ([]byte, error) {
	if len(s) > 255 {
		return b, fmt.Errorf("journal: %q is longer than 255 bytes", s[:32]+"…")
	}
	return append(append(b, byte(len(s))), s...), nil
}

func readShort(rec []byte) (string, []byte, error) {
	if len(rec) < 1 || len(rec) < 1+int(rec[0]) {
		return "", nil, errBadRecord
	}
	n := int(rec[0])
	return string(rec[1 : 1+n]), rec[1+n:], nil
}

// putRecord encodes a Put: the entry as JSON, with its id and deadline
// ahead of it so that a fold finds them without decoding the JSON.
func putRecord(b []byte, e *Entry) ([]byte, error) {
	b = append(b, recPut)
	b, err := appendShort(b, e.ID)
	if err != nil {
		return nil, err
	}
	b = binary.BigEndian.AppendUint64(b, uint64(e.Deadline.Unix()))
	return appendEntryJSON(b, e)
}

func broadcastRecord(id, tx string) ([]byte, error) {
	b, err := appendShort([]byte{recBroadcast}, id)
	if err != nil {
		return nil, err
	}
	return append(b, tx...), nil
}

func finishRecord(id string, state State, tx, reason string) ([]byte, error) {
	b, err := appendShort(make([]byte, 1, 1+1+len(id)+1+len(state)+1+len(tx)+len(reason)), id)
	if err != nil {
		return nil, err
	}
	b[0] = recFinish
	if b, err = appendShort(b, string(state)); err != nil {
		return nil, err
	}
	if b, err = appendShort(b, tx); err != nil {
		return nil, err
	}
	return append(b, reason...), nil
}

// folding is one payment's records in a segment.
type folding struct {
	entry    []byte // entry JSON put in this segment (nil: put earlier)
	deadline int64
	sent     []string
	finished bool
	state    State
	tx       string
	reason   string
}

// foldJournal applies a segment's records to the journal's buckets:
// payments finished in it go to spent (and failed) without passing through
// pending; the others are put in (or updated in) pending.
func foldJournal(tx *bolt.Tx, s wal.Segment) error {
	byID := map[string]*folding{}
	var order []string
	get := func(id string) *folding {
		f := byID[id]
		if f == nil {
			f = &folding{}
			byID[id] = f
			order = append(order, id)
		}
		return f
	}
	err := wal.ReadSegment(s, func(rec []byte) error {
		if len(rec) == 0 {
			return errBadRecord
		}
		kind := rec[0]
		id, rest, err := readShort(rec[1:])
		if err != nil {
			return err
		}
		switch kind {
		case recPut:
			if len(rest) < 8 {
				return errBadRecord
			}
			f := get(id)
			if f.finished {
				return nil // put again after its finish: not a live payment
			}
			f.deadline = int64(binary.BigEndian.Uint64(rest[:8]))
			f.entry = slices.Clone(rest[8:])
		case recBroadcast:
			f := get(id)
			if !slices.Contains(f.sent, string(rest)) {
				f.sent = append(f.sent, string(rest))
			}
		case recFinish:
			f := get(id)
			if f.finished {
				return nil // finished twice: the first counts
			}
			state, rest, err := readShort(rest)
			if err != nil {
				return err
			}
			txHash, rest, err := readShort(rest)
			if err != nil {
				return err
			}
			f.finished, f.state, f.tx, f.reason = true, State(state), txHash, string(rest)
		default:
			return errBadRecord
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal: reading %s: %w", s.Path, err)
	}
	slices.Sort(order) // sequential B+tree inserts
	pending := tx.Bucket(bucketPending)
	for _, id := range order {
		f := byID[id]
		raw := f.entry
		if raw == nil {
			raw = pending.Get([]byte(id))
			if raw == nil {
				continue // finished by an earlier fold, or never journaled
			}
			var e Entry
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("journal: decoding entry %s: %w", id, err)
			}
			f.deadline = e.Deadline.Unix()
		}
		if f.finished {
			if f.entry == nil {
				if err := pending.Delete([]byte(id)); err != nil {
					return err
				}
			}
			if err := finishInto(tx, id, raw, f); err != nil {
				return err
			}
			continue
		}
		if len(f.sent) > 0 {
			var e Entry
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("journal: decoding entry %s: %w", id, err)
			}
			for _, t := range f.sent {
				if !slices.Contains(e.Sent, t) {
					e.Sent = append(e.Sent, t)
				}
			}
			if raw, err = json.Marshal(&e); err != nil {
				return fmt.Errorf("journal: encoding entry %s: %w", id, err)
			}
		} else if f.entry == nil {
			continue // nothing new for an entry already in pending
		}
		if err := pending.Put([]byte(id), raw); err != nil {
			return err
		}
	}
	return nil
}

// finishInto records a finished payment: a settled or failed one stays
// spent until its deadline, with the transaction that settled it (a
// batch's, shared by many payments); a failed one is also kept whole for
// operators; a released one is forgotten.
func finishInto(tx *bolt.Tx, id string, raw []byte, f *folding) error {
	if f.state != StateSettled && f.state != StateFailed {
		return nil
	}
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 40), uint64(f.deadline))
	if h, err := hex.DecodeString(strings.TrimPrefix(f.tx, "0x")); err == nil && len(h) == 32 {
		v = append(v, h...)
	}
	if err := tx.Bucket(bucketSpent).Put([]byte(id), v); err != nil {
		return err
	}
	if f.state != StateFailed {
		return nil
	}
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return fmt.Errorf("journal: decoding entry %s: %w", id, err)
	}
	e.State, e.Tx, e.Reason = f.state, f.tx, f.reason
	for _, t := range f.sent {
		if !slices.Contains(e.Sent, t) {
			e.Sent = append(e.Sent, t)
		}
	}
	b, err := json.Marshal(&e)
	if err != nil {
		return fmt.Errorf("journal: encoding entry %s: %w", id, err)
	}
	return tx.Bucket(bucketFailed).Put([]byte(id), b)
}

// appendEntryJSON appends e as JSON, the way json.Marshal writes it (field
// names and order, RFC 3339 times), without reflection: the requirements
// come pre-encoded from the offer when the claim has them (Entry.reqJSON)
// and the payload is the client's own decoded header (already checked
// JSON).
func appendEntryJSON(b []byte, e *Entry) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, e.ID)
	b = append(b, `,"scheme":`...)
	b = appendJSONString(b, e.Scheme)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, e.Route)
	b = append(b, `,"state":`...)
	b = appendJSONString(b, string(e.State))
	b = append(b, `,"payload":`...)
	if len(e.Payload) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Payload...)
	}
	b = append(b, `,"requirements":`...)
	if e.reqJSON != nil {
		b = append(b, e.reqJSON...)
	} else {
		r, err := json.Marshal(&e.Requirements)
		if err != nil {
			return nil, fmt.Errorf("journal: encoding requirements: %w", err)
		}
		b = append(b, r...)
	}
	b = append(b, `,"due":`...)
	b = appendJSONTime(b, e.Due)
	b = append(b, `,"deadline":`...)
	b = appendJSONTime(b, e.Deadline)
	if e.Tx != "" {
		b = append(b, `,"tx":`...)
		b = appendJSONString(b, e.Tx)
	}
	if e.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, e.Reason)
	}
	if len(e.Sent) > 0 {
		b = append(b, `,"sent":[`...)
		for i, t := range e.Sent {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, t)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped; invalid UTF-8 is kept as bytes only where
// json.Marshal would (it replaces it), so it is escaped as U+FFFD here.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			b = append(b, c)
			i++
			continue
		}
		if c < 0x80 {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigit(c>>4), hexDigit(c&0xf))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func hexDigit(n byte) byte { return "0123456789abcdef"[n] }
