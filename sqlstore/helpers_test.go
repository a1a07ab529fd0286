package sqlstore_test

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/internal/pgtest"
	"github.com/smartbooqing/steward/sqlstore"
)

// dialects are the databases every test body runs against: SQLite always,
// PostgreSQL when STEWARD_POSTGRES_DSN names a server. dsn makes a new,
// empty database for the test; open opens a store on a DSN, which several
// stores may share as several processes would.
var dialects = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{"SQLite", sqliteFile},
	{"PostgreSQL", postgresSchema},
}

// open opens a store on dsn, closed when the test ends.
func open(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// sqliteFile returns the path of a new database file in the test's
// temporary directory.
func sqliteFile(t testing.TB) string {
	return filepath.Join(t.TempDir(), "steward.db")
}

func openSQLite(t testing.TB) *sqlstore.Store { return open(t, sqliteFile(t)) }

// postgresDSN returns STEWARD_POSTGRES_DSN, or skips the test when it is
// unset; under CI=true an unset DSN fails the test instead, so that CI never
// skips PostgreSQL silently.
// postgresDSN returns STEWARD_POSTGRES_DSN, or skips (or in CI fails) the test.
func postgresDSN(t testing.TB) string { return pgtest.Base(t) }

// postgresSchema gives the test a schema of its own (see internal/pgtest)
// and returns its DSN.
func postgresSchema(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(pgtest.DSN(t))
	require.NoError(t, err)
	q := u.Query()
	// The tests commit thousands of small transactions; waiting for the
	// disk at each would make them slow without testing anything more.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func openPostgres(t testing.TB) *sqlstore.Store { return open(t, postgresSchema(t)) }
