package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Frame layout: a little-endian uint32 payload length, a little-endian
// uint32 CRC-32C of the segment's sequence number (8 bytes, big-endian)
// followed by the payload, then the payload.
const frameHeader = 8

// MaxRecord is the largest record Append takes (a longer length prefix is
// read as the end of a segment).
const MaxRecord = 16 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrRecordTooLarge is returned by Append for a record over MaxRecord bytes.
var ErrRecordTooLarge = errors.New("wal: record too large")

// Segment is one file of a log.
type Segment struct {
	Path string
	Seq  uint64
}

// segmentPath is the file of segment seq of the log at path.
func segmentPath(path string, seq uint64) string {
	return fmt.Sprintf("%s.wal-%016x", path, seq)
}

// Segments lists the segment files of the log at path, oldest first.
func Segments(path string) ([]Segment, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: listing %s: %w", dir, err)
	}
	prefix := base + ".wal-"
	var out []Segment
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || len(name) != len(prefix)+16 {
			continue
		}
		seq, err := strconv.ParseUint(name[len(prefix):], 16, 64)
		if err != nil {
			continue
		}
		out = append(out, Segment{Path: filepath.Join(dir, name), Seq: seq})
	}
	slices.SortFunc(out, func(a, b Segment) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return out, nil
}

// Remove deletes a segment durably (the directory is synced, so a folded
// segment does not come back after a crash).
func Remove(s Segment) error {
	if err := os.Remove(s.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("wal: removing %s: %w", s.Path, err)
	}
	return syncDir(filepath.Dir(s.Path))
}

// ReadSegment calls fn with each intact record of segment s, in order. It
// stops at the end of what was written: a zero or impossible length, a
// short frame or a failed checksum (a commit torn by a crash: its Appends
// never returned). rec is only valid during the call. An error from fn
// stops the reading and is returned.
func ReadSegment(s Segment, fn func(rec []byte) error) error {
	f, err := os.Open(s.Path)
	if err != nil {
		return fmt.Errorf("wal: reading %s: %w", s.Path, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], s.Seq)
	seqCRC := crc32.Update(0, crcTable, seq[:])
	var hdr [frameHeader]byte
	var rec []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil // end of file, or a short header
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		if n == 0 || n > MaxRecord {
			return nil
		}
		if cap(rec) < int(n) {
			rec = make([]byte, n)
		}
		rec = rec[:n]
		if _, err := io.ReadFull(r, rec); err != nil {
			return nil
		}
		if crc32.Update(seqCRC, crcTable, rec) != binary.LittleEndian.Uint32(hdr[4:8]) {
			return nil
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// segment is the file records are appended to.
type segment struct {
	Segment
	f      *os.File
	off    int64 // where the next commit is written
	alloc  int64 // bytes allocated (written as zeros ahead of the records)
	dirty  int64 // end of a failed commit's bytes, to be overwritten
	seqCRC uint32
}

// createSegment creates segment seq of the log at path with extend bytes
// of zeros, durably (file and directory synced).
func createSegment(path string, seq uint64, extend int64) (*segment, error) {
	p := segmentPath(path, seq)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wal: creating %s: %w", p, err)
	}
	s := &segment{Segment: Segment{Path: p, Seq: seq}, f: f}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	s.seqCRC = crc32.Update(0, crcTable, b[:])
	err = s.extend(extend)
	if err == nil {
		err = fdatasync(f)
	}
	if err == nil {
		err = syncDir(filepath.Dir(p))
	}
	if err != nil {
		f.Close()
		os.Remove(p)
		return nil, fmt.Errorf("wal: creating %s: %w", p, err)
	}
	return s, nil
}

var zeros = make([]byte, 1<<16)

// extend appends n zero bytes to the file. Writing them (rather than
// fallocate, whose unwritten extents are converted on first write) makes
// later commits overwrite allocated blocks, so their fdatasync has no
// file size or extent change to journal.
func (s *segment) extend(n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := s.f.WriteAt(zeros[:k], s.alloc); err != nil {
			return err
		}
		s.alloc += k
		n -= k
	}
	return nil
}

// write writes buf (framed records without their checksums, which are
// filled in here for this segment) at the end of the segment and makes it
// durable. After a failure the same bytes are written over by the next
// commit, padded with zeros over anything longer that the failed one left.
func (s *segment) write(buf []byte, extendBy int64) error {
	for i := 0; i+frameHeader <= len(buf); {
		n := int(binary.LittleEndian.Uint32(buf[i : i+4]))
		rec := buf[i+frameHeader : i+frameHeader+n]
		binary.LittleEndian.PutUint32(buf[i+4:i+8], crc32.Update(s.seqCRC, crcTable, rec))
		i += frameHeader + n
	}
	end := s.off + int64(len(buf))
	if pad := s.dirty - end; pad > 0 {
		// A failed commit left bytes beyond this one's end: they must not
		// be read as records after it.
		if err := s.zero(end, pad); err != nil {
			return err
		}
	}
	if end > s.alloc {
		grow := (end - s.alloc + extendBy - 1) / extendBy * extendBy
		if err := s.extend(grow); err != nil {
			return err
		}
	}
	if _, err := s.f.WriteAt(buf, s.off); err != nil {
		s.dirty = max(s.dirty, end)
		return err
	}
	if err := fdatasync(s.f); err != nil {
		s.dirty = max(s.dirty, end)
		return err
	}
	s.off, s.dirty = end, 0
	return nil
}

func (s *segment) zero(at, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := s.f.WriteAt(zeros[:k], at); err != nil {
			return err
		}
		at += k
		n -= k
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wal: syncing directory %s: %w", dir, err)
	}
	return nil
}
