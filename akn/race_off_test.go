//go:build !race

package akn_test

// raceEnabled: built with -race.
const raceEnabled = false
