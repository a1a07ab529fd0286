// Command bookkeeping walks a privacy statement end to end on a small
// booking and bookkeeping host: clients register and consent to a versioned
// notice, invoices are made, the notice changes, a third party asks for data,
// a contract ends and the client's export is written, another client cancels
// and is erased, a legal hold is placed, seven years pass and a sweep disposes
// of what the law lets go, and anonymised figures are published.
//
//	go run ./examples/bookkeeping            # in English
//	go run ./examples/bookkeeping -lang nl   # in Dutch
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/examples/internal/story"
	"github.com/smartbooqing/steward/sqlstore"
)

func main() {
	lang := flag.String("lang", "en", "language of the story: en or nl")
	dir := flag.String("dir", "", "where to write the export archive and the database; empty: a new temporary directory")
	flag.Parse()
	tag, err := language.Parse(*lang)
	if err != nil || (tag != language.English && tag != language.Dutch) {
		fmt.Fprintf(os.Stderr, "bookkeeping: -lang %q: want en or nl\n", *lang)
		os.Exit(2)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "steward-bookkeeping-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bookkeeping:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	// The embedded default: a SQLite file, through the pure-Go driver.
	open := func(ctx context.Context) (*sqlstore.Store, error) {
		return sqlstore.Open(ctx, filepath.Join(*dir, "steward.db"), nil)
	}
	if err := story.Run(context.Background(), os.Stdout, tag, *dir, open); err != nil {
		fmt.Fprintln(os.Stderr, "bookkeeping:", err)
		os.Exit(1)
	}
}
