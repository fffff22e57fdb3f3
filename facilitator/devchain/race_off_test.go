//go:build !race

package devchain

// slowdown scales the timing thresholds of the measurement tests (see
// race_on_test.go).
const slowdown = 1
