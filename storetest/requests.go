package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
)

// requestBase is the time requests are received around: UTC at microsecond
// precision, as a database keeps times.
func requestBase() time.Time { return time.Date(2026, 2, 3, 14, 5, 6, 789012000, time.UTC) }

func request(id string, subject privacy.SubjectID, i int) steward.Request {
	received := requestBase().Add(time.Duration(i) * time.Hour)
	return steward.Request{
		ID: id, Kind: privacy.RequestErasure, Subject: subject, Received: received, Due: received.AddDate(0, 1, 0),
		State: privacy.RequestReceived, Policy: "policy-0123456789abcdef",
	}
}

// RunRequestStore checks that the stores newStore makes keep the contract
// of steward.RequestStore. Each case gets a fresh, empty store.
func RunRequestStore(t *testing.T, newStore func(t *testing.T) steward.RequestStore) {
	t.Helper()
	ctx := context.Background()
	put := func(t *testing.T, s steward.RequestStore, r steward.Request) {
		t.Helper()
		require.NoError(t, s.Put(ctx, r), "Put")
	}
	get := func(t *testing.T, s steward.RequestStore, id string) steward.Request {
		t.Helper()
		r, err := s.Get(ctx, id)
		require.NoError(t, err, "Get")
		return r
	}
	bySubject := func(t *testing.T, s steward.RequestStore, subject privacy.SubjectID) []string {
		t.Helper()
		var ids []string
		for r, err := range s.BySubject(ctx, subject) {
			require.NoError(t, err, "BySubject")
			assert.Equal(t, subject, r.Subject)
			ids = append(ids, r.ID)
		}
		return ids
	}
	for _, c := range []struct {
		rule  string
		check func(t *testing.T, s steward.RequestStore)
	}{
		{"every field of a request reads back", func(t *testing.T, s steward.RequestStore) {
			open := request("r1", "s1", 0)
			put(t, s, open)
			assert.Empty(t, cmp.Diff(open, get(t, s, "r1")), "an open request (-want +got)")
			closed := request("r2", "s1", 1)
			closed.Kind, closed.State = privacy.RequestAccess, privacy.RequestRefused
			closed.Extension, closed.ExtensionReason = 2, "complex: 40 years of records"
			closed.Closed, closed.RefusalReason = closed.Received.AddDate(0, 2, 0), "manifestly unfounded"
			put(t, s, closed)
			assert.Empty(t, cmp.Diff(closed, get(t, s, "r2")), "a closed request (-want +got)")
		}},
		{"an unknown request wraps ErrNotFound", func(t *testing.T, s steward.RequestStore) {
			put(t, s, request("r1", "s1", 0))
			_, err := s.Get(ctx, "r2")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
		}},
		{"putting an existing ID wraps ErrConflict and changes nothing", func(t *testing.T, s steward.RequestStore) {
			first := request("r1", "s1", 0)
			put(t, s, first)
			again := request("r1", "s2", 5)
			assert.ErrorIs(t, s.Put(ctx, again), privacy.ErrConflict)
			assert.Empty(t, cmp.Diff(first, get(t, s, "r1")), "(-want +got)")
		}},
		{"replace stores the new request when the stored one still equals old", func(t *testing.T, s steward.RequestStore) {
			put(t, s, request("r1", "s1", 0))
			old := get(t, s, "r1")
			r := old
			r.State, r.Closed = privacy.RequestCompleted, old.Received.Add(48*time.Hour)
			require.NoError(t, s.Replace(ctx, old, r))
			assert.Empty(t, cmp.Diff(r, get(t, s, "r1")), "(-want +got)")
		}},
		{"replace from a stale old wraps ErrConflict and changes nothing", func(t *testing.T, s steward.RequestStore) {
			put(t, s, request("r1", "s1", 0))
			old := get(t, s, "r1")
			first := old
			first.State = privacy.RequestInProgress
			require.NoError(t, s.Replace(ctx, old, first))
			second := old
			second.State, second.Closed, second.RefusalReason = privacy.RequestRefused, old.Received.Add(time.Hour), "stale"
			assert.ErrorIs(t, s.Replace(ctx, old, second), privacy.ErrConflict)
			assert.Empty(t, cmp.Diff(first, get(t, s, "r1")), "(-want +got)")
		}},
		{"replace of an unknown request wraps ErrNotFound", func(t *testing.T, s steward.RequestStore) {
			r := request("r1", "s1", 0)
			assert.ErrorIs(t, s.Replace(ctx, r, r), privacy.ErrNotFound)
			_, err := s.Get(ctx, "r1")
			assert.ErrorIs(t, err, privacy.ErrNotFound, "replace stored nothing")
		}},
		{"of concurrent replaces from one old exactly one succeeds", func(t *testing.T, s steward.RequestStore) {
			put(t, s, request("r1", "s1", 0))
			old := get(t, s, "r1")
			const n = 8
			var wg sync.WaitGroup
			results := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					r := old
					r.State, r.ExtensionReason = privacy.RequestInProgress, fmt.Sprint("writer ", i)
					results <- s.Replace(ctx, old, r)
				})
			}
			wg.Wait()
			close(results)
			ok := 0
			for err := range results {
				if err == nil {
					ok++
				} else {
					assert.ErrorIs(t, err, privacy.ErrConflict)
				}
			}
			assert.Equal(t, 1, ok)
			assert.Equal(t, privacy.RequestInProgress, get(t, s, "r1").State)
		}},
		{"by subject yields the subject's requests in order of receipt, then ID", func(t *testing.T, s steward.RequestStore) {
			put(t, s, request("r-c", "s1", 2))
			put(t, s, request("r-b", "s1", 0))
			put(t, s, request("r-a", "s1", 2))
			put(t, s, request("r-d", "s2", 1))
			assert.Equal(t, []string{"r-b", "r-a", "r-c"}, bySubject(t, s, "s1"))
			assert.Equal(t, []string{"r-d"}, bySubject(t, s, "s2"))
			assert.Empty(t, bySubject(t, s, "s3"), "an unknown subject has none")
		}},
		{"by subject stops when the loop breaks early, and the store is usable after", func(t *testing.T, s steward.RequestStore) {
			for i := range 3 {
				put(t, s, request(fmt.Sprint("r", i), "s1", i))
			}
			n := 0
			for _, err := range s.BySubject(ctx, "s1") {
				require.NoError(t, err)
				n++
				break
			}
			assert.Equal(t, 1, n)
			put(t, s, request("r9", "s1", 9))
			assert.Len(t, bySubject(t, s, "s1"), 4)
		}},
		{"a cancelled context is returned and nothing is stored", func(t *testing.T, s steward.RequestStore) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			assert.ErrorIs(t, s.Put(cctx, request("r1", "s1", 0)), context.Canceled)
			_, err := s.Get(ctx, "r1")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
			var iterErr error
			for _, err := range s.BySubject(cctx, "s1") {
				iterErr = err
			}
			assert.True(t, errors.Is(iterErr, context.Canceled), "BySubject yields the context error, got %v", iterErr)
		}},
	} {
		t.Run(c.rule, func(t *testing.T) { c.check(t, newStore(t)) })
	}
}

// RunArchiveStore checks that the stores newStore makes keep the contract
// of steward.ArchiveStore. Each case gets a fresh, empty store.
func RunArchiveStore(t *testing.T, newStore func(t *testing.T) steward.ArchiveStore) {
	t.Helper()
	ctx := context.Background()
	grant := func(subject privacy.SubjectID, admin string) steward.Grant {
		return steward.Grant{Subject: subject, Administrator: admin, Granted: requestBase(), Until: requestBase().AddDate(7, 0, 0)}
	}
	for _, c := range []struct {
		rule  string
		check func(t *testing.T, s steward.ArchiveStore)
	}{
		{"every field of a grant reads back", func(t *testing.T, s steward.ArchiveStore) {
			g := grant("s1", "administrator@example.nl")
			require.NoError(t, s.Put(ctx, g))
			got, err := s.Get(ctx, "s1")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(g, got), "(-want +got)")
		}},
		{"a subject without a grant wraps ErrNotFound", func(t *testing.T, s steward.ArchiveStore) {
			require.NoError(t, s.Put(ctx, grant("s1", "a")))
			_, err := s.Get(ctx, "s2")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
		}},
		{"a later grant replaces the subject's earlier one", func(t *testing.T, s steward.ArchiveStore) {
			require.NoError(t, s.Put(ctx, grant("s1", "first")))
			require.NoError(t, s.Put(ctx, grant("s2", "other")))
			later := grant("s1", "second")
			later.Until = later.Until.AddDate(1, 0, 0)
			require.NoError(t, s.Put(ctx, later))
			got, err := s.Get(ctx, "s1")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(later, got), "(-want +got)")
			other, err := s.Get(ctx, "s2")
			require.NoError(t, err)
			assert.Equal(t, "other", other.Administrator, "another subject's grant stays")
		}},
		{"a cancelled context is returned and nothing is stored", func(t *testing.T, s steward.ArchiveStore) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			assert.ErrorIs(t, s.Put(cctx, grant("s1", "a")), context.Canceled)
			_, err := s.Get(ctx, "s1")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
		}},
	} {
		t.Run(c.rule, func(t *testing.T) { c.check(t, newStore(t)) })
	}
}
