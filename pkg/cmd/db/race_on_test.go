//go:build race

package db_test

// raceDetector: under -race each command runs several times slower; the
// copy tests use fewer events (the same slices, interruptions and checks).
const raceDetector = true
