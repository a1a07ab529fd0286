package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/sqlstore"
)

// rawDB opens dsn without sqlstore, as a host opens its own database: for
// SQLite in its default journal mode, with the busy timeout the package
// documentation asks for and nothing else.
func rawDB(t testing.TB, dsn string) (*sql.DB, sqlstore.Dialect) {
	t.Helper()
	driver, dialect := "pgx", sqlstore.PostgreSQL
	if !strings.HasPrefix(dsn, "postgres") {
		driver, dialect = "sqlite", sqlstore.SQLite
		dsn += "?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, dialect
}

// knownMigrations is the number of migrations of the dialect in the package.
func knownMigrations(t testing.TB, d sqlstore.Dialect) int {
	entries, err := os.ReadDir("migrations/" + d.String())
	require.NoError(t, err)
	return len(entries)
}

func appliedMigrations(t testing.TB, db *sql.DB) []int {
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		vs = append(vs, v)
	}
	require.NoError(t, rows.Err())
	return vs
}

// Processes that start at once, each migrating a fresh database, apply
// every migration exactly once between them and all succeed.
func TestMigrateConcurrently(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			const processes = 4
			dbs := make([]*sql.DB, processes)
			var dialect sqlstore.Dialect
			for i := range dbs {
				dbs[i], dialect = rawDB(t, dsn)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, db := range dbs {
				wg.Go(func() {
					<-start
					assert.NoError(t, sqlstore.Migrate(context.Background(), db, dialect))
				})
			}
			close(start)
			wg.Wait()
			want := []int{}
			for v := range knownMigrations(t, dialect) {
				want = append(want, v+1)
			}
			assert.Equal(t, want, appliedMigrations(t, dbs[0]), "each migration applied once")
			for _, db := range dbs {
				_, err := sqlstore.New(context.Background(), db, dialect, &sqlstore.Options{NoMigrate: true})
				assert.NoError(t, err, "every process sees the schema complete")
			}
		})
	}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db, dialect := rawDB(t, d.dsn(t))
			ctx := context.Background()
			require.NoError(t, sqlstore.Migrate(ctx, db, dialect))
			s, err := sqlstore.New(ctx, db, dialect, nil)
			require.NoError(t, err)
			require.NoError(t, s.PutRecord(ctx, fixtureRecord(1)))
			require.NoError(t, sqlstore.Migrate(ctx, db, dialect))
			_, err = s.Record(ctx, fixtureRef(1))
			assert.NoError(t, err, "the data is still there")
			assert.Len(t, appliedMigrations(t, db), knownMigrations(t, dialect))
		})
	}
}

// A database migrated by a newer version of the package is left alone.
func TestMigrateRefusesANewerSchema(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db, dialect := rawDB(t, d.dsn(t))
			ctx := context.Background()
			require.NoError(t, sqlstore.Migrate(ctx, db, dialect))
			_, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 0)`)
			if err != nil { // PostgreSQL wants a time
				_, err = db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', now())`)
			}
			require.NoError(t, err)
			err = sqlstore.Migrate(ctx, db, dialect)
			assert.ErrorIs(t, err, privacy.ErrConflict)
			_, err = sqlstore.New(ctx, db, dialect, nil)
			assert.ErrorIs(t, err, privacy.ErrConflict)
			_, err = sqlstore.New(ctx, db, dialect, &sqlstore.Options{NoMigrate: true})
			assert.ErrorIs(t, err, privacy.ErrConflict)
		})
	}
}

// With NoMigrate, New refuses a database whose schema is missing or behind,
// and changes nothing.
func TestNoMigrateNeedsACurrentSchema(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db, dialect := rawDB(t, d.dsn(t))
			ctx := context.Background()
			_, err := sqlstore.New(ctx, db, dialect, &sqlstore.Options{NoMigrate: true})
			assert.ErrorIs(t, err, privacy.ErrConflict)
			require.NoError(t, sqlstore.Migrate(ctx, db, dialect))
			_, err = sqlstore.New(ctx, db, dialect, &sqlstore.Options{NoMigrate: true})
			assert.NoError(t, err)
		})
	}
}

// A SQLite database on which concurrent writers would fail at once, in a
// rollback journal mode without a busy timeout, is refused.
func TestNewRefusesSQLiteWithoutBusyTimeout(t *testing.T) {
	ctx := context.Background()
	path := sqliteFile(t)
	bare, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer bare.Close()
	_, err = sqlstore.New(ctx, bare, sqlstore.SQLite, nil)
	assert.ErrorIs(t, err, privacy.ErrInvalid)
	wal, err := sql.Open("sqlite", path+"?_pragma=journal_mode(wal)")
	require.NoError(t, err)
	defer wal.Close()
	_, err = sqlstore.New(ctx, wal, sqlstore.SQLite, nil)
	assert.NoError(t, err, "WAL without a busy timeout: the store retries the write lock itself")
}

func TestNewAndMigrateCheckTheirArguments(t *testing.T) {
	ctx := context.Background()
	_, err := sqlstore.New(ctx, nil, sqlstore.SQLite, nil)
	assert.ErrorIs(t, err, privacy.ErrInvalid)
	db, _ := rawDB(t, sqliteFile(t))
	_, err = sqlstore.New(ctx, db, 0, nil)
	assert.ErrorIs(t, err, privacy.ErrInvalid)
	assert.ErrorIs(t, sqlstore.Migrate(ctx, db, 7), privacy.ErrInvalid)
}
