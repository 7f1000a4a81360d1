//go:build !race

package load

// raceEnabled reports a -race build, whose instrumentation allocates.
const raceEnabled = false
