//go:build race

package retention_test

// raceDetector: the tests run under -race, where storing events in the
// test process is about ten times slower: fixtures are kept smaller.
const raceDetector = true
