package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

// The fixture is a bookkeeping of invoices under the Dutch fiscal rule,
// swept on 1 January 2027: an invoice made in 2019 is due, one made in 2024
// is kept. Every tenth record is from 2019; a subject has 50 consecutive
// records, 5 of them due.
var (
	sweepDay   = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	dueMade    = time.Date(2019, 6, 1, 10, 0, 0, 0, time.UTC)
	keptMade   = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	perSubject = 50
)

func fixtureRef(i int) privacy.Ref {
	return privacy.Ref{Category: "invoice", ID: fmt.Sprintf("%07d", i)}
}

func fixtureSubject(i int) privacy.SubjectID {
	return privacy.SubjectID(fmt.Sprintf("client-%06d", i/perSubject))
}

func fixtureDue(i int) bool { return i%10 == 0 }

func fixtureRecord(i int) privacy.Record {
	made := keptMade
	if fixtureDue(i) {
		made = dueMade
	}
	made = made.Add(time.Duration(i) * time.Second)
	return privacy.Record{
		Ref: fixtureRef(i), Subject: fixtureSubject(i), Created: made,
		Fields: []privacy.Field{
			{Name: "number", Value: fmt.Sprintf("2019-%d", i)},
			{Name: "amount", Value: int64(12100 + i)},
			{Name: "vat", Value: 0.21},
			{Name: "paid", Value: i%3 == 0},
			{Name: "due", Value: made.AddDate(0, 1, 0)},
			{Name: "name", Value: "Jan de Vries", Class: privacy.Personal},
			{Name: "email", Value: "jan@example.nl", Class: privacy.Personal},
		},
	}
}

// load puts records from..to-1 of the fixture into s.
func load(tb testing.TB, s *sqlstore.Store, from, to int) {
	tb.Helper()
	const batch = 5000
	recs := make([]privacy.Record, 0, batch)
	for start := from; start < to; start += batch {
		recs = recs[:0]
		for i := start; i < min(start+batch, to); i++ {
			recs = append(recs, fixtureRecord(i))
		}
		require.NoError(tb, s.PutRecords(context.Background(), recs))
	}
}

func fiscalPolicy(tb testing.TB, categories ...privacy.Category) *retention.Policy {
	tb.Helper()
	var rules []retention.Rule
	for _, c := range categories {
		rules = append(rules, retention.DutchFiscal(c, nil))
	}
	p, err := retention.NewPolicy(rules...)
	require.NoError(tb, err)
	return p
}

func newSweeper(tb testing.TB, s *sqlstore.Store, categories ...privacy.Category) *retention.Sweeper {
	tb.Helper()
	sw, err := retention.NewSweeper(s, s, fiscalPolicy(tb, categories...), &retention.SweeperOptions{
		Clock: privacy.NewSettableClock(sweepDay), Audit: s.AuditLog(),
	})
	require.NoError(tb, err)
	return sw
}

// tombstones counts the tombstones of each ref in the store's audit log,
// and returns the sequence number of each hold.placed event by hold ID.
func tombstones(tb testing.TB, s *sqlstore.Store) (map[privacy.Ref]int, map[privacy.Ref]uint64, map[string]uint64) {
	tb.Helper()
	count, seq, placed := map[privacy.Ref]int{}, map[privacy.Ref]uint64{}, map[string]uint64{}
	for e, err := range s.AuditLog().Events(context.Background(), 0) {
		require.NoError(tb, err)
		switch e.Action {
		case privacy.ActionDisposed:
			count[e.Ref]++
			seq[e.Ref] = e.Seq
		case privacy.ActionHoldPlaced:
			placed[e.Object] = e.Seq
		}
	}
	return count, seq, placed
}

// present returns the refs of the records in s.
func present(tb testing.TB, s *sqlstore.Store) map[privacy.Ref]privacy.Record {
	tb.Helper()
	out := map[privacy.Ref]privacy.Record{}
	for r, err := range s.Scan(context.Background(), privacy.Ref{}) {
		require.NoError(tb, err)
		out[r.Ref] = r
	}
	return out
}
