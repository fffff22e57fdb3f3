//go:build !race

package facilitator

const raceEnabled = false
