//go:build race

package samestore_test

// raceDetector: under -race each command runs several times slower; the
// differential test keeps its whole corpus but fewer events and variants.
const raceDetector = true
