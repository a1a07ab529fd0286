package storetest

import (
	"context"
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

var holdBase = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func testHold(id string, scope retention.Scope) retention.Hold {
	return retention.Hold{ID: id, Matter: "matter " + id, Ground: retention.GroundCourtOrder, Scope: scope, PlacedBy: "legal", PlacedAt: holdBase}
}

// sameHold compares holds with times compared by instant.
var sameHold = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func holdIDs(hs []retention.Hold) []string {
	ids := []string{}
	for _, h := range hs {
		ids = append(ids, h.ID)
	}
	return ids
}

// RunHoldStore checks that the stores newStore makes keep the contract of
// retention.HoldStore.
func RunHoldStore(t *testing.T, newStore func(t *testing.T) retention.HoldStore) {
	t.Helper()
	ctx := context.Background()
	invoice7 := privacy.Ref{Category: "invoice", ID: "7"}
	active := func(t *testing.T, s retention.HoldStore) []retention.Hold {
		var out []retention.Hold
		for h, err := range s.Active(ctx) {
			require.NoError(t, err)
			out = append(out, h)
		}
		return out
	}
	cases := []struct {
		rule  string
		check func(t *testing.T, s retention.HoldStore)
	}{
		{"a stored hold reads back equal", func(t *testing.T, s retention.HoldStore) {
			for _, h := range []retention.Hold{
				testHold("s", retention.SubjectScope("client-1")),
				testHold("c", retention.CategoryScope("invoice")),
				testHold("r", retention.RecordScope(invoice7)),
			} {
				require.NoError(t, s.Put(ctx, h))
				got, err := s.Get(ctx, h.ID)
				require.NoError(t, err)
				assert.Empty(t, cmp.Diff(h, got, sameHold))
			}
		}},
		{"putting an existing ID is a conflict", func(t *testing.T, s retention.HoldStore) {
			require.NoError(t, s.Put(ctx, testHold("h", retention.SubjectScope("a"))))
			err := s.Put(ctx, testHold("h", retention.SubjectScope("b")))
			assert.ErrorIs(t, err, privacy.ErrConflict)
			got, err := s.Get(ctx, "h")
			require.NoError(t, err)
			assert.Equal(t, privacy.SubjectID("a"), got.Scope.Subject, "the first hold is kept")
		}},
		{"an unknown ID is not found", func(t *testing.T, s retention.HoldStore) {
			_, err := s.Get(ctx, "nope")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
			_, err = s.Release(ctx, "nope", "legal", holdBase)
			assert.ErrorIs(t, err, privacy.ErrNotFound)
		}},
		{"release records who and when, and ends the hold", func(t *testing.T, s retention.HoldStore) {
			require.NoError(t, s.Put(ctx, testHold("h", retention.SubjectScope("a"))))
			at := holdBase.Add(48 * time.Hour)
			got, err := s.Release(ctx, "h", "legal-2", at)
			require.NoError(t, err)
			assert.Equal(t, "legal-2", got.ReleasedBy)
			assert.True(t, at.Equal(got.ReleasedAt))
			stored, err := s.Get(ctx, "h")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(got, stored, sameHold))
			assert.Empty(t, active(t, s))
		}},
		{"releasing a released hold is a conflict", func(t *testing.T, s retention.HoldStore) {
			require.NoError(t, s.Put(ctx, testHold("h", retention.SubjectScope("a"))))
			_, err := s.Release(ctx, "h", "legal", holdBase.Add(time.Hour))
			require.NoError(t, err)
			_, err = s.Release(ctx, "h", "other", holdBase.Add(2*time.Hour))
			assert.ErrorIs(t, err, privacy.ErrConflict)
			got, err := s.Get(ctx, "h")
			require.NoError(t, err)
			assert.Equal(t, "legal", got.ReleasedBy, "the first release stands")
		}},
		{"active yields active holds in ID order", func(t *testing.T, s retention.HoldStore) {
			for _, id := range []string{"c", "a", "d", "b"} {
				require.NoError(t, s.Put(ctx, testHold(id, retention.SubjectScope("x"))))
			}
			_, err := s.Release(ctx, "d", "legal", holdBase)
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "b", "c"}, holdIDs(active(t, s)))
		}},
		{"active stops when the caller breaks early", func(t *testing.T, s retention.HoldStore) {
			for i := range 5 {
				require.NoError(t, s.Put(ctx, testHold(fmt.Sprint(i), retention.SubjectScope("x"))))
			}
			n := 0
			for _, err := range s.Active(ctx) {
				require.NoError(t, err)
				n++
				break
			}
			assert.Equal(t, 1, n)
			require.NoError(t, s.Put(ctx, testHold("after", retention.SubjectScope("x"))), "the store is usable after an early break")
		}},
		{"covering finds subject, category and record holds and nothing else", func(t *testing.T, s retention.HoldStore) {
			for _, h := range []retention.Hold{
				testHold("subject", retention.SubjectScope("client-1")),
				testHold("other-subject", retention.SubjectScope("client-2")),
				testHold("category", retention.CategoryScope("invoice")),
				testHold("other-category", retention.CategoryScope("order")),
				testHold("record", retention.RecordScope(invoice7)),
				testHold("other-record", retention.RecordScope(privacy.Ref{Category: "invoice", ID: "8"})),
				testHold("released", retention.SubjectScope("client-1")),
			} {
				require.NoError(t, s.Put(ctx, h))
			}
			_, err := s.Release(ctx, "released", "legal", holdBase)
			require.NoError(t, err)
			got, err := s.Covering(ctx, "client-1", invoice7)
			require.NoError(t, err)
			assert.Equal(t, []string{"category", "record", "subject"}, holdIDs(got))
		}},
		{"covering nothing is an empty result, not an error", func(t *testing.T, s retention.HoldStore) {
			got, err := s.Covering(ctx, "nobody", invoice7)
			require.NoError(t, err)
			assert.Empty(t, got)
		}},
		{"changing a returned hold does not change the store", func(t *testing.T, s retention.HoldStore) {
			require.NoError(t, s.Put(ctx, testHold("h", retention.SubjectScope("a"))))
			got, err := s.Get(ctx, "h")
			require.NoError(t, err)
			got.Matter = "changed"
			cov, err := s.Covering(ctx, "a", invoice7)
			require.NoError(t, err)
			require.Len(t, cov, 1)
			cov[0].Matter = "changed"
			again, err := s.Get(ctx, "h")
			require.NoError(t, err)
			assert.Equal(t, "matter h", again.Matter)
		}},
		{"concurrent puts of one ID: exactly one wins", func(t *testing.T, s retention.HoldStore) {
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					err := s.Put(ctx, testHold("same", retention.SubjectScope(privacy.SubjectID(fmt.Sprint(i)))))
					if err == nil {
						wins.Add(1)
					} else {
						assert.ErrorIs(t, err, privacy.ErrConflict)
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int32(1), wins.Load())
		}},
		{"concurrent puts of distinct holds lose none", func(t *testing.T, s retention.HoldStore) {
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					for i := range 10 {
						assert.NoError(t, s.Put(ctx, testHold(fmt.Sprintf("%d-%02d", w, i), retention.SubjectScope("x"))))
					}
				})
			}
			wg.Wait()
			assert.Len(t, active(t, s), 40)
		}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) { c.check(t, newStore(t)) })
	}
}
