package sqlstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

// A bookkeeping kept in a SQLite file: invoices go in, a legal hold is
// placed, and a sweep on 1 January 2027 disposes of what the Dutch fiscal
// rule no longer keeps, leaving a tombstone in the verifiable audit log.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "steward-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlstore.Open(ctx, filepath.Join(dir, "steward.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	invoice := func(id string, made time.Time) privacy.Record {
		return privacy.Record{
			Ref: privacy.Ref{Category: "invoice", ID: id}, Subject: "client-42", Created: made,
			Fields: []privacy.Field{
				{Name: "amount", Value: int64(12100)},
				{Name: "name", Value: "Jan de Vries", Class: privacy.Personal},
			},
		}
	}
	for _, r := range []privacy.Record{
		invoice("2019-1", time.Date(2019, 3, 15, 0, 0, 0, 0, time.UTC)),
		invoice("2019-2", time.Date(2019, 5, 2, 0, 0, 0, 0, time.UTC)),
		invoice("2024-1", time.Date(2024, 1, 9, 0, 0, 0, 0, time.UTC)),
	} {
		if err := store.PutRecord(ctx, r); err != nil {
			log.Fatal(err)
		}
	}

	clock := privacy.NewSettableClock(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	holds := retention.NewHolds(store, &retention.HoldsOptions{Audit: store.AuditLog(), Clock: clock})
	if _, err := holds.Place(ctx, retention.Hold{
		ID: "claim-1", Matter: "Claim 2026/14", Ground: retention.GroundLegalClaim, PlacedBy: "legal",
		Scope: retention.RecordScope(privacy.Ref{Category: "invoice", ID: "2019-2"}),
	}); err != nil {
		log.Fatal(err)
	}

	policy, err := retention.NewPolicy(retention.DutchFiscal("invoice", nil))
	if err != nil {
		log.Fatal(err)
	}
	sweeper, err := retention.NewSweeper(store, store, policy, &retention.SweeperOptions{Clock: clock, Audit: store.AuditLog()})
	if err != nil {
		log.Fatal(err)
	}
	report, err := sweeper.Execute(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("disposed of:", report.Disposed)
	for r, err := range store.Scan(ctx, privacy.Ref{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("kept:", r.Ref)
	}
	head, err := privacy.Verify(ctx, store.AuditLog())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("audit events:", head.Seq)
	// Output:
	// disposed of: 1
	// kept: invoice/2019-2
	// kept: invoice/2024-1
	// audit events: 2
}
