package steward_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/internal/pgtest"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

// postgresStore opens a store in a schema of its own on the PostgreSQL of
// STEWARD_POSTGRES_DSN, dropped when the test ends.
func postgresStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), pgtest.DSN(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// TestConcurrentErasureHoldsAndSweepsOnPostgres runs erasures, hold
// placements and four sweepers at once over overlapping subjects, then
// checks from the audit chain that no record was disposed of after a hold
// covering it was placed, that every disposal has exactly one tombstone, and
// that what is left is what the rules and holds keep.
func TestConcurrentErasureHoldsAndSweepsOnPostgres(t *testing.T) {
	st := postgresStore(t)
	ctx := context.Background()
	clock := privacy.NewSettableClock(day(2026, 11, 23))
	ledger, err := consent.New(st.Consent(), &consent.Options{Clock: clock, Audit: st.AuditLog(), Notices: st.Notices(),
		Disclosures: st.Disclosures(), PseudonymKey: []byte("postgres concurrency test key 01")})
	require.NoError(t, err)
	s, err := steward.New(st, &steward.Options{Policy: modelPolicy, Consent: ledger, Audit: st.AuditLog(), Clock: clock})
	require.NoError(t, err)

	const subjects, perSubject = 40, 30
	var recs []privacy.Record
	for i := range subjects {
		subject := privacy.SubjectID(fmt.Sprintf("s%02d", i))
		for j := range perSubject {
			made := day(2015+j%10, time.Month(1+j%12), 10) // 2015–2024: about half due
			recs = append(recs, privacy.Record{
				Ref: privacy.Ref{Category: "invoice", ID: fmt.Sprintf("%s-%02d", subject, j)}, Subject: subject, Created: made,
				Fields: []privacy.Field{{Name: "number", Value: fmt.Sprint(j)}, {Name: "amount", Value: int64(j)},
					{Name: "client_name", Value: "n", Class: privacy.Personal}, {Name: "email", Value: "e@example.nl", Class: privacy.Personal}},
			})
		}
		recs = append(recs, privacy.Record{Ref: privacy.Ref{Category: "contact", ID: string(subject)}, Subject: subject, Created: day(2015, 1, 1),
			Events: map[string]time.Time{privacy.EventContractEnded: day(2020, 1, 1)},
			Fields: []privacy.Field{{Name: "email", Value: "e@example.nl", Class: privacy.Personal}}})
	}
	require.NoError(t, st.PutRecords(ctx, recs))

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := s.Sweep(ctx, nil)
			assert.NoError(t, err)
		})
	}
	wg.Go(func() { // erasures of s00–s19
		for i := range 20 {
			_, err := s.Erase(ctx, privacy.SubjectID(fmt.Sprintf("s%02d", i)))
			assert.NoError(t, err)
		}
	})
	wg.Go(func() { // holds on s10–s29 and on single records of s30–s39
		for i := 10; i < 40; i++ {
			scope := retention.SubjectScope(privacy.SubjectID(fmt.Sprintf("s%02d", i)))
			if i >= 30 {
				scope = retention.RecordScope(privacy.Ref{Category: "invoice", ID: fmt.Sprintf("s%02d-%02d", i, 0)})
			}
			_, err := s.Holds().Place(ctx, retention.Hold{ID: fmt.Sprintf("h%02d", i), Matter: "m", Ground: retention.GroundLegalClaim, Scope: scope, PlacedBy: "legal"})
			assert.NoError(t, err)
		}
	})
	wg.Wait()

	// Read the audit chain: when each hold was placed, each tombstone.
	placed := map[string]uint64{}
	tombs := map[privacy.Ref][]uint64{}
	for e, err := range st.AuditLog().Events(ctx, 0) {
		require.NoError(t, err)
		switch e.Action {
		case privacy.ActionHoldPlaced:
			placed[e.Object] = e.Seq
		case privacy.ActionDisposed:
			tombs[e.Ref] = append(tombs[e.Ref], e.Seq)
		}
	}
	_, err = privacy.Verify(ctx, st.AuditLog())
	require.NoError(t, err)

	holds := map[string]retention.Hold{}
	for h, err := range s.Holds().Active(ctx) {
		require.NoError(t, err)
		holds[h.ID] = h
	}
	require.Len(t, holds, 30)
	left := map[privacy.Ref]privacy.Record{}
	for r, err := range st.Scan(ctx, privacy.Ref{}) {
		require.NoError(t, err)
		left[r.Ref] = r
	}
	for _, r := range recs {
		seqs := tombs[r.Ref]
		_, exists := left[r.Ref]
		switch {
		case exists:
			assert.Empty(t, seqs, "%s exists but has a tombstone", r.Ref)
		default:
			assert.Len(t, seqs, 1, "%s is gone with exactly one tombstone", r.Ref)
		}
		for id, h := range holds {
			if h.Scope.Covers(&r) && len(seqs) > 0 {
				assert.Less(t, seqs[0], placed[id], "%s was disposed of after hold %s covered it", r.Ref, id)
			}
		}
	}
	// Erased subjects keep only minimised or held records.
	for i := range 20 {
		for _, r := range left {
			if r.Subject != privacy.SubjectID(fmt.Sprintf("s%02d", i)) {
				continue
			}
			_, pending := r.Events[steward.EventErasurePending]
			assert.True(t, r.Restricted || pending, "%s of an erased subject is minimised or waits for its hold", r.Ref)
		}
	}
	// Nothing that is due and unheld is left behind.
	sw, err := s.Sweeper()
	require.NoError(t, err)
	for c, err := range sw.Plan(ctx) {
		require.NoError(t, err)
		t.Errorf("%s is due but was left behind", c.Ref)
	}
}
