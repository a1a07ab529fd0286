package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

var recordBase = time.Date(2019, 3, 15, 9, 30, 0, 0, time.UTC)

func testRecord(cat privacy.Category, id string, subject privacy.SubjectID) privacy.Record {
	return privacy.Record{
		Ref: privacy.Ref{Category: cat, ID: id}, Subject: subject, Created: recordBase,
		Events: map[string]time.Time{privacy.EventContractEnded: recordBase.AddDate(1, 0, 0)},
		Fields: []privacy.Field{
			{Name: "number", Value: id},
			{Name: "amount", Value: int64(12100)},
			{Name: "rate", Value: 0.21},
			{Name: "paid", Value: true},
			{Name: "due", Value: recordBase.AddDate(0, 1, 0)},
			{Name: "note", Value: nil},
			{Name: "name", Value: "Jan de Vries", Class: privacy.Personal},
			{Name: "health", Value: "n/a", Class: privacy.Special},
		},
		Restricted: id == "restricted",
	}
}

// sameRecord compares records with times compared by instant and a nil event
// map equal to an empty one.
var sameRecord = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Transformer("events", func(m map[string]time.Time) map[string]time.Time {
		if m == nil {
			return map[string]time.Time{}
		}
		return m
	}),
}

var errRefused = errors.New("refused by check")

func approve(privacy.Record, []retention.Hold) error { return nil }

func tombFor(r privacy.Record) privacy.Event {
	return privacy.Event{Time: recordBase, Action: privacy.ActionDisposed, Actor: "system", Subject: r.Subject, Ref: r.Ref, Reason: "test"}
}

// RunInventory checks that the inventories newInventory makes keep the
// contract of retention.Inventory.
func RunInventory(t *testing.T, newInventory func(t *testing.T) Inventory) {
	t.Helper()
	ctx := context.Background()
	fill := func(t *testing.T, inv Inventory, recs ...privacy.Record) {
		for _, r := range recs {
			require.NoError(t, inv.Add(ctx, r))
		}
	}
	scan := func(t *testing.T, inv Inventory, after privacy.Ref) []privacy.Record {
		var out []privacy.Record
		for r, err := range inv.Scan(ctx, after) {
			require.NoError(t, err)
			out = append(out, r)
		}
		return out
	}
	refs := func(rs []privacy.Record) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.Ref.String())
		}
		return out
	}
	tombstones := func(t *testing.T, inv Inventory) []privacy.Event {
		var out []privacy.Event
		for e, err := range inv.Audit.Events(ctx, 0) {
			require.NoError(t, err)
			if e.Action == privacy.ActionDisposed {
				out = append(out, e)
			}
		}
		return out
	}
	exists := func(t *testing.T, inv Inventory, ref privacy.Ref) bool {
		for r, err := range inv.Scan(ctx, privacy.Ref{}) {
			require.NoError(t, err)
			if r.Ref == ref {
				return true
			}
		}
		return false
	}
	cases := []struct {
		rule  string
		check func(t *testing.T, inv Inventory)
	}{
		{"scan yields every record once, in ref order", func(t *testing.T, inv Inventory) {
			fill(t, inv, testRecord("order", "2", "a"), testRecord("invoice", "b", "a"), testRecord("invoice", "a", "b"), testRecord("order", "10", "c"))
			assert.Equal(t, []string{"invoice/a", "invoice/b", "order/10", "order/2"}, refs(scan(t, inv, privacy.Ref{})))
		}},
		{"a record reads back equal, every value type and class", func(t *testing.T, inv Inventory) {
			want := testRecord("invoice", "restricted", "a")
			fill(t, inv, want)
			got := scan(t, inv, privacy.Ref{})
			require.Len(t, got, 1)
			assert.Empty(t, cmp.Diff(want, got[0], sameRecord))
		}},
		{"scan after a ref starts just after it", func(t *testing.T, inv Inventory) {
			fill(t, inv, testRecord("invoice", "1", "a"), testRecord("invoice", "2", "a"), testRecord("invoice", "3", "a"))
			assert.Equal(t, []string{"invoice/3"}, refs(scan(t, inv, privacy.Ref{Category: "invoice", ID: "2"})))
			assert.Equal(t, []string{"invoice/2", "invoice/3"}, refs(scan(t, inv, privacy.Ref{Category: "invoice", ID: "1x"})), "the ref need not exist")
		}},
		{"scan walks more records than fit one page", func(t *testing.T, inv Inventory) {
			for i := range 600 {
				fill(t, inv, testRecord("invoice", fmt.Sprintf("%04d", i), "a"))
			}
			got := scan(t, inv, privacy.Ref{})
			require.Len(t, got, 600)
			assert.Equal(t, "invoice/0599", got[599].Ref.String())
		}},
		{"scan stops when the caller breaks early", func(t *testing.T, inv Inventory) {
			fill(t, inv, testRecord("invoice", "1", "a"), testRecord("invoice", "2", "a"))
			for r, err := range inv.Scan(ctx, privacy.Ref{}) {
				require.NoError(t, err)
				require.NoError(t, inv.Dispose(ctx, r.Ref, approve, tombFor(r)), "disposing while a scan is open")
				break
			}
			assert.Len(t, scan(t, inv, privacy.Ref{}), 1)
		}},
		{"a cancelled context stops scan with the context error", func(t *testing.T, inv Inventory) {
			fill(t, inv, testRecord("invoice", "1", "a"))
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			var last error
			for _, err := range inv.Scan(cctx, privacy.Ref{}) {
				last = err
			}
			assert.ErrorIs(t, last, context.Canceled)
		}},
		{"changing a scanned record does not change the store", func(t *testing.T, inv Inventory) {
			fill(t, inv, testRecord("invoice", "1", "a"))
			got := scan(t, inv, privacy.Ref{})
			got[0].Fields[0].Value = "changed"
			got[0].Events["x"] = recordBase
			again := scan(t, inv, privacy.Ref{})
			assert.Equal(t, "1", again[0].Fields[0].Value)
			assert.NotContains(t, again[0].Events, "x")
		}},
		{"dispose deletes an approved record and writes its one tombstone", func(t *testing.T, inv Inventory) {
			r := testRecord("invoice", "1", "a")
			fill(t, inv, r, testRecord("invoice", "2", "a"))
			require.NoError(t, inv.Dispose(ctx, r.Ref, approve, tombFor(r)))
			assert.False(t, exists(t, inv, r.Ref))
			assert.True(t, exists(t, inv, privacy.Ref{Category: "invoice", ID: "2"}))
			tombs := tombstones(t, inv)
			require.Len(t, tombs, 1)
			assert.Equal(t, r.Ref, tombs[0].Ref)
			assert.Equal(t, r.Subject, tombs[0].Subject)
		}},
		{"dispose shows check the record as stored", func(t *testing.T, inv Inventory) {
			r := testRecord("invoice", "1", "a")
			fill(t, inv, r)
			var seen privacy.Record
			err := inv.Dispose(ctx, r.Ref, func(cur privacy.Record, _ []retention.Hold) error {
				seen = cur
				return errRefused
			}, tombFor(r))
			assert.ErrorIs(t, err, errRefused)
			assert.Empty(t, cmp.Diff(r, seen, sameRecord))
		}},
		{"a refused disposal changes nothing and writes no tombstone", func(t *testing.T, inv Inventory) {
			r := testRecord("invoice", "1", "a")
			fill(t, inv, r)
			err := inv.Dispose(ctx, r.Ref, func(privacy.Record, []retention.Hold) error { return errRefused }, tombFor(r))
			assert.ErrorIs(t, err, errRefused, "check's error comes back unchanged")
			assert.True(t, exists(t, inv, r.Ref))
			assert.Empty(t, tombstones(t, inv))
		}},
		{"disposing of a missing record is not found", func(t *testing.T, inv Inventory) {
			r := testRecord("invoice", "1", "a")
			err := inv.Dispose(ctx, r.Ref, approve, tombFor(r))
			assert.ErrorIs(t, err, privacy.ErrNotFound)
			assert.Empty(t, tombstones(t, inv))
		}},
		{"dispose shows check every active hold covering the record, and only those", func(t *testing.T, inv Inventory) {
			r := testRecord("invoice", "1", "client-1")
			fill(t, inv, r)
			for _, h := range []retention.Hold{
				testHold("subject", retention.SubjectScope("client-1")),
				testHold("category", retention.CategoryScope("invoice")),
				testHold("record", retention.RecordScope(r.Ref)),
				testHold("elsewhere", retention.SubjectScope("client-2")),
				testHold("released", retention.RecordScope(r.Ref)),
			} {
				require.NoError(t, inv.Holds.Put(ctx, h))
			}
			_, err := inv.Holds.Release(ctx, "released", "legal", holdBase)
			require.NoError(t, err)
			var seen []retention.Hold
			err = inv.Dispose(ctx, r.Ref, func(_ privacy.Record, hs []retention.Hold) error {
				seen = hs
				return errRefused
			}, tombFor(r))
			assert.ErrorIs(t, err, errRefused)
			assert.Equal(t, []string{"category", "record", "subject"}, holdIDs(seen))
		}},
		{"a hold placed just before dispose wins", func(t *testing.T, inv Inventory) {
			r := testRecord("invoice", "1", "client-1")
			fill(t, inv, r)
			holdsFirst := func(_ privacy.Record, hs []retention.Hold) error {
				if len(hs) > 0 {
					return privacy.ErrHeld
				}
				return nil
			}
			require.NoError(t, inv.Holds.Put(ctx, testHold("late", retention.SubjectScope("client-1"))))
			err := inv.Dispose(ctx, r.Ref, holdsFirst, tombFor(r))
			assert.ErrorIs(t, err, privacy.ErrHeld)
			assert.True(t, exists(t, inv, r.Ref))
		}},
		{"concurrent disposals of one record: one deletes, the rest find it gone", func(t *testing.T, inv Inventory) {
			r := testRecord("invoice", "1", "a")
			fill(t, inv, r)
			var ok, gone atomic.Int32
			var wg sync.WaitGroup
			for range 6 {
				wg.Go(func() {
					err := inv.Dispose(ctx, r.Ref, approve, tombFor(r))
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, privacy.ErrNotFound):
						gone.Add(1)
					default:
						t.Errorf("unexpected error: %v", err)
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int32(1), ok.Load())
			assert.Equal(t, int32(5), gone.Load())
			assert.Len(t, tombstones(t, inv), 1)
		}},
		{"holds placed while records are disposed of are never ignored", func(t *testing.T, inv Inventory) {
			const n = 40
			for i := range n {
				fill(t, inv, testRecord("invoice", fmt.Sprintf("%02d", i), privacy.SubjectID(fmt.Sprintf("s%02d", i))))
			}
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := 0; i < n; i += 2 {
					assert.NoError(t, inv.Holds.Put(ctx, testHold(fmt.Sprintf("h%02d", i), retention.SubjectScope(privacy.SubjectID(fmt.Sprintf("s%02d", i))))))
				}
			})
			refusingHeld := func(_ privacy.Record, hs []retention.Hold) error {
				if len(hs) > 0 {
					return privacy.ErrHeld
				}
				return nil
			}
			for i := range n {
				r := testRecord("invoice", fmt.Sprintf("%02d", i), "")
				err := inv.Dispose(ctx, r.Ref, refusingHeld, tombFor(r))
				if err != nil {
					assert.ErrorIs(t, err, privacy.ErrHeld)
				}
			}
			wg.Wait()
			// Every record that remains is held or was refused for a hold;
			// every record gone had no hold when it went, and has a tombstone.
			left := map[string]bool{}
			for _, r := range scan(t, inv, privacy.Ref{}) {
				left[r.Ref.ID] = true
			}
			assert.Len(t, tombstones(t, inv), n-len(left))
			for i := 1; i < n; i += 2 {
				assert.False(t, left[fmt.Sprintf("%02d", i)], "unheld record %02d is gone", i)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) { c.check(t, newInventory(t)) })
	}
	for _, c := range pagedCases(fill, scan, refs, tombstones) {
		t.Run(c.rule, func(t *testing.T) {
			inv := newInventory(t)
			if _, ok := inv.Inventory.(retention.PagedInventory); !ok {
				t.Skip("the inventory has no PagedInventory fast path")
			}
			c.check(t, inv)
		})
	}
	t.Run("the paged fast path disposes of exactly what the record-at-a-time path does", func(t *testing.T) {
		fast, slow := newInventory(t), newInventory(t)
		if _, ok := fast.Inventory.(retention.PagedInventory); !ok {
			t.Skip("the inventory has no PagedInventory fast path")
		}
		results := make([][]string, 2)
		for i, inv := range []Inventory{fast, slow} {
			var sweepInv retention.Inventory = inv.Inventory
			if i == 1 {
				sweepInv = struct{ retention.Inventory }{inv.Inventory} // hides the fast path
			}
			results[i] = sweepScenario(t, inv, sweepInv)
		}
		assert.Equal(t, results[1], results[0])
	})
}

// sweepScenario fills inv with 2,500 invoices of 2019 and 2024 and a few holds,
// sweeps it at 1 January 2027 through sweepInv, and returns the refs left.
func sweepScenario(t *testing.T, inv Inventory, sweepInv retention.Inventory) []string {
	ctx := context.Background()
	for i := range 2500 {
		r := testRecord("invoice", fmt.Sprintf("%05d", i), privacy.SubjectID(fmt.Sprintf("s%03d", i%300)))
		r.Created = time.Date(2019+5*(i%2), 6, 1, 0, 0, 0, 0, time.UTC)
		require.NoError(t, inv.Add(ctx, r))
	}
	for _, h := range []retention.Hold{
		testHold("subject", retention.SubjectScope("s008")),
		testHold("record", retention.RecordScope(privacy.Ref{Category: "invoice", ID: "01000"})),
	} {
		require.NoError(t, inv.Holds.Put(ctx, h))
	}
	policy, err := retention.NewPolicy(retention.DutchFiscal("invoice", nil))
	require.NoError(t, err)
	clock := privacy.NewSettableClock(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := retention.NewSweeper(sweepInv, inv.Holds, policy, &retention.SweeperOptions{Clock: clock})
	require.NoError(t, err)
	rep, err := s.Execute(ctx, nil)
	require.NoError(t, err)
	// 1,250 made in 2019 (even i); subject s008 has 9 of them (i = 8 + 300k),
	// and record 01000 (subject s100) is another.
	assert.Equal(t, 1250-9-1, rep.Disposed)
	var left []string
	for r, err := range inv.Scan(ctx, privacy.Ref{}) {
		require.NoError(t, err)
		left = append(left, r.Ref.ID)
	}
	n := 0
	for e, err := range inv.Audit.Events(ctx, 0) {
		require.NoError(t, err)
		if e.Action == privacy.ActionDisposed {
			n++
		}
	}
	assert.Equal(t, rep.Disposed, n, "one tombstone per disposal")
	return left
}

type inventoryCase struct {
	rule  string
	check func(t *testing.T, inv Inventory)
}

func pagedCases(
	fill func(*testing.T, Inventory, ...privacy.Record),
	scan func(*testing.T, Inventory, privacy.Ref) []privacy.Record,
	refs func([]privacy.Record) []string,
	tombstones func(*testing.T, Inventory) []privacy.Event,
) []inventoryCase {
	ctx := context.Background()
	paged := func(inv Inventory) retention.PagedInventory { return inv.Inventory.(retention.PagedInventory) }
	five := func(t *testing.T, inv Inventory) {
		for i := range 5 {
			fill(t, inv, testRecord("invoice", fmt.Sprint(i), privacy.SubjectID(fmt.Sprintf("s%d", i))))
		}
	}
	return []inventoryCase{
		{"a page holds up to size records after the given ref, in ref order", func(t *testing.T, inv Inventory) {
			five(t, inv)
			var seen []string
			last, n, err := paged(inv).DisposePage(ctx, privacy.Ref{Category: "invoice", ID: "0"}, 3, func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error) {
				seen = refs(page)
				assert.Len(t, holds, len(page))
				return nil, nil
			})
			require.NoError(t, err)
			assert.Equal(t, []string{"invoice/1", "invoice/2", "invoice/3"}, seen)
			assert.Equal(t, 3, n)
			assert.Equal(t, privacy.Ref{Category: "invoice", ID: "3"}, last)
			_, n, err = paged(inv).DisposePage(ctx, privacy.Ref{Category: "invoice", ID: "4"}, 3, func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, error) {
				t.Error("decide called for an empty page")
				return nil, nil
			})
			require.NoError(t, err)
			assert.Zero(t, n, "past the last record the page is empty")
		}},
		{"a page's records are as stored but for their fields, which may be left out", func(t *testing.T, inv Inventory) {
			want := []privacy.Record{testRecord("invoice", "a", "s1"), testRecord("invoice", "restricted", "s2"), testRecord("order", "b", "s1")}
			want[1].Created = time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC)
			want[2].Events = nil
			fill(t, inv, want...)
			var got []privacy.Record
			_, _, err := paged(inv).DisposePage(ctx, privacy.Ref{}, 10, func(page []privacy.Record, _ [][]retention.Hold) ([]privacy.Event, error) {
				for _, r := range page {
					got = append(got, r.Clone())
				}
				return nil, nil
			})
			require.NoError(t, err)
			require.Len(t, got, len(want))
			for i := range want {
				if got[i].Fields == nil {
					want[i].Fields = nil
				}
				assert.Empty(t, cmp.Diff(want[i], got[i], sameRecord), "(-stored +in the page)")
			}
		}},
		{"a page deletes the records its tombstones name and appends every event in order", func(t *testing.T, inv Inventory) {
			five(t, inv)
			_, _, err := paged(inv).DisposePage(ctx, privacy.Ref{}, 10, func(page []privacy.Record, _ [][]retention.Hold) ([]privacy.Event, error) {
				return []privacy.Event{
					tombFor(page[1]),
					{Time: recordBase, Action: privacy.ActionBypass, Actor: "dpo", Ref: page[1].Ref, Reason: "DPIA-1"},
					tombFor(page[3]),
				}, nil
			})
			require.NoError(t, err)
			assert.Equal(t, []string{"invoice/0", "invoice/2", "invoice/4"}, refs(scan(t, inv, privacy.Ref{})))
			var actions []privacy.Action
			for e, err := range inv.Audit.Events(ctx, 0) {
				require.NoError(t, err)
				actions = append(actions, e.Action)
			}
			assert.Equal(t, []privacy.Action{privacy.ActionDisposed, privacy.ActionBypass, privacy.ActionDisposed}, actions)
		}},
		{"a page whose decision fails changes nothing", func(t *testing.T, inv Inventory) {
			five(t, inv)
			_, _, err := paged(inv).DisposePage(ctx, privacy.Ref{}, 10, func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, error) {
				return nil, errRefused
			})
			assert.ErrorIs(t, err, errRefused)
			assert.Len(t, scan(t, inv, privacy.Ref{}), 5)
			assert.Empty(t, tombstones(t, inv))
		}},
		{"a page shows each record's active covering holds", func(t *testing.T, inv Inventory) {
			five(t, inv)
			require.NoError(t, inv.Holds.Put(ctx, testHold("s2", retention.SubjectScope("s2"))))
			require.NoError(t, inv.Holds.Put(ctx, testHold("cat", retention.CategoryScope("order"))))
			require.NoError(t, inv.Holds.Put(ctx, testHold("r4", retention.RecordScope(privacy.Ref{Category: "invoice", ID: "4"}))))
			_, _, err := paged(inv).DisposePage(ctx, privacy.Ref{}, 10, func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error) {
				got := map[string][]string{}
				for i, r := range page {
					if len(holds[i]) > 0 {
						got[r.Ref.ID] = holdIDs(holds[i])
					}
				}
				assert.Equal(t, map[string][]string{"2": {"s2"}, "4": {"r4"}}, got)
				return nil, nil
			})
			require.NoError(t, err)
		}},
		{"concurrent paged sweeps dispose of every due record exactly once", func(t *testing.T, inv Inventory) {
			for i := range 1200 {
				fill(t, inv, testRecord("invoice", fmt.Sprintf("%04d", i), "a"))
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					after := privacy.Ref{}
					for {
						last, n, err := paged(inv).DisposePage(ctx, after, 100, func(page []privacy.Record, _ [][]retention.Hold) ([]privacy.Event, error) {
							var tombs []privacy.Event
							for _, r := range page {
								tombs = append(tombs, tombFor(r))
							}
							return tombs, nil
						})
						if !assert.NoError(t, err) || n == 0 {
							return
						}
						after = last
					}
				})
			}
			wg.Wait()
			assert.Empty(t, scan(t, inv, privacy.Ref{}))
			tombs := tombstones(t, inv)
			assert.Len(t, tombs, 1200)
			seen := map[privacy.Ref]bool{}
			for _, e := range tombs {
				assert.False(t, seen[e.Ref], "two tombstones for %s", e.Ref)
				seen[e.Ref] = true
			}
		}},
	}
}
