package steward_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

func TestDeadlines(t *testing.T) {
	cases := []struct {
		name     string
		received time.Time
		ext      int
		due      time.Time // first instant after the last day
	}{
		{"one calendar month", time.Date(2025, 3, 10, 15, 0, 0, 0, ams), 0, day(2025, 4, 11)},
		{"31 January gives the end of February", time.Date(2025, 1, 31, 9, 0, 0, 0, ams), 0, day(2025, 3, 1)},
		{"31 January in a leap year gives 29 February", time.Date(2024, 1, 31, 9, 0, 0, 0, ams), 0, day(2024, 3, 1)},
		{"30 January in a leap year gives 29 February", time.Date(2024, 1, 30, 9, 0, 0, 0, ams), 0, day(2024, 3, 1)},
		{"31 March gives 30 April", time.Date(2025, 3, 31, 9, 0, 0, 0, ams), 0, day(2025, 5, 1)},
		{"December rolls into the next year", time.Date(2025, 12, 15, 9, 0, 0, 0, ams), 0, day(2026, 1, 16)},
		{"a day is read in the zone: 23:30 UTC on 31 January is 1 February in Amsterdam", time.Date(2025, 1, 31, 23, 30, 0, 0, time.UTC), 0, day(2025, 3, 2)},
		{"extension by two months", time.Date(2025, 1, 31, 9, 0, 0, 0, ams), 2, day(2025, 5, 1)},
		{"extension by one month from 31 December", time.Date(2025, 12, 31, 9, 0, 0, 0, ams), 1, day(2026, 3, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := privacy.Deadline{Received: tc.received, Zone: ams}.Due(tc.ext)
			assert.True(t, tc.due.Equal(got), "due %v, want %v", got, tc.due)
		})
	}
}

func TestRequestLifecycle(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(time.Date(2024, 1, 31, 10, 0, 0, 0, ams))
	r, err := w.s.Receive(w.ctx, "client-1", privacy.RequestErasure)
	require.NoError(t, err)
	assert.Equal(t, privacy.RequestReceived, r.State)
	assert.True(t, day(2024, 3, 1).Equal(r.Due), "due by the end of 29 February 2024")

	_, err = w.s.Request(w.ctx, "client-2", r.ID)
	assert.ErrorIs(t, err, privacy.ErrNotFound, "another subject cannot see the request")
	got, err := w.s.Request(w.ctx, "client-1", r.ID)
	require.NoError(t, err)
	assert.Equal(t, r, got)

	for name, tc := range map[string]struct {
		months int
		reason string
	}{
		"zero months":    {0, "complex"},
		"three months":   {3, "complex"},
		"with no reason": {2, ""},
	} {
		t.Run("extension refused: "+name, func(t *testing.T) {
			_, err := w.s.Extend(w.ctx, r.ID, tc.months, tc.reason)
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		})
	}
	ext, err := w.s.Extend(w.ctx, r.ID, 2, "many requests at once")
	require.NoError(t, err)
	assert.True(t, day(2024, 5, 1).Equal(ext.Due), "due by the end of 30 April 2024")
	_, err = w.s.Extend(w.ctx, r.ID, 1, "again")
	assert.ErrorIs(t, err, privacy.ErrInvalid, "one extension only")

	late, err := w.s.Receive(w.ctx, "client-1", privacy.RequestAccess)
	require.NoError(t, err)
	w.clock.Set(late.Due)
	_, err = w.s.Extend(w.ctx, late.ID, 1, "complex")
	assert.ErrorIs(t, err, privacy.ErrInvalid, "not after the original deadline")

	_, err = w.s.Start(w.ctx, r.ID)
	require.NoError(t, err)
	done, err := w.s.Complete(w.ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, privacy.RequestCompleted, done.State)
	_, err = w.s.Refuse(w.ctx, r.ID, "manifestly unfounded")
	assert.ErrorIs(t, err, privacy.ErrInvalid, "a closed request stays closed")
	_, err = w.s.Refuse(w.ctx, late.ID, "")
	assert.ErrorIs(t, err, privacy.ErrInvalid, "a refusal needs a reason")

	_, err = w.s.Receive(w.ctx, "client-1", "complaint")
	assert.ErrorIs(t, err, privacy.ErrInvalid)
	_, err = w.s.Receive(w.ctx, "", privacy.RequestAccess)
	assert.ErrorIs(t, err, privacy.ErrInvalid)
}

func TestRequestFreezesThePolicy(t *testing.T) {
	w := newWorld(t)
	r, err := w.s.Receive(w.ctx, "client-1", privacy.RequestErasure)
	require.NoError(t, err)
	p, err := w.s.PolicyFor(r)
	require.NoError(t, err)
	assert.Same(t, w.s.Policy(), p)

	other, err := steward.New(nil, nil)
	require.NoError(t, err)
	_, err = other.PolicyFor(r)
	assert.ErrorIs(t, err, privacy.ErrNotFound, "a Steward with another policy does not pretend to know it")
}

// spy is a Records store that notes every record it yields, changes or deletes.
type spy struct {
	*retention.MemoryStore
	mu      sync.Mutex
	touched map[privacy.SubjectID]int
}

func (s *spy) note(subject privacy.SubjectID) {
	s.mu.Lock()
	s.touched[subject]++
	s.mu.Unlock()
}

func (s *spy) BySubject(ctx context.Context, subject privacy.SubjectID) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		for r, err := range s.MemoryStore.BySubject(ctx, subject) {
			if err == nil {
				s.note(r.Subject)
			}
			if !yield(r, err) {
				return
			}
		}
	}
}

func (s *spy) Update(ctx context.Context, next privacy.Record, check retention.Check, e privacy.Event) error {
	s.note(next.Subject)
	return s.MemoryStore.Update(ctx, next, check, e)
}

func (s *spy) Dispose(ctx context.Context, ref privacy.Ref, check retention.Check, tomb privacy.Event) error {
	s.note(tomb.Subject)
	return s.MemoryStore.Dispose(ctx, ref, check, tomb)
}

func TestNoCallTouchesAnotherSubject(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	sp := &spy{MemoryStore: w.store, touched: map[privacy.SubjectID]int{}}
	s, err := steward.New(sp, &steward.Options{Policy: w.s.Policy(), Consent: w.ledger, Audit: w.audit, Clock: w.clock})
	require.NoError(t, err)
	before := w.snapshot(t, "client-2")
	w.clock.Set(day(2021, 6, 1))

	_, err = s.Access(w.ctx, "client-1")
	require.NoError(t, err)
	_, err = s.Rectify(w.ctx, "client-1", privacy.Ref{Category: "contact", ID: "c-1"}, []privacy.Field{{Name: "email", Value: "n@example.nl"}})
	require.NoError(t, err)
	_, err = s.Rectify(w.ctx, "client-1", privacy.Ref{Category: "contact", ID: "c-2"}, []privacy.Field{{Name: "email", Value: "n@example.nl"}})
	assert.ErrorIs(t, err, privacy.ErrNotFound, "naming another subject's record")
	_, err = s.Terminate(w.ctx, "client-1", w.clock.Now())
	require.NoError(t, err)
	_, err = s.Archive(w.ctx, "client-1", "accountant", day(2030, 1, 1))
	require.NoError(t, err)
	for _, err := range s.Read(w.ctx, "accountant", steward.PurposeAccountingConsultation, "client-1") {
		require.NoError(t, err)
	}
	_, err = s.Erase(w.ctx, "client-1")
	require.NoError(t, err)

	assert.Zero(t, sp.touched["client-2"], "client-2's records were never read, changed or deleted")
	assert.NotZero(t, sp.touched["client-1"])
	assert.Equal(t, before, w.snapshot(t, "client-2"))
}

// failing is a Records store whose Update and Dispose fail on the nth call.
type failing struct {
	*retention.MemoryStore
	mu    sync.Mutex
	calls int
	n     int
}

var errDisk = errors.New("disk full")

func (f *failing) fail() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.calls == f.n
}

func (f *failing) Update(ctx context.Context, next privacy.Record, check retention.Check, e privacy.Event) error {
	if f.fail() {
		return errDisk
	}
	return f.MemoryStore.Update(ctx, next, check, e)
}

func (f *failing) Dispose(ctx context.Context, ref privacy.Ref, check retention.Check, tomb privacy.Event) error {
	if f.fail() {
		return errDisk
	}
	return f.MemoryStore.Dispose(ctx, ref, check, tomb)
}

func TestErasureFailingHalfWayCompletesOnRetry(t *testing.T) {
	for n := 1; n <= 3; n++ {
		w := newWorld(t)
		w.clients(t)
		w.clock.Set(day(2021, 6, 1))
		f := &failing{MemoryStore: w.store, n: n}
		s, err := steward.New(f, &steward.Options{Policy: w.s.Policy(), Consent: w.ledger, Audit: w.audit, Clock: w.clock})
		require.NoError(t, err)

		_, err = s.Erase(w.ctx, "client-1")
		require.ErrorIs(t, err, errDisk, "call %d fails", n)
		// Every record is untouched or fully handled: none is restricted
		// without its masks, none half-masked.
		for _, r := range w.snapshot(t, "client-1") {
			for _, f := range r.Fields {
				if !f.Class.IsPersonal() || f.Name == "client_name" {
					continue
				}
				if r.Restricted {
					assert.Nil(t, f.Value, "%s of restricted %s is masked", f.Name, r.Ref)
				} else {
					assert.NotNil(t, f.Value, "%s of unrestricted %s is untouched", f.Name, r.Ref)
				}
			}
		}
		_, err = s.Erase(w.ctx, "client-1")
		require.NoError(t, err, "the retry completes")
		var left []string
		for _, r := range w.snapshot(t, "client-1") {
			assert.True(t, r.Restricted, "%s restricted", r.Ref)
			left = append(left, r.Ref.String())
		}
		assert.Equal(t, []string{"invoice/2019-17", "invoice/2019-18"}, left, "after the retry only the two invoices are left")
		again, err := s.Erase(w.ctx, "client-1")
		require.NoError(t, err)
		assert.False(t, again.Changed())
		_, err = privacy.Verify(w.ctx, w.audit)
		require.NoError(t, err)
	}
}

// holdingStore places a hold on a record just before Steward changes it.
type holdingStore struct {
	*retention.MemoryStore
	holds  *retention.Holds
	ref    privacy.Ref
	placed bool
}

func (h *holdingStore) Update(ctx context.Context, next privacy.Record, check retention.Check, e privacy.Event) error {
	if next.Ref == h.ref && !h.placed {
		h.placed = true
		if _, err := h.holds.Place(ctx, retention.Hold{ID: "late", Matter: "claim 2021-4", Ground: retention.GroundLegalClaim, Scope: retention.RecordScope(h.ref), PlacedBy: "legal"}); err != nil {
			return err
		}
	}
	return h.MemoryStore.Update(ctx, next, check, e)
}

func TestHoldPlacedDuringErasureKeepsTheRecordWhole(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	w.clock.Set(day(2021, 6, 1))
	ref := privacy.Ref{Category: "invoice", ID: "2019-17"}
	hs := &holdingStore{MemoryStore: w.store, holds: w.s.Holds(), ref: ref}
	s, err := steward.New(hs, &steward.Options{Policy: w.s.Policy(), Consent: w.ledger, Audit: w.audit, Clock: w.clock})
	require.NoError(t, err)
	rep, err := s.Erase(w.ctx, "client-1")
	require.NoError(t, err)
	for _, it := range rep.Items {
		if it.Ref == ref {
			assert.Equal(t, steward.KeptHeld, it.Outcome)
			assert.Equal(t, []string{"claim 2021-4"}, it.Matters)
		}
	}
	r, _ := w.record(ref)
	assert.False(t, r.Restricted)
	e, _ := r.Field("email")
	assert.Equal(t, "jan@example.nl", e.Value, "untouched")
	assert.Contains(t, r.Events, steward.EventErasurePending)

	// When the hold goes, the erasure is completed.
	_, n, err := s.Release(w.ctx, "late", "legal")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	r, _ = w.record(ref)
	assert.True(t, r.Restricted)
	e, _ = r.Field("email")
	assert.Nil(t, e.Value, "minimised once the hold is released")
	assert.NotContains(t, r.Events, steward.EventErasurePending)
}

func TestSweepCompletesErasureAfterAHoldReleasedDirectly(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	_, err := w.s.Holds().Place(w.ctx, retention.Hold{ID: "h", Matter: "m", Ground: retention.GroundLaw, Scope: retention.SubjectScope("client-1"), PlacedBy: "legal"})
	require.NoError(t, err)
	w.clock.Set(day(2021, 6, 1))
	rep, err := w.s.Erase(w.ctx, "client-1")
	require.NoError(t, err)
	for _, it := range rep.Items {
		assert.Equal(t, steward.KeptHeld, it.Outcome)
	}
	_, err = w.s.Holds().Release(w.ctx, "h", "legal") // not through Steward
	require.NoError(t, err)
	sw, err := w.s.Sweep(w.ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, 4, sw.Completed, "two invoices minimised, contact and order deleted")
	left := w.snapshot(t, "client-1")
	require.Len(t, left, 2)
	for _, r := range left {
		assert.True(t, r.Restricted)
	}
}

// A Steward over sqlstore keeps its requests and archive grants in the
// database: a host that restarts finds them, and carries a request out under
// the policy it was received under.
func TestRequestsAndGrantsOutliveTheProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "steward.db")
	clock := privacy.NewSettableClock(time.Date(2024, 1, 31, 10, 0, 0, 0, ams))
	policy, err := retention.NewPolicy(retention.DutchFiscal("invoice", nil))
	require.NoError(t, err)
	start := func() (*steward.Steward, *sqlstore.Store) {
		st, err := sqlstore.Open(ctx, path, nil)
		require.NoError(t, err)
		s, err := steward.New(st, &steward.Options{Policy: policy, Clock: clock})
		require.NoError(t, err)
		return s, st
	}
	s, st := start()
	require.NoError(t, st.PutRecord(ctx, privacy.Record{Ref: privacy.Ref{Category: "invoice", ID: "2019-17"}, Subject: "client-1", Created: day(2019, 3, 15)}))
	r, err := s.Receive(ctx, "client-1", privacy.RequestErasure)
	require.NoError(t, err)
	r, err = s.Extend(ctx, r.ID, 2, "many requests at once")
	require.NoError(t, err)
	_, err = s.Archive(ctx, "client-1", "accountant@firm", day(2030, 1, 1))
	require.NoError(t, err)
	require.NoError(t, st.Close())

	s, st = start()
	defer st.Close()
	got, err := s.Request(ctx, "client-1", r.ID)
	require.NoError(t, err)
	assert.Equal(t, r.ID, got.ID)
	assert.Equal(t, 2, got.Extension)
	assert.True(t, r.Due.Equal(got.Due), "due %v, want %v", got.Due, r.Due)
	p, err := s.PolicyFor(got)
	require.NoError(t, err)
	assert.Same(t, policy, p)
	done, err := s.Complete(ctx, r.ID)
	require.NoError(t, err, "the request read back can be changed")
	assert.Equal(t, privacy.RequestCompleted, done.State)
	n := 0
	for _, err := range s.Read(ctx, "accountant@firm", steward.PurposeAccountingConsultation, "client-1") {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n, "the archive grant outlived the process")

	// A host that changed its policy since finds the request's policy among
	// the earlier ones it passes, and only there.
	changed, err := retention.NewPolicy(retention.DutchFiscal("invoice", nil), retention.DutchFiscal("receipt", nil))
	require.NoError(t, err)
	s, err = steward.New(st, &steward.Options{Policy: changed, Clock: clock})
	require.NoError(t, err)
	_, err = s.PolicyFor(got)
	assert.ErrorIs(t, err, privacy.ErrNotFound, "a policy the Steward was not given")
	s, err = steward.New(st, &steward.Options{Policy: changed, EarlierPolicies: []*retention.Policy{policy}, Clock: clock})
	require.NoError(t, err)
	p, err = s.PolicyFor(got)
	require.NoError(t, err)
	assert.Same(t, policy, p)
	_, err = steward.New(st, &steward.Options{Policy: changed, EarlierPolicies: []*retention.Policy{nil}})
	assert.ErrorIs(t, err, privacy.ErrInvalid)
}

// scanCounter is a sqlstore that counts the records its full scans yield.
type scanCounter struct {
	*sqlstore.Store
	scanned int
}

func (s *scanCounter) Scan(ctx context.Context, after privacy.Ref) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		for r, err := range s.Store.Scan(ctx, after) {
			s.scanned++
			if !yield(r, err) {
				return
			}
		}
	}
}

// Over sqlstore, Sweep finds the erasures a released hold held back through
// the store's index: it completes them without reading every record.
func TestSweepFindsHeldBackErasuresByIndex(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "steward.db"), nil)
	require.NoError(t, err)
	defer st.Close()
	store := &scanCounter{Store: st}
	clock := privacy.NewSettableClock(day(2021, 6, 1))
	policy, err := retention.NewPolicy(retention.DutchFiscal("invoice", nil))
	require.NoError(t, err)
	s, err := steward.New(store, &steward.Options{Policy: policy, Clock: clock})
	require.NoError(t, err)
	for i, sub := range []privacy.SubjectID{"client-1", "client-2"} {
		for j := range 20 {
			require.NoError(t, st.PutRecord(ctx, privacy.Record{
				Ref: privacy.Ref{Category: "order", ID: fmt.Sprintf("%d-%02d", i, j)}, Subject: sub, Created: day(2020, 1, 1),
				Fields: []privacy.Field{{Name: "email", Value: "jan@example.nl", Class: privacy.Personal}},
			}))
		}
	}
	_, err = s.Holds().Place(ctx, retention.Hold{ID: "h", Matter: "m", Ground: retention.GroundLaw, Scope: retention.SubjectScope("client-1"), PlacedBy: "legal"})
	require.NoError(t, err)
	rep, err := s.Erase(ctx, "client-1")
	require.NoError(t, err)
	require.Len(t, rep.Items, 20)
	pending := 0
	for r, err := range st.PendingErasures(ctx) {
		require.NoError(t, err)
		assert.Equal(t, privacy.SubjectID("client-1"), r.Subject)
		pending++
	}
	assert.Equal(t, 20, pending, "the held records are found as pending")

	_, err = s.Holds().Release(ctx, "h", "legal") // not through Steward
	require.NoError(t, err)
	sw, err := s.Sweep(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, 20, sw.Completed)
	assert.Zero(t, store.scanned, "no record read by a full scan")
	for range st.PendingErasures(ctx) {
		t.Fatal("an erasure is still pending")
	}
	for r, err := range st.BySubject(ctx, "client-1") {
		t.Fatalf("record %s of the erased subject is left (err %v)", r.Ref, err)
	}
	n := 0
	for range st.BySubject(ctx, "client-2") {
		n++
	}
	assert.Equal(t, 20, n, "another subject is untouched")
}
