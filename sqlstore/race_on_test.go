//go:build race

package sqlstore_test

// raceEnabled says the race detector is on: it makes SQLite, a C library
// translated to Go, many times slower, so the heaviest SQLite tests use
// fewer records under it.
const raceEnabled = true
