package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/smartbooqing/steward/privacy"
)

// sqliteWriteLock is the first statement of every SQLite write transaction.
// A write, even one that changes no row, takes the database's one write lock
// (waiting for it under the busy timeout) together with the transaction's
// read snapshot, as BEGIN IMMEDIATE does. Without it a transaction that reads
// first and writes later can fail with SQLITE_BUSY when another connection
// wrote in between; with it, it works on a host's *sql.DB whatever its DSN
// says about _txlock.
const sqliteWriteLock = "UPDATE schema_migrations SET version = version WHERE 0"

// lockPatience is how long a SQLite write transaction keeps trying for the
// write lock beyond the busy timeout, for databases opened without one.
const lockPatience = 30 * time.Second

// write runs fn in a write transaction and commits it; if fn fails, or the
// commit does, nothing fn did stays. In SQLite the transaction holds the
// write lock from its first statement.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return writeTx(ctx, s.db, s.dialect, fn)
}

// writeOn is write with the transaction on a connection of its own, conn,
// which fn may use beneath database/sql (conn.Raw) for what database/sql
// cannot say, such as PostgreSQL's COPY; what it does there is part of tx.
// In SQLite conn is nil.
func (s *Store) writeOn(ctx context.Context, fn func(tx *sql.Tx, conn *sql.Conn) error) error {
	if s.dialect == SQLite {
		return s.write(ctx, func(tx *sql.Tx) error { return fn(tx, nil) })
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx, conn); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// exec runs one writing statement on its own, which needs no transaction to
// be atomic; in SQLite it waits for the write lock as write does.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := retryBusy(ctx, func() error {
		var err error
		res, err = s.db.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// execIn runs query in tx, through its prepared statement if it has one.
func (s *Store) execIn(ctx context.Context, tx *sql.Tx, query string, args []any) (sql.Result, error) {
	if st, ok := s.prepared[query]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

func writeTx(ctx context.Context, db *sql.DB, d Dialect, fn func(tx *sql.Tx) error) error {
	var tx *sql.Tx
	err := retryBusy(ctx, func() error {
		var err error
		if tx, err = db.BeginTx(ctx, nil); err != nil || d != SQLite {
			return err
		}
		if _, err = tx.ExecContext(ctx, sqliteWriteLock); err != nil {
			tx.Rollback()
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// retryBusy calls fn until it does not fail with SQLITE_BUSY, for up to
// lockPatience (beyond the busy timeout SQLite itself waits, if the database
// has one), waiting a little longer after each try.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(lockPatience)
	for try := 0; ; try++ {
		err := fn()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		wait := time.Duration(1+rand.IntN(1<<min(try, 5))) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's "database is locked" (SQLITE_BUSY
// in any of its extended forms).
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == 5
}

// isUniqueViolation reports whether err is a primary key or unique
// constraint violation.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	// SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE.
	return errors.As(err, &se) && (se.Code() == 1555 || se.Code() == 2067)
}

// fail returns err as the error of operation op: the context's error as it
// is when the context ended (whatever the driver made of it), a
// *privacy.Error unchanged, anything else wrapped once in a *privacy.Error.
func fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if _, ok := err.(*privacy.Error); ok {
		return err
	}
	return &privacy.Error{Op: op, Err: err}
}

func notFound(op string, ref privacy.Ref) error {
	return &privacy.Error{Op: op, Ref: ref, Msg: "no such record", Err: privacy.ErrNotFound}
}
