//go:build race

package sqlite

// raceDetector: the tests run under -race, where SQLite (transpiled Go)
// runs about ten times slower: fixtures are kept smaller.
const raceDetector = true
