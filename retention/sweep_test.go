package retention_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// fixture is a memory store with invoices (fiscal rule) and contacts (two-year
// storage limit), a clock and a sweeper.
type fixture struct {
	ctx     context.Context
	clock   *privacy.SettableClock
	audit   *privacy.MemoryAuditLog
	store   *retention.MemoryStore
	holds   *retention.Holds
	sweeper *retention.Sweeper
}

// recordAtATime hides a store's PagedInventory fast path, so a sweep takes
// the record-at-a-time path.
type recordAtATime struct{ retention.Inventory }

// pagesAtOnce lets a sweep have three pages of a store under way at once.
type pagesAtOnce struct{ *retention.MemoryStore }

func (pagesAtOnce) PagesAtOnce() int { return 3 }

// sweepPath is the way a fixture's sweeper goes through its store.
type sweepPath int

const (
	recordsPath sweepPath = iota // record at a time
	pagedPath                    // a page at a time, by PagedInventory
	atOncePath                   // pages under way at once, by ConcurrentPages
)

// paths runs a test over every sweep path.
func paths(t *testing.T, test func(t *testing.T, path sweepPath)) {
	t.Run("record at a time", func(t *testing.T) { test(t, recordsPath) })
	t.Run("paged", func(t *testing.T) { test(t, pagedPath) })
	t.Run("pages at once", func(t *testing.T) { test(t, atOncePath) })
}

func newFixture(t *testing.T, path sweepPath, rules ...retention.Rule) *fixture {
	t.Helper()
	if rules == nil {
		rules = []retention.Rule{
			retention.DutchFiscal("invoice", nil),
			{Name: "contact-limit", Category: "contact", Delete: retention.Years(2), Anchor: retention.OnEvent(privacy.EventContractEnded), Zone: retention.DutchZone},
		}
	}
	f := &fixture{ctx: context.Background(), clock: privacy.NewSettableClock(day(2019, 1, 1)), audit: privacy.NewMemoryAuditLog()}
	f.store = retention.NewMemoryStore(f.audit)
	f.holds = retention.NewHolds(f.store, &retention.HoldsOptions{Audit: f.audit, Clock: f.clock})
	var err error
	var inv retention.Inventory
	switch path {
	case recordsPath:
		inv = recordAtATime{f.store}
	case pagedPath:
		inv = f.store
	case atOncePath:
		inv = pagesAtOnce{f.store}
	}
	f.sweeper, err = retention.NewSweeper(inv, f.store, policy(t, rules...), &retention.SweeperOptions{Clock: f.clock, Audit: f.audit})
	require.NoError(t, err)
	return f
}

func (f *fixture) add(t *testing.T, cat privacy.Category, id string, subject privacy.SubjectID, created time.Time, events map[string]time.Time) {
	t.Helper()
	require.NoError(t, f.store.PutRecord(f.ctx, privacy.Record{
		Ref: privacy.Ref{Category: cat, ID: id}, Subject: subject, Created: created, Events: events,
		Fields: []privacy.Field{{Name: "name", Value: "Jan", Class: privacy.Personal}},
	}))
}

// invoices adds n invoices of subject made in year.
func (f *fixture) invoices(t *testing.T, subject privacy.SubjectID, year, n int) {
	for i := range n {
		f.add(t, "invoice", fmt.Sprintf("%d-%s-%03d", year, subject, i), subject, day(year, 3, 15), nil)
	}
}

func (f *fixture) exists(ref privacy.Ref) bool {
	_, err := f.store.Record(f.ctx, ref)
	return err == nil
}

func (f *fixture) count(action privacy.Action) int {
	n := 0
	for e, err := range f.audit.Events(f.ctx, 0) {
		if err == nil && e.Action == action {
			n++
		}
	}
	return n
}

func (f *fixture) plan(t *testing.T) []privacy.Ref {
	var refs []privacy.Ref
	for c, err := range f.sweeper.Plan(f.ctx) {
		require.NoError(t, err)
		refs = append(refs, c.Ref)
	}
	return refs
}

func TestSweepDisposesOfWhatIsDueAndNothingElse(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		f := newFixture(t, path)
		f.invoices(t, "a", 2019, 2)
		f.invoices(t, "b", 2020, 1)
		f.add(t, "contact", "a", "a", day(2019, 1, 1), map[string]time.Time{privacy.EventContractEnded: day(2026, 6, 1)})
		f.add(t, "contact", "b", "b", day(2019, 1, 1), nil) // contract running

		f.clock.Set(at(2026, 12, 31, 23, 59, 59))
		assert.Empty(t, f.plan(t), "nothing is due the second before 2027")
		rep, err := f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Zero(t, rep.Disposed)

		f.clock.Set(day(2027, 1, 1))
		want := []privacy.Ref{{Category: "invoice", ID: "2019-a-000"}, {Category: "invoice", ID: "2019-a-001"}}
		assert.Equal(t, want, f.plan(t))
		assert.Equal(t, 5, f.store.Len(), "Plan changes nothing")

		rep, err = f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Disposed)
		assert.Equal(t, 5, rep.Scanned)
		assert.False(t, f.exists(want[0]))
		assert.True(t, f.exists(privacy.Ref{Category: "invoice", ID: "2020-b-000"}))
		assert.Equal(t, 2, f.count(privacy.ActionDisposed), "one tombstone per disposal")

		f.clock.Set(day(2028, 1, 1))
		rep, err = f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Disposed, "the 2020 invoice in 2028")

		f.clock.Set(day(2040, 1, 1))
		rep, err = f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Disposed, "the ended contact, never the running one")
		assert.True(t, f.exists(privacy.Ref{Category: "contact", ID: "b"}))

		_, err = privacy.Verify(f.ctx, f.audit)
		require.NoError(t, err)
	})
}

func TestTombstoneHasNoContent(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		f := newFixture(t, path)
		f.invoices(t, "a", 2019, 1)
		f.clock.Set(day(2027, 1, 1))
		_, err := f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		var tomb privacy.Event
		for e, err := range f.audit.Events(f.ctx, 0) {
			require.NoError(t, err)
			tomb = e
		}
		assert.Equal(t, privacy.ActionDisposed, tomb.Action)
		assert.Equal(t, privacy.Ref{Category: "invoice", ID: "2019-a-000"}, tomb.Ref)
		assert.Equal(t, "nl-fiscal:invoice", tomb.Object)
		assert.Equal(t, "retention ended", tomb.Reason)
		assert.NotContains(t, fmt.Sprintf("%+v", tomb), "Jan", "no field value in a tombstone")
	})
}

func TestHoldPlacedBetweenPlanAndExecuteKeepsTheRecord(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		f := newFixture(t, path)
		f.invoices(t, "a", 2019, 3)
		f.clock.Set(day(2027, 1, 1))
		require.Len(t, f.plan(t), 3)

		held := privacy.Ref{Category: "invoice", ID: "2019-a-001"}
		_, err := f.holds.Place(f.ctx, retention.Hold{ID: "h1", Matter: "FIOD 2026-8", Ground: retention.GroundCourtOrder, Scope: retention.RecordScope(held), PlacedBy: "legal"})
		require.NoError(t, err)

		rep, err := f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Disposed)
		assert.True(t, f.exists(held))
	})
}

func TestHoldPlacedWhileExecuteRunsWins(t *testing.T) {
	f := newFixture(t, recordsPath)
	f.invoices(t, "a", 2019, 5)
	f.clock.Set(day(2027, 1, 1))
	last := privacy.Ref{Category: "invoice", ID: "2019-a-004"}
	placed := false
	rep, err := f.sweeper.Execute(f.ctx, &retention.ExecuteOptions{
		ProgressEvery: 1,
		Progress: func(p retention.Progress) {
			// After the first record is looked at, the sweep has loaded its
			// holds; this hold arrives too late for that, but not for the
			// re-check at disposal.
			if p.Scanned == 1 && !placed {
				placed = true
				_, err := f.holds.Place(f.ctx, retention.Hold{ID: "late", Matter: "claim", Ground: retention.GroundLegalClaim, Scope: retention.RecordScope(last), PlacedBy: "legal"})
				require.NoError(t, err)
			}
		},
	})
	require.NoError(t, err)
	require.True(t, placed)
	assert.Equal(t, 4, rep.Disposed)
	require.Len(t, rep.Refusals, 1)
	assert.Equal(t, last, rep.Refusals[0].Ref)
	assert.ErrorIs(t, rep.Refusals[0].Err, privacy.ErrHeld)
	assert.True(t, f.exists(last))
}

func TestEventRecordedAfterPlanningIsHonoured(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		f := newFixture(t, path, retention.Rule{Name: "lead", Category: "lead", Delete: retention.Years(1), Zone: retention.DutchZone},
			retention.Rule{Name: "client", Category: "lead", Keep: retention.Years(7), Anchor: retention.OnEvent("became.client"), Zone: retention.DutchZone})
		f.add(t, "lead", "1", "a", day(2019, 1, 1), map[string]time.Time{"became.client": day(2019, 6, 1)})
		f.add(t, "lead", "2", "a", day(2019, 1, 1), map[string]time.Time{})
		f.clock.Set(day(2021, 1, 1))
		// Lead 1 became a client: retained. Lead 2 is past its limit... but the
		// client rule is pending for it, so it is retained too.
		assert.Empty(t, f.plan(t))
	})
}

func TestExecuteCapAndResume(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		f := newFixture(t, path)
		f.invoices(t, "a", 2019, 5)
		f.invoices(t, "b", 2024, 2)
		f.clock.Set(day(2027, 1, 1))
		rep, err := f.sweeper.Execute(f.ctx, &retention.ExecuteOptions{Max: 2})
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Disposed)
		assert.True(t, rep.Capped)
		assert.Equal(t, privacy.Ref{Category: "invoice", ID: "2019-a-001"}, rep.Next)

		rep, err = f.sweeper.Execute(f.ctx, &retention.ExecuteOptions{Max: 2, After: rep.Next})
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Disposed)
		assert.True(t, rep.Capped)

		rep, err = f.sweeper.Execute(f.ctx, &retention.ExecuteOptions{Max: 2, After: rep.Next})
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Disposed)
		assert.False(t, rep.Capped)

		rep, err = f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Zero(t, rep.Disposed, "a second full run finds nothing more: idempotent")
		assert.Equal(t, 5, f.count(privacy.ActionDisposed))
		assert.Equal(t, 2, f.store.Len())
	})
}

func TestExecuteCancelledPartWayIsSafeToRunAgain(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		const n = 2500 // more than two pages
		f := newFixture(t, path)
		f.invoices(t, "a", 2019, n)
		f.clock.Set(day(2027, 1, 1))
		ctx, cancel := context.WithCancel(f.ctx)
		rep, err := f.sweeper.Execute(ctx, &retention.ExecuteOptions{PageSize: 1000, ProgressEvery: 1, Progress: func(p retention.Progress) {
			if p.Disposed >= 1000 {
				cancel()
			}
		}})
		require.ErrorIs(t, err, context.Canceled)
		assert.GreaterOrEqual(t, rep.Disposed, 1000)
		assert.Less(t, rep.Disposed, n)
		assert.Equal(t, rep.Disposed, f.count(privacy.ActionDisposed), "no record gone without its tombstone")
		assert.Equal(t, n-rep.Disposed, f.store.Len())

		rep2, err := f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, n, rep.Disposed+rep2.Disposed)
		assert.Equal(t, n, f.count(privacy.ActionDisposed), "exactly one tombstone per disposal")
		assert.Zero(t, f.store.Len())
	})
}

func TestConcurrentSweepersNeverDisposeTwice(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		f := newFixture(t, path)
		f.invoices(t, "a", 2019, 200)
		f.invoices(t, "b", 2025, 50)
		f.clock.Set(day(2027, 1, 1))
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			total int
		)
		for range 4 {
			wg.Go(func() {
				rep, err := f.sweeper.Execute(f.ctx, nil)
				assert.NoError(t, err)
				mu.Lock()
				total += rep.Disposed
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, 200, total)
		assert.Equal(t, 200, f.count(privacy.ActionDisposed))
		assert.Equal(t, 50, f.store.Len())
	})
}

func TestBypassOverridesGovernanceOnlyAndIsAudited(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		f := newFixture(t, path, retention.Rule{Name: "tickets", Category: "ticket", Keep: retention.Years(10), Zone: retention.DutchZone},
			retention.DutchFiscal("invoice", nil))
		f.add(t, "ticket", "t1", "a", day(2019, 1, 1), nil)
		f.invoices(t, "a", 2019, 1)
		f.clock.Set(day(2021, 1, 1))

		_, err := f.sweeper.Execute(f.ctx, &retention.ExecuteOptions{Bypass: &retention.Bypass{Actor: "dpo"}})
		assert.ErrorIs(t, err, privacy.ErrInvalid, "a bypass needs a reason")

		rep, err := f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Zero(t, rep.Disposed, "without a bypass the governance rule keeps the ticket")

		rep, err = f.sweeper.Execute(f.ctx, &retention.ExecuteOptions{Bypass: &retention.Bypass{Actor: "dpo", Reason: "DPIA-2021-4"}})
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Disposed, "the ticket goes; the invoice under a compliance rule stays")
		assert.False(t, f.exists(privacy.Ref{Category: "ticket", ID: "t1"}))
		assert.True(t, f.exists(privacy.Ref{Category: "invoice", ID: "2019-a-000"}))
		assert.Equal(t, 1, f.count(privacy.ActionBypass))
		assert.Equal(t, 1, f.count(privacy.ActionDisposed))
	})
}

func TestBypassDisposesWhatOnlyGovernanceKept(t *testing.T) {
	paths(t, func(t *testing.T, path sweepPath) {
		f := newFixture(t, path,
			retention.Rule{Name: "keep", Category: "ticket", Keep: retention.Years(10), Zone: retention.DutchZone},
			retention.Rule{Name: "limit", Category: "ticket", Delete: retention.Years(1), Zone: retention.DutchZone})
		f.add(t, "ticket", "t1", "a", day(2019, 1, 1), nil)
		f.clock.Set(day(2021, 1, 1))
		rep, err := f.sweeper.Execute(f.ctx, nil)
		require.NoError(t, err)
		assert.Zero(t, rep.Disposed)

		rep, err = f.sweeper.Execute(f.ctx, &retention.ExecuteOptions{Bypass: &retention.Bypass{Actor: "dpo", Reason: "DPIA-2021-4"}})
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Disposed)
		assert.Equal(t, 1, f.count(privacy.ActionBypass))
		assert.Equal(t, 1, f.count(privacy.ActionDisposed))
	})
}

func TestSweepWithStoreThatFailsReportsRefusal(t *testing.T) {
	f := newFixture(t, recordsPath)
	f.invoices(t, "a", 2019, 3)
	f.clock.Set(day(2027, 1, 1))
	inv := failingDispose{Inventory: f.store, fail: privacy.Ref{Category: "invoice", ID: "2019-a-001"}}
	s, err := retention.NewSweeper(inv, f.store, policy(t, retention.DutchFiscal("invoice", nil)), &retention.SweeperOptions{Clock: f.clock})
	require.NoError(t, err)
	rep, err := s.Execute(f.ctx, nil)
	require.NoError(t, err, "one record's failure does not stop the sweep")
	assert.Equal(t, 2, rep.Disposed)
	require.Len(t, rep.Refusals, 1)
	assert.ErrorContains(t, rep.Refusals[0].Err, "disk full")
	assert.True(t, f.exists(inv.fail))
}

type failingDispose struct {
	retention.Inventory
	fail privacy.Ref
}

func (s failingDispose) Dispose(ctx context.Context, ref privacy.Ref, check retention.Check, tomb privacy.Event) error {
	if ref == s.fail {
		return errors.New("disk full")
	}
	return s.Inventory.Dispose(ctx, ref, check, tomb)
}

func TestNewSweeperNeedsItsParts(t *testing.T) {
	_, err := retention.NewSweeper(nil, nil, nil, nil)
	assert.ErrorIs(t, err, privacy.ErrInvalid)
}

// smallPages hands out at most three records a page, whatever a sweep asks
// for, and may have pages under way at once.
type smallPages struct{ *retention.MemoryStore }

func (s smallPages) DisposePage(ctx context.Context, after privacy.Ref, size int,
	decide func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	return s.MemoryStore.DisposePage(ctx, after, min(size, 3), decide)
}

func (s smallPages) DisposeCandidatePage(ctx context.Context, category privacy.Category, before time.Time, after privacy.Ref, size int,
	decide func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	return s.MemoryStore.DisposeCandidatePage(ctx, category, before, after, min(size, 3), decide)
}

func (smallPages) PagesAtOnce() int { return 2 }

// A page with fewer records than the sweep asked for does not end the walk:
// only an empty one does.
func TestShortPagesDoNotEndASweep(t *testing.T) {
	f := newFixture(t, pagedPath)
	f.invoices(t, "a", 2019, 10)
	f.invoices(t, "b", 2024, 4)
	f.clock.Set(day(2027, 1, 1))
	sw, err := retention.NewSweeper(smallPages{f.store}, f.store, policy(t, retention.DutchFiscal("invoice", nil)), &retention.SweeperOptions{Clock: f.clock, Audit: f.audit})
	require.NoError(t, err)
	rep, err := sw.Execute(f.ctx, &retention.ExecuteOptions{PageSize: 5})
	require.NoError(t, err)
	assert.Equal(t, 10, rep.Disposed)
	assert.Equal(t, 4, f.store.Len())
}

// secondPageFails fails the second page it is given after its decision, so
// that the page after it may already be under way; three pages may be.
type secondPageFails struct {
	*retention.MemoryStore
	mu    sync.Mutex
	pages int
}

var errSecondPage = errors.New("second page lost")

func (s *secondPageFails) DisposePage(ctx context.Context, after privacy.Ref, size int,
	decide func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	s.mu.Lock()
	s.pages++
	fail := s.pages == 2
	s.mu.Unlock()
	return s.MemoryStore.DisposePage(ctx, after, size, func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error) {
		events, err := decide(page, holds)
		if fail {
			return nil, errSecondPage
		}
		return events, err
	})
}

func (*secondPageFails) PagesAtOnce() int { return 3 }

// With pages under way at once, a failed page stops the run, Next stays
// before it whatever the pages after it did, the report counts what was
// disposed of, and resuming from Next finishes the work.
func TestFailedPageKeepsNextBeforeIt(t *testing.T) {
	f := newFixture(t, pagedPath)
	f.invoices(t, "a", 2019, 12)
	f.clock.Set(day(2027, 1, 1))
	store := &secondPageFails{MemoryStore: f.store}
	sw, err := retention.NewSweeper(store, f.store, policy(t, retention.DutchFiscal("invoice", nil)), &retention.SweeperOptions{Clock: f.clock, Audit: f.audit})
	require.NoError(t, err)
	// A bypass-free run with After set takes the paged walk.
	start := privacy.Ref{Category: "invoice"}
	rep, err := sw.Execute(f.ctx, &retention.ExecuteOptions{PageSize: 3, After: start})
	require.ErrorIs(t, err, errSecondPage)
	assert.Equal(t, privacy.Ref{Category: "invoice", ID: "2019-a-002"}, rep.Next, "after the first page, the last one that finished in order")
	assert.Equal(t, rep.Disposed, f.count(privacy.ActionDisposed), "the report counts every disposal made")
	for i := 3; i < 6; i++ {
		assert.True(t, f.exists(privacy.Ref{Category: "invoice", ID: fmt.Sprintf("2019-a-%03d", i)}), "the failed page disposed of nothing")
	}
	rep2, err := sw.Execute(f.ctx, &retention.ExecuteOptions{PageSize: 3, After: rep.Next})
	require.NoError(t, err)
	assert.Equal(t, 12, rep.Disposed+rep2.Disposed)
	assert.Zero(t, f.store.Len())
}
