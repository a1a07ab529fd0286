package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
)

// RunAuditLog checks that the logs newLog makes keep the contract of
// privacy.AuditLog.
func RunAuditLog(t *testing.T, newLog func(t *testing.T) privacy.AuditLog) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("CET", 3600))
	event := func(i int) privacy.Event {
		return privacy.Event{
			Time: base.Add(time.Duration(i) * time.Second), Action: privacy.ActionDisposed, Actor: "system",
			Subject: privacy.SubjectID(fmt.Sprintf("s-%d", i)), Ref: privacy.Ref{Category: "invoice", ID: fmt.Sprint(i)},
			Object: "rule", Count: int64(i), Reason: "retention ended",
		}
	}
	appendN := func(t *testing.T, l privacy.AuditLog, n int) []privacy.Event {
		var out []privacy.Event
		for i := range n {
			e, err := l.Append(ctx, event(i))
			require.NoError(t, err)
			out = append(out, e)
		}
		return out
	}
	read := func(t *testing.T, l privacy.AuditLog, after uint64) []privacy.Event {
		var out []privacy.Event
		for e, err := range l.Events(ctx, after) {
			require.NoError(t, err)
			out = append(out, e)
		}
		return out
	}
	cases := []struct {
		rule  string
		check func(t *testing.T, l privacy.AuditLog)
	}{
		{"an empty log yields nothing and verifies", func(t *testing.T, l privacy.AuditLog) {
			assert.Empty(t, read(t, l, 0))
			head, err := privacy.Verify(ctx, l)
			require.NoError(t, err)
			assert.Equal(t, privacy.Head{}, head)
		}},
		{"append numbers events from 1 and links each to the one before", func(t *testing.T, l privacy.AuditLog) {
			got := appendN(t, l, 3)
			for i, e := range got {
				assert.Equal(t, uint64(i+1), e.Seq)
				assert.Equal(t, e.Sum(), e.Hash)
				if i > 0 {
					assert.Equal(t, got[i-1].Hash, e.Prev)
				} else {
					assert.True(t, e.Prev.IsZero())
				}
			}
		}},
		{"events yields what append returned, field for field", func(t *testing.T, l privacy.AuditLog) {
			want := appendN(t, l, 3)
			got := read(t, l, 0)
			assert.Empty(t, cmp.Diff(want, got))
		}},
		{"times are kept in UTC at microsecond precision", func(t *testing.T, l privacy.AuditLog) {
			appendN(t, l, 1)
			got := read(t, l, 0)
			require.Len(t, got, 1)
			assert.True(t, got[0].Time.Equal(base.Truncate(time.Microsecond)), "got %v", got[0].Time)
			assert.Equal(t, time.UTC, got[0].Time.Location())
		}},
		{"caller-set sequence and hashes are ignored", func(t *testing.T, l privacy.AuditLog) {
			e := event(0)
			e.Seq, e.Prev, e.Hash = 99, privacy.Hash{1}, privacy.Hash{2}
			got, err := l.Append(ctx, e)
			require.NoError(t, err)
			assert.Equal(t, uint64(1), got.Seq)
			_, err = privacy.Verify(ctx, l)
			assert.NoError(t, err)
		}},
		{"events after n starts at n+1", func(t *testing.T, l privacy.AuditLog) {
			appendN(t, l, 5)
			got := read(t, l, 3)
			require.Len(t, got, 2)
			assert.Equal(t, uint64(4), got[0].Seq)
			assert.Empty(t, read(t, l, 5))
		}},
		{"events stops when the caller breaks early", func(t *testing.T, l privacy.AuditLog) {
			appendN(t, l, 5)
			n := 0
			for _, err := range l.Events(ctx, 0) {
				require.NoError(t, err)
				n++
				if n == 2 {
					break
				}
			}
			assert.Equal(t, 2, n)
			_, err := l.Append(ctx, event(9))
			assert.NoError(t, err, "the log is usable after an early break")
		}},
		{"a cancelled context stops events with the context error", func(t *testing.T, l privacy.AuditLog) {
			appendN(t, l, 2)
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			var last error
			for _, err := range l.Events(cctx, 0) {
				last = err
			}
			assert.ErrorIs(t, last, context.Canceled)
		}},
		{"concurrent appends keep one verifiable chain", func(t *testing.T, l privacy.AuditLog) {
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					for i := range 25 {
						_, err := l.Append(ctx, event(w*100+i))
						assert.NoError(t, err)
					}
				})
			}
			wg.Wait()
			head, err := privacy.Verify(ctx, l)
			require.NoError(t, err)
			assert.Equal(t, uint64(100), head.Seq)
		}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) { c.check(t, newLog(t)) })
	}
}
