//go:build !race

package samestore_test

const raceDetector = false
