// Command postgres runs the bookkeeping host of examples/bookkeeping on
// PostgreSQL through sqlstore: the same story, with the records, holds,
// consent and audit log in a PostgreSQL database.
//
//	STEWARD_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go run ./examples/postgres
//
// It works in a schema of its own, created for the run and dropped after it
// (keep it with -keep), so it can run again against the same database.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/examples/internal/story"
	"github.com/smartbooqing/steward/sqlstore"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("STEWARD_POSTGRES_DSN"), "PostgreSQL DSN; default $STEWARD_POSTGRES_DSN")
	lang := flag.String("lang", "en", "language of the story: en or nl")
	keep := flag.Bool("keep", false, "keep the schema the run created")
	flag.Parse()
	if err := run(*dsn, *lang, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "postgres:", err)
		if strings.HasPrefix(err.Error(), "usage:") {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(dsn, lang string, keep bool) error {
	if dsn == "" {
		return fmt.Errorf("usage: no DSN: pass -dsn or set STEWARD_POSTGRES_DSN (postgres://user@host:5432/db)")
	}
	tag, err := language.Parse(lang)
	if err != nil || (tag != language.English && tag != language.Dutch) {
		return fmt.Errorf("usage: -lang %q: want en or nl", lang)
	}
	ctx := context.Background()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	schema := fmt.Sprintf("steward_example_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return fmt.Errorf("creating schema: %w", err)
	}
	if keep {
		fmt.Fprintf(os.Stderr, "postgres: the data is in schema %s\n", schema)
	} else {
		defer db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	scoped := dsn + sep + "search_path=" + schema
	dir, err := os.MkdirTemp("", "steward-postgres-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	open := func(ctx context.Context) (*sqlstore.Store, error) { return sqlstore.Open(ctx, scoped, nil) }
	return story.Run(ctx, os.Stdout, tag, dir, open)
}
