package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// The schema of each dialect is a numbered series of SQL files, applied in
// order, each once. A file is never changed after it is released: a change
// of schema is a new file.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string // the file name, for schema_migrations and errors
	sql     string
}

// migrations returns the dialect's migrations in version order. Each file
// is named NNNN_what.sql; versions run from 1 without gaps.
func migrations(d Dialect) ([]migration, error) {
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || path.Ext(e.Name()) != ".sql" {
			return nil, fmt.Errorf("migration file %s/%s is not named NNNN_name.sql", dir, e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// Migrate brings the schema of db, a database of the given dialect, up to
// date, applying each missing migration in a transaction of its own. It is
// safe to run from several processes at once: each migration is applied by
// exactly one of them while the others wait (in PostgreSQL under a
// transaction-level advisory lock, in SQLite under the write lock), and
// finding it applied they go on. A database whose schema is newer than this
// package knows gives an error wrapping privacy.ErrConflict and is left
// alone.
//
// On PostgreSQL the tables are made in the first schema of the search_path.
func Migrate(ctx context.Context, db *sql.DB, dialect Dialect) error {
	const op = "sqlstore.Migrate"
	if db == nil || !dialect.valid() {
		return &privacy.Error{Op: op, Msg: "a database and a dialect are required", Err: privacy.ErrInvalid}
	}
	ms, err := migrations(dialect)
	if err != nil {
		return &privacy.Error{Op: op, Err: err}
	}
	return migrate(ctx, db, dialect, ms)
}

// migrate applies the migrations of ms that db lacks, as Migrate describes.
func migrate(ctx context.Context, db *sql.DB, dialect Dialect, ms []migration) error {
	const op = "sqlstore.Migrate"
	if dialect == SQLite {
		if err := checkSQLite(ctx, db); err != nil {
			return fail(ctx, op, err)
		}
		// Outside a transaction, so that the write lock statement below has
		// its table; IF NOT EXISTS makes a race between two processes
		// harmless.
		err := retryBusy(ctx, func() error {
			_, err := db.ExecContext(ctx, sqliteMigrationsTable)
			return err
		})
		if err != nil {
			return fail(ctx, op, err)
		}
	}
	for {
		done := false
		err := writeTx(ctx, db, dialect, func(tx *sql.Tx) error {
			if dialect == PostgreSQL {
				// Two processes creating the same table at once fail on a
				// unique index of the catalogue: take the lock first. The
				// key is per schema, so stores in different schemas do not
				// wait for each other.
				if _, err := tx.ExecContext(ctx,
					`SELECT pg_advisory_xact_lock(hashtextextended('steward.sqlstore.migrate:' || current_schema(), 0))`); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, postgresMigrationsTable); err != nil {
					return err
				}
			}
			current, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			switch {
			case current > len(ms):
				return &privacy.Error{Op: op, Err: privacy.ErrConflict,
					Msg: fmt.Sprintf("the database schema is at version %d, newer than this package knows (%d)", current, len(ms))}
			case current == len(ms):
				done = true
				return nil
			}
			m := ms[current]
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err = tx.ExecContext(ctx, bind(dialect, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`),
				m.version, m.name, timeArg(dialect, time.Now()))
			return err
		})
		if err != nil {
			return fail(ctx, op, err)
		}
		if done {
			return nil
		}
	}
}

const sqliteMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

const postgresMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    int         NOT NULL PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL
)`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// checkSchema returns an error wrapping privacy.ErrConflict unless db has
// exactly the migrations this package knows.
func checkSchema(ctx context.Context, db *sql.DB, d Dialect) error {
	ms, err := migrations(d)
	if err != nil {
		return err
	}
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return &privacy.Error{Op: "sqlstore.New", Msg: "no steward schema found (run Migrate)", Err: fmt.Errorf("%w: %v", privacy.ErrConflict, err)}
	}
	if v != len(ms) {
		return &privacy.Error{Op: "sqlstore.New", Err: privacy.ErrConflict,
			Msg: fmt.Sprintf("the database schema is at version %d, this package needs %d (run Migrate)", v, len(ms))}
	}
	return nil
}

// checkSQLite refuses a SQLite database on which writers would fail rather
// than wait: one in a rollback journal mode (where a commit waits for
// readers to finish) whose connections have no busy timeout. In WAL mode a
// commit never waits, and the store itself retries taking the write lock.
func checkSQLite(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var mode string
	var timeout int
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&timeout); err != nil {
		return err
	}
	if mode = strings.ToLower(mode); mode != "wal" && mode != "memory" && timeout == 0 {
		return &privacy.Error{Op: "sqlstore", Err: privacy.ErrInvalid, Msg: fmt.Sprintf(
			"the SQLite database is in %s journal mode without a busy timeout, so concurrent writers would fail: "+
				"open it with _pragma=journal_mode(wal) or _pragma=busy_timeout(10000), as Open does", mode)}
	}
	return nil
}
