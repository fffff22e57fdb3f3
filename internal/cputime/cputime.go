// Package cputime reads the CPU time this process has used, for benchmarks
// whose wall time is noise on a shared machine: CPU time per operation
// (user + system, every thread, the garbage collector and the kernel's
// work for our syscalls included) changes little with what else runs.
package cputime

import (
	"testing"
	"time"
)

// ReportPerOp measures the process's CPU time from now until the returned
// function is called, and reports it as the "cpu-ns/op" metric of b.
func ReportPerOp(b *testing.B) (stop func()) {
	start := Process()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(Process()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// Process is the CPU time used by this process so far (0 where the
// system does not say).
func Process() time.Duration { return process() }
