// Package filelock tells whether another process holds a file's lock, and
// which one, before an embedded database (bbolt) waits on it: the journal
// and the escrow ledger are single-writer files, and "in use by another
// process (pid 4242)" is what an operator needs to read, not bbolt's
// "timeout" five seconds later.
package filelock

import (
	"errors"
	"fmt"
)

// ErrInUse is wrapped by the errors of Check.
var ErrInUse = errors.New("in use by another process")

// InUseError says that path is locked by another process.
type InUseError struct {
	Path string
	// PID of the holder, 0 when the system does not say.
	PID int
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s is in use by another process (pid %d)", e.Path, e.PID)
	}
	return fmt.Sprintf("%s is in use by another process", e.Path)
}

// Unwrap makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Unwrap() error { return ErrInUse }

// Check returns an *InUseError when another process holds an exclusive or
// shared lock on path, nil when the file is free or does not exist. A lock
// held by this process through another file descriptor counts as another
// holder too (locks belong to open files), so callers check before their
// own open, not after.
func Check(path string) error { return check(path) }
