package steward_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

var errInjected = errors.New("injected fault")

// faulty wraps the memory store and fails the nth call to any of the methods
// Steward and the sweeper use; it counts every call.
type faulty struct {
	*retention.MemoryStore
	mu    sync.Mutex
	n     int
	calls int
}

func (f *faulty) fail() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.calls == f.n
}

func failingSeq[T any](f *faulty, seq iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if f.fail() {
			var zero T
			yield(zero, errInjected)
			return
		}
		for v, err := range seq {
			if !yield(v, err) {
				return
			}
		}
	}
}

func (f *faulty) BySubject(ctx context.Context, s privacy.SubjectID) iter.Seq2[privacy.Record, error] {
	return failingSeq(f, f.MemoryStore.BySubject(ctx, s))
}

func (f *faulty) Scan(ctx context.Context, after privacy.Ref) iter.Seq2[privacy.Record, error] {
	return failingSeq(f, f.MemoryStore.Scan(ctx, after))
}

func (f *faulty) Active(ctx context.Context) iter.Seq2[retention.Hold, error] {
	return failingSeq(f, f.MemoryStore.Active(ctx))
}

func (f *faulty) Update(ctx context.Context, next privacy.Record, check retention.Check, e privacy.Event) error {
	if f.fail() {
		return errInjected
	}
	return f.MemoryStore.Update(ctx, next, check, e)
}

func (f *faulty) Dispose(ctx context.Context, ref privacy.Ref, check retention.Check, tomb privacy.Event) error {
	if f.fail() {
		return errInjected
	}
	return f.MemoryStore.Dispose(ctx, ref, check, tomb)
}

func (f *faulty) Covering(ctx context.Context, s privacy.SubjectID, ref privacy.Ref) ([]retention.Hold, error) {
	if f.fail() {
		return nil, errInjected
	}
	return f.MemoryStore.Covering(ctx, s, ref)
}

func (f *faulty) Put(ctx context.Context, h retention.Hold) error {
	if f.fail() {
		return errInjected
	}
	return f.MemoryStore.Put(ctx, h)
}

// paged adds the paged fast path to the faulty store.
type faultyPaged struct{ *faulty }

func (f faultyPaged) DisposePage(ctx context.Context, after privacy.Ref, size int,
	decide func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	if f.fail() {
		return privacy.Ref{}, 0, errInjected
	}
	return f.MemoryStore.DisposePage(ctx, after, size, decide)
}

// scenario runs the statement's lifecycle through s, retrying each operation
// until it succeeds and checking the invariants after every failed attempt.
func scenario(t *testing.T, w *world, s *steward.Steward, check func()) {
	ctx := context.Background()
	retry := func(name string, op func() error) {
		for attempt := 1; ; attempt++ {
			err := op()
			if err == nil {
				return
			}
			require.ErrorIs(t, err, errInjected, "%s: only injected faults", name)
			require.Less(t, attempt, 50, "%s keeps failing", name)
			check()
		}
	}
	hold := retention.Hold{ID: "h", Matter: "m", Ground: retention.GroundCourtOrder, Scope: retention.RecordScope(privacy.Ref{Category: "invoice", ID: "2019-18"}), PlacedBy: "legal"}
	retry("hold", func() error {
		_, err := s.Holds().Place(ctx, hold)
		if errors.Is(err, privacy.ErrConflict) {
			return nil // placed by an attempt whose audit write failed
		}
		return err
	})
	w.clock.Set(day(2021, 6, 1))
	retry("terminate", func() error { _, err := s.Terminate(ctx, "client-2", w.clock.Now()); return err })
	retry("rectify", func() error {
		_, err := s.Rectify(ctx, "client-2", privacy.Ref{Category: "contact", ID: "c-2"}, []privacy.Field{{Name: "email", Value: "new@example.nl"}})
		return err
	})
	retry("erase", func() error { _, err := s.Erase(ctx, "client-1"); return err })
	for _, at := range []time.Time{day(2023, 6, 1), day(2027, 1, 1), day(2028, 1, 1)} {
		w.clock.Set(at)
		retry("sweep", func() error {
			rep, err := s.Sweep(ctx, nil)
			if err == nil && len(rep.Refusals) > 0 {
				for _, r := range rep.Refusals {
					require.ErrorIs(t, r.Err, errInjected)
				}
				return errInjected // some records were refused for the fault: sweep again
			}
			return err
		})
	}
}

// TestEveryOperationSurvivesFaults: with a store failing its nth call, for
// every n the scenario makes, each operation either completes or leaves every
// record untouched or fully handled, and a retry completes it; the end state
// is that of a run without faults.
func TestEveryOperationSurvivesFaults(t *testing.T) {
	want := func() []privacy.Record {
		w := newWorld(t)
		w.clients(t)
		scenario(t, w, w.s, func() {})
		return w.snapshot(t, "client-1")
	}()
	require.NotEmpty(t, want)
	for _, paged := range []bool{false, true} {
		calls := 0 // how many calls the scenario makes without faults
		for n := 1; n == 1 || n <= calls; n++ {
			t.Run(fmt.Sprintf("call %d fails, paged %v", n, paged), func(t *testing.T) {
				w := newWorld(t)
				w.clients(t)
				f := &faulty{MemoryStore: w.store, n: n}
				var records steward.Records = f
				if paged {
					records = faultyPaged{f}
				}
				s, err := steward.New(records, &steward.Options{Policy: w.s.Policy(), Consent: w.ledger, Audit: w.audit, Clock: w.clock, Holds: f})
				require.NoError(t, err)
				check := func() {
					_, err := privacy.Verify(w.ctx, w.audit)
					require.NoError(t, err)
					tombs := 0
					for e, err := range w.audit.Events(w.ctx, 0) {
						require.NoError(t, err)
						if e.Action == privacy.ActionDisposed {
							tombs++
						}
					}
					gone := 6 - w.store.Len()
					require.Equal(t, gone, tombs, "every record gone has its one tombstone")
					for _, r := range w.snapshot(t, "client-1") {
						e, _ := r.Field("email")
						if r.Restricted {
							assert.Nil(t, e.Value, "%s restricted and masked together", r.Ref)
						} else if r.Ref.ID == "2019-17" {
							assert.NotNil(t, e.Value, "%s untouched", r.Ref)
						}
					}
					_, ok := w.record(privacy.Ref{Category: "invoice", ID: "2019-18"})
					require.True(t, ok, "the held invoice is never gone")
				}
				scenario(t, w, s, check)
				check()
				if n == 1 {
					calls = f.calls
				}
				got := w.snapshot(t, "client-1")
				assert.Empty(t, cmp.Diff(stripTimes(want), stripTimes(got)), "the same end state as without faults")
			})
		}
	}
}

// stripTimes drops the instants of steward's own marker events, which
// differ between runs that retried at different moments.
func stripTimes(recs []privacy.Record) []privacy.Record {
	out := make([]privacy.Record, len(recs))
	for i, r := range recs {
		r = r.Clone()
		for k := range r.Events {
			r.Events[k] = time.Time{}
		}
		out[i] = r
	}
	return out
}
