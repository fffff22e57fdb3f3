//go:build !unix

package client

// lockFile is a no-op where advisory file locks are not available: the
// in-process mutex still serialises one process's writers, and every write
// replaces the file atomically.
func lockFile(string) (func(), error) { return func() {}, nil }
