//go:build race

package importer_test

// raceEnabled: built with -race.
const raceEnabled = true
