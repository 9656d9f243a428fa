//go:build !race

package importcmd_test

const raceDetector = false
