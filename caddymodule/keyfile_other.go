//go:build !unix

package caddymodule

// checkKeyFileMode has no POSIX permission bits to check here.
func checkKeyFileMode(string) error { return nil }
