package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

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
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("STEWARD_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but STEWARD_POSTGRES_DSN is not set: the PostgreSQL tests must run in CI")
		}
		t.Skip("PostgreSQL tests skipped: set STEWARD_POSTGRES_DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return dsn
}

// postgresSchema creates a schema of its own for the test, dropped when the
// test ends, and returns a DSN whose search_path is that schema: tests in
// parallel, in this package or others, never see each other's tables.
func postgresSchema(t testing.TB) string {
	t.Helper()
	dsn := postgresDSN(t)
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	_, err = admin.ExecContext(ctx, "CREATE SCHEMA "+schema)
	if err != nil {
		admin.Close()
		require.NoError(t, err, "creating a test schema (is PostgreSQL running at %s?)", dsn)
	}
	t.Cleanup(func() {
		admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	// The tests commit thousands of small transactions; waiting for the
	// disk at each would make them slow without testing anything more.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func openPostgres(t testing.TB) *sqlstore.Store { return open(t, postgresSchema(t)) }
