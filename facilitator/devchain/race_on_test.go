//go:build race

package devchain

// slowdown scales the timing thresholds of the measurement tests: the race
// detector makes everything 5–10× slower, and the numbers then say nothing
// about the miner.
const slowdown = 10
