//go:build race

package importcmd_test

// raceDetector: the tests run under -race (CI's budget): fewer runs.
const raceDetector = true
