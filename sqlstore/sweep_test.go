package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

// loadMixed loads n fixture records, the last tenth of them as orders
// rather than invoices, and returns them by ref.
func loadMixed(t testing.TB, s *sqlstore.Store, n int) map[privacy.Ref]privacy.Record {
	t.Helper()
	all := map[privacy.Ref]privacy.Record{}
	var batch []privacy.Record
	for i := range n {
		r := fixtureRecord(i)
		if i >= n-n/10 {
			r.Ref.Category = "order"
		}
		all[r.Ref] = r
		batch = append(batch, r)
		if len(batch) == 5000 || i == n-1 {
			require.NoError(t, s.PutRecords(context.Background(), batch))
			batch = batch[:0]
		}
	}
	return all
}

// checkSweep checks what every sweep must leave, however it ended: each
// record is either still there or gone with exactly one tombstone, no
// record that is there has one, and the audit log verifies.
func checkSweep(t *testing.T, s *sqlstore.Store, all map[privacy.Ref]privacy.Record) (left map[privacy.Ref]privacy.Record, tombs map[privacy.Ref]int) {
	t.Helper()
	_, err := privacy.Verify(context.Background(), s.AuditLog())
	require.NoError(t, err, "the audit log verifies")
	left = present(t, s)
	tombs, _, _ = tombstones(t, s)
	for ref := range all {
		_, there := left[ref]
		switch n := tombs[ref]; {
		case there && n > 0:
			t.Errorf("record %s is there but has %d tombstones", ref, n)
		case !there && n != 1:
			t.Errorf("record %s is gone with %d tombstones", ref, n)
		}
	}
	for ref := range left {
		if _, ok := all[ref]; !ok {
			t.Errorf("record %s appeared", ref)
		}
	}
	return left, tombs
}

// Four sweepers, each with a store of its own as four processes would
// have, sweep one database while holds of every scope are placed: no record
// is disposed of after a hold covering it was placed, every due record no
// hold covers is disposed of exactly once, and nothing else is.
func TestSweepersAndHoldsConcurrently(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			n := 20000
			if testing.Short() || raceEnabled && d.name == "SQLite" {
				n = 5000
			}
			ctx := context.Background()
			dsn := d.dsn(t)
			stores := []*sqlstore.Store{open(t, dsn), open(t, dsn), open(t, dsn), open(t, dsn)}
			all := loadMixed(t, stores[0], n)
			policy := fiscalPolicy(t, "invoice", "order")
			holds := retention.NewHolds(stores[0], &retention.HoldsOptions{Audit: stores[0].AuditLog(), Clock: privacy.NewSettableClock(sweepDay)})

			// Holds to place: subjects with due records, single due
			// records, and at last the whole category of orders; a few
			// before the sweeps start, the rest while they run.
			rng := rand.New(rand.NewPCG(1, 2))
			var toPlace []retention.Hold
			for k, i := range rng.Perm(n / perSubject)[:n/perSubject/3] {
				toPlace = append(toPlace, retention.Hold{ID: fmt.Sprintf("s%03d", k), Scope: retention.SubjectScope(fixtureSubject(i * perSubject))})
			}
			for k, i := range rng.Perm(n / 10)[:60] {
				r := fixtureRecord(i * 10)
				if i*10 >= n-n/10 {
					r.Ref.Category = "order"
				}
				toPlace = append(toPlace, retention.Hold{ID: fmt.Sprintf("r%03d", k), Scope: retention.RecordScope(r.Ref)})
			}
			toPlace = append(toPlace, retention.Hold{ID: "c-order", Scope: retention.CategoryScope("order")})
			for i := range toPlace {
				toPlace[i].Matter, toPlace[i].Ground, toPlace[i].PlacedBy = "matter "+toPlace[i].ID, retention.GroundCourtOrder, "legal"
			}
			for _, h := range toPlace[:20] {
				_, err := holds.Place(ctx, h)
				require.NoError(t, err)
			}

			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				reports []retention.Report
				done    = make(chan struct{})
				placed  atomic.Int32 // holds placed by the placer
				idle    atomic.Bool  // the placer has placed them all
			)
			// After each page a sweeper waits for the placer to place two
			// more holds, so that holds land between pages as well as
			// during them, however fast either side runs.
			pause := func(retention.Progress) {
				target := placed.Load() + 2
				for deadline := time.Now().Add(2 * time.Second); placed.Load() < target && !idle.Load() && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
			}
			for _, s := range stores {
				wg.Go(func() {
					// The plain paged walk, over every record, so that many
					// pages interleave with the holds; the candidate walk
					// shares its transaction and locks.
					sw, err := retention.NewSweeper(struct{ retention.PagedInventory }{s}, s, policy, &retention.SweeperOptions{Clock: privacy.NewSettableClock(sweepDay), Audit: s.AuditLog()})
					if !assert.NoError(t, err) {
						return
					}
					rep, err := sw.Execute(ctx, &retention.ExecuteOptions{PageSize: 500, Progress: pause})
					assert.NoError(t, err)
					mu.Lock()
					reports = append(reports, rep)
					mu.Unlock()
				})
			}
			// The placer goes on after the sweeps end; what counts is how
			// many holds it placed while they ran.
			var during atomic.Int32
			var placer sync.WaitGroup
			placer.Go(func() {
				defer idle.Store(true)
				for _, h := range toPlace[20:] {
					_, err := holds.Place(ctx, h)
					assert.NoError(t, err)
					placed.Add(1)
					select {
					case <-done:
					default:
						during.Add(1)
					}
				}
			})
			wg.Wait()
			close(done)
			placer.Wait()
			t.Logf("%d holds placed, %d of them while %d sweepers ran over %d records", len(toPlace), during.Load(), len(stores), n)
			require.GreaterOrEqual(t, during.Load(), int32(20), "holds were placed while the sweeps ran")

			left, tombs := checkSweep(t, stores[0], all)
			_, tombSeq, placedSeq := tombstones(t, stores[0])
			disposed := 0
			for _, rep := range reports {
				disposed += rep.Disposed
				assert.Empty(t, rep.Refusals)
			}
			assert.Equal(t, len(tombs), disposed, "the sweepers' reports count one disposal per tombstone")
			assert.Equal(t, n, len(left)+len(tombs))

			heldDue, lostRace := 0, 0
			for ref, r := range all {
				var covering []string
				for _, h := range toPlace {
					if h.Scope.Covers(&r) {
						covering = append(covering, h.ID)
						if seq, gone := tombSeq[ref]; gone {
							assert.Less(t, seq, placedSeq[h.ID], "record %s disposed of after hold %s was placed", ref, h.ID)
						}
					}
				}
				_, there := left[ref]
				due := r.Created.Year() == 2019
				if due && len(covering) > 0 {
					if there {
						heldDue++
					} else {
						lostRace++
					}
				}
				switch {
				case !due:
					assert.True(t, there, "record %s, not due, is kept", ref)
				case len(covering) == 0:
					assert.False(t, there, "record %s, due and not held, is disposed of", ref)
				}
			}
			t.Logf("due records covered by a hold: %d kept, %d disposed of before their hold was placed", heldDue, lostRace)
		})
	}
}

// A sweep cancelled through its context, at page boundaries, in the middle
// of a page, or at whatever moment a timer fires, leaves every record there
// or gone with its tombstone; a sweep after it finishes the work.
func TestCancelledSweep(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, d.dsn(t))
			n := 6000
			if raceEnabled && d.name == "SQLite" {
				n = 3000
			}
			all := loadMixed(t, s, n)
			sw := newSweeper(t, s, "invoice", "order")

			t.Run("between pages", func(t *testing.T) {
				// The plain paged walk, whose pages cover every record: a
				// candidate walk reads only the due ones, a page or so here.
				paged, err := retention.NewSweeper(struct{ retention.PagedInventory }{s}, s, fiscalPolicy(t, "invoice", "order"),
					&retention.SweeperOptions{Clock: privacy.NewSettableClock(sweepDay), Audit: s.AuditLog()})
				require.NoError(t, err)
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				_, err = paged.Execute(cctx, &retention.ExecuteOptions{PageSize: 1000, Progress: func(p retention.Progress) {
					if p.Scanned >= 2000 {
						cancel()
					}
				}})
				require.ErrorIs(t, err, context.Canceled)
				_, tombs := checkSweep(t, s, all)
				assert.NotEmpty(t, tombs, "the first pages were disposed of")
				assert.Less(t, len(tombs), n/10, "the sweep stopped part-way")
			})

			t.Run("in the middle of a page", func(t *testing.T) {
				_, before := checkSweep(t, s, all)
				cctx, cancel := context.WithCancel(ctx)
				_, _, err := s.DisposePage(cctx, privacy.Ref{}, 500, func(page []privacy.Record, _ [][]retention.Hold) ([]privacy.Event, error) {
					var tombs []privacy.Event
					for _, r := range page {
						tombs = append(tombs, privacy.Event{Time: sweepDay, Action: privacy.ActionDisposed, Actor: "system", Subject: r.Subject, Ref: r.Ref})
					}
					cancel()
					return tombs, nil
				})
				require.ErrorIs(t, err, context.Canceled)
				_, after := checkSweep(t, s, all)
				assert.Equal(t, len(before), len(after), "the cancelled page deleted nothing")
			})

			t.Run("when a timer fires", func(t *testing.T) {
				rng := rand.New(rand.NewPCG(3, 4))
				for range 5 {
					cctx, cancel := context.WithTimeout(ctx, time.Duration(1+rng.IntN(30))*time.Millisecond)
					_, err := sw.Execute(cctx, nil)
					cancel()
					if err != nil {
						require.ErrorIs(t, err, context.DeadlineExceeded)
					}
					checkSweep(t, s, all)
				}
			})

			t.Run("a second sweep finishes the work", func(t *testing.T) {
				_, err := sw.Execute(ctx, nil)
				require.NoError(t, err)
				left, tombs := checkSweep(t, s, all)
				assert.Len(t, tombs, n/10, "every due record is gone, once")
				for ref, r := range left {
					assert.NotEqual(t, 2019, r.Created.Year(), "due record %s is gone", ref)
				}
			})
		})
	}
}

// killingPages is a store whose second page, once decided, has the server
// kill the connections of the store, the page's own among them: a crash in
// the middle of a page's transaction, between its decision and its writes.
type killingPages struct {
	*sqlstore.Store
	kill  func() int
	pages atomic.Int32
}

func (k *killingPages) DisposeCandidatePage(ctx context.Context, category privacy.Category, before time.Time, after privacy.Ref, size int,
	decide func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	return k.Store.DisposeCandidatePage(ctx, category, before, after, size, func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error) {
		events, err := decide(page, holds)
		if k.pages.Add(1) == 2 {
			k.kill()
		}
		return events, err
	})
}

// A PostgreSQL connection killed by the server in the middle of a sweep is
// a crash as far as the transaction is concerned: it is rolled back whole,
// and a second sweep finishes the work.
func TestSweepConnectionKilled(t *testing.T) {
	ctx := context.Background()
	dsn := postgresSchema(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("application_name", "steward-kill-"+q.Get("search_path"))
	u.RawQuery = q.Encode()
	s := open(t, u.String())
	all := loadMixed(t, s, 20000)

	admin, err := sql.Open("pgx", postgresDSN(t))
	require.NoError(t, err)
	defer admin.Close()
	killed := 0
	inv := &killingPages{Store: s, kill: func() int {
		var k int
		// On a page's goroutine: assert, which does not stop it.
		assert.NoError(t, admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
			q.Get("application_name")).Scan(&k))
		killed += k
		return k
	}}
	sw, err := retention.NewSweeper(inv, s, fiscalPolicy(t, "invoice", "order"), &retention.SweeperOptions{
		Clock: privacy.NewSettableClock(sweepDay), Audit: s.AuditLog(),
	})
	require.NoError(t, err)
	rep, err := sw.Execute(ctx, &retention.ExecuteOptions{PageSize: 300})
	require.Error(t, err, "the sweep whose connection was killed fails")
	require.Positive(t, killed, "the page's connection was killed")
	assert.Less(t, rep.Disposed, 20000/10, "the sweep stopped part-way")
	checkSweep(t, s, all)

	_, err = sw.Execute(ctx, nil)
	require.NoError(t, err)
	_, tombs := checkSweep(t, s, all)
	assert.Len(t, tombs, 20000/10)
}

// A hold placed while a page is being decided waits for the page to end,
// and the next page sees it.
func TestHoldPlacedDuringPageWaitsForIt(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := d.dsn(t)
			s, other := open(t, dsn), open(t, dsn)
			load(t, s, 0, 20)
			deciding, release := make(chan struct{}), make(chan struct{})
			putDone := make(chan time.Time, 1)
			var wg sync.WaitGroup
			var decided time.Time
			wg.Go(func() {
				_, _, err := s.DisposePage(ctx, privacy.Ref{}, 10, func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error) {
					close(deciding)
					<-release
					decided = time.Now()
					return nil, nil
				})
				assert.NoError(t, err)
			})
			<-deciding
			wg.Go(func() {
				err := other.Put(ctx, retention.Hold{ID: "late", Matter: "m", Ground: retention.GroundLaw, Scope: retention.SubjectScope(fixtureSubject(0)), PlacedBy: "legal", PlacedAt: sweepDay})
				assert.NoError(t, err)
				putDone <- time.Now()
			})
			select {
			case <-putDone:
				t.Fatal("the hold was stored while the page was being decided")
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			wg.Wait()
			assert.True(t, (<-putDone).After(decided), "the hold was stored after the page ended")
			_, _, err := s.DisposePage(ctx, privacy.Ref{}, 10, func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error) {
				for i := range page {
					assert.Len(t, holds[i], 1, "record %s is covered by the hold", page[i].Ref)
				}
				return nil, nil
			})
			require.NoError(t, err)
		})
	}
}

// Two PostgreSQL sweepers never get the same record: a page passes over
// records another transaction has locked.
func TestDisposePageSkipsLockedRecords(t *testing.T) {
	ctx := context.Background()
	dsn := postgresSchema(t)
	s := open(t, dsn)
	load(t, s, 0, 10)
	tx, err := s.DB().BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `SELECT 1 FROM records WHERE id IN ('0000002', '0000003') FOR UPDATE`)
	require.NoError(t, err)
	var got []string
	_, n, err := open(t, dsn).DisposePage(ctx, privacy.Ref{}, 5, func(page []privacy.Record, _ [][]retention.Hold) ([]privacy.Event, error) {
		for _, r := range page {
			got = append(got, r.Ref.ID)
		}
		return nil, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Equal(t, []string{"0000000", "0000001", "0000004", "0000005", "0000006"}, got)
}

// A decide error comes back unchanged and the page changes nothing.
func TestDisposePageDecideError(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			s := open(t, d.dsn(t))
			load(t, s, 0, 5)
			boom := errors.New("boom")
			_, _, err := s.DisposePage(context.Background(), privacy.Ref{}, 5, func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, error) {
				return nil, boom
			})
			assert.Same(t, boom, err)
			assert.Len(t, present(t, s), 5)
		})
	}
}
