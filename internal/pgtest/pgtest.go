// Package pgtest gives a test a PostgreSQL schema of its own on the server
// that STEWARD_POSTGRES_DSN names, so tests in parallel packages never see
// each other's tables.
package pgtest

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	// The PostgreSQL driver, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// Base returns STEWARD_POSTGRES_DSN, the server's own DSN. Without it, it
// skips the test with a message, or fails it when CI is "true".
func Base(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("STEWARD_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STEWARD_POSTGRES_DSN is not set in CI: the PostgreSQL tests must run there")
		}
		t.Skip("PostgreSQL tests skipped: set STEWARD_POSTGRES_DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return dsn
}

// DSN creates a fresh schema, drops it when the test ends, and returns a DSN
// whose search_path is that schema. Without STEWARD_POSTGRES_DSN it skips the
// test, or fails it when CI is "true", so CI never skips PostgreSQL.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := Base(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("steward_test_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("STEWARD_POSTGRES_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
