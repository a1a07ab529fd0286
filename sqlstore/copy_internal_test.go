package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/internal/pgtest"
	"github.com/smartbooqing/steward/privacy"
)

// Events sent by COPY read back exactly as chained, and the log verifies:
// times before 2000 and at microseconds, text beyond ASCII, empty text and
// counts at the ends of int64.
func TestCopiedEventsReadBackExactly(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.DSN(t), nil)
	require.NoError(t, err)
	defer s.Close()
	base := time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	events := make([]privacy.Event, 2*copyMinEvents)
	for i := range events {
		events[i] = privacy.Event{
			Time: base.Add(time.Duration(i) * 1234567 * time.Microsecond), Action: privacy.ActionDisposed,
			Actor: "système", Subject: privacy.SubjectID(fmt.Sprintf("cliënt-%d ✓", i)),
			Ref:    privacy.Ref{Category: "factuur", ID: fmt.Sprintf("%07d", i)},
			Object: "nl-fiscal:factuur", Reason: "retention_ended",
		}
	}
	events[1].Count, events[2].Count = math.MaxInt64, math.MinInt64
	events[3].Actor, events[3].Object, events[3].Reason = "", "", ""
	// A fresh log: chain from the zero head, send by COPY, move the head.
	stored := make([]privacy.Event, len(events))
	var head privacy.Head
	for i, e := range events {
		stored[i] = e.Chain(head)
		head = privacy.Head{Seq: stored[i].Seq, Hash: stored[i].Hash}
	}
	err = s.writeOn(ctx, func(tx *sql.Tx, conn *sql.Conn) error {
		copied, err := copyEvents(ctx, conn, stored)
		if err != nil {
			return err
		}
		require.True(t, copied, "a pgx connection takes COPY")
		_, err = tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, int64(head.Seq), head.Hash[:])
		return err
	})
	require.NoError(t, err)
	var got []privacy.Event
	for e, err := range s.AuditLog().Events(ctx, 0) {
		require.NoError(t, err)
		got = append(got, e)
	}
	assert.Empty(t, cmp.Diff(stored, got), "(-chained +read)")
	_, err = privacy.Verify(ctx, s.AuditLog())
	assert.NoError(t, err)
}
