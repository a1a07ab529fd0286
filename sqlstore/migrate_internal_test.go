package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/internal/pgtest"
	"github.com/smartbooqing/steward/privacy"
)

// A database made before records had their erasure_pending column gets the
// column filled from the records' bodies when it is brought up to date: a
// record whose erasure was pending then is found as pending after.
func TestMigrationFlagsErasuresPendingBeforeIt(t *testing.T) {
	ctx := context.Background()
	for _, d := range []Dialect{SQLite, PostgreSQL} {
		t.Run(d.String(), func(t *testing.T) {
			var dsn string
			if d == SQLite {
				dsn = filepath.Join(t.TempDir(), "old.db")
			} else {
				dsn = pgtest.DSN(t)
			}
			driver, dsn, _, err := parseDSN(dsn)
			require.NoError(t, err)
			db, err := sql.Open(driver, dsn)
			require.NoError(t, err)
			defer db.Close()
			dialect := d
			ms, err := migrations(d)
			require.NoError(t, err)
			const before = 3 // the schema before erasure_pending
			require.Equal(t, "0004_erasure_pending.sql", ms[before].name)
			require.NoError(t, migrate(ctx, db, dialect, ms[:before]))

			made := time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)
			insert := func(id string, r privacy.Record) {
				r.Ref, r.Subject, r.Created = privacy.Ref{Category: "invoice", ID: id}, "client-1", made
				_, err := db.ExecContext(ctx, bind(d, `INSERT INTO records (`+recordColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`),
					string(r.Ref.Category), r.Ref.ID, string(r.Subject), timeArg(d, r.Created), r.Restricted, appendBody(nil, &r))
				require.NoError(t, err)
			}
			insert("pending", privacy.Record{Events: map[string]time.Time{steward.EventErasurePending: made, "invoice.paid": made}})
			insert("plain", privacy.Record{Events: map[string]time.Time{"invoice.paid": made}})
			insert("named", privacy.Record{Fields: []privacy.Field{{Name: "note", Value: "see " + steward.EventErasurePending}}})

			s, err := New(ctx, db, dialect, nil)
			require.NoError(t, err)
			var got []string
			for r, err := range s.PendingErasures(ctx) {
				require.NoError(t, err)
				got = append(got, r.Ref.ID)
			}
			// The record that only names the event in a field is flagged too,
			// harmlessly: PendingErasures may yield more than the pending.
			assert.Equal(t, []string{"named", "pending"}, got)

			r, err := s.Record(ctx, privacy.Ref{Category: "invoice", ID: "pending"})
			require.NoError(t, err)
			delete(r.Events, steward.EventErasurePending)
			require.NoError(t, s.PutRecord(ctx, r))
			got = got[:0]
			for r, err := range s.PendingErasures(ctx) {
				require.NoError(t, err)
				got = append(got, r.Ref.ID)
			}
			assert.Equal(t, []string{"named"}, got, "a write of the record keeps the flag")
		})
	}
}
