package steward_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/internal/pgtest"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

// TestSQLInjectionIsStoredAsData: identifiers that look like SQL are stored,
// found and erased as data, and the tables stay whole.
func TestSQLInjectionIsStoredAsData(t *testing.T) {
	const evil = "x'); DROP TABLE records;--"
	stores := map[string]func(t *testing.T) *sqlstore.Store{
		"sqlite": func(t *testing.T) *sqlstore.Store {
			st, err := sqlstore.Open(context.Background(), t.TempDir()+"/s.db", nil)
			require.NoError(t, err)
			return st
		},
		"postgres": func(t *testing.T) *sqlstore.Store {
			st, err := sqlstore.Open(context.Background(), pgtest.DSN(t), nil)
			require.NoError(t, err)
			return st
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			defer st.Close()
			clock := privacy.NewSettableClock(day(2021, 6, 1))
			s, err := steward.New(st, &steward.Options{Policy: modelPolicy, Audit: st.AuditLog(), Clock: clock})
			require.NoError(t, err)
			for _, r := range []privacy.Record{
				{Ref: privacy.Ref{Category: "contact", ID: evil}, Subject: evil, Created: day(2020, 1, 1),
					Fields: []privacy.Field{{Name: "email", Value: "'; DELETE FROM holds;--", Class: privacy.Personal}}},
				{Ref: privacy.Ref{Category: "invoice", ID: "1' OR '1'='1"}, Subject: evil, Created: day(2020, 1, 1),
					Fields: []privacy.Field{{Name: "email", Value: "e", Class: privacy.Personal}}},
				{Ref: privacy.Ref{Category: "contact", ID: "bystander"}, Subject: "bystander", Created: day(2020, 1, 1)},
			} {
				require.NoError(t, st.PutRecord(ctx, r))
			}
			_, err = s.Holds().Place(ctx, retention.Hold{ID: "h'; DROP TABLE holds;--", Matter: "m", Ground: retention.GroundLaw,
				Scope: retention.SubjectScope("bystander"), PlacedBy: "legal"})
			require.NoError(t, err)

			got, err := st.Record(ctx, privacy.Ref{Category: "contact", ID: evil})
			require.NoError(t, err)
			assert.Equal(t, privacy.SubjectID(evil), got.Subject)
			f, _ := got.Field("email")
			assert.Equal(t, "'; DELETE FROM holds;--", f.Value)

			rep, err := s.Erase(ctx, evil)
			require.NoError(t, err)
			require.Len(t, rep.Items, 2)
			_, err = st.Record(ctx, privacy.Ref{Category: "contact", ID: evil})
			assert.ErrorIs(t, err, privacy.ErrNotFound, "erased as data")
			inv, err := st.Record(ctx, privacy.Ref{Category: "invoice", ID: "1' OR '1'='1"})
			require.NoError(t, err)
			assert.True(t, inv.Restricted, "the invoice is kept, minimised")
			_, err = st.Record(ctx, privacy.Ref{Category: "contact", ID: "bystander"})
			assert.NoError(t, err, "no other row touched")
			held := 0
			for _, err := range s.Holds().Active(ctx) {
				require.NoError(t, err)
				held++
			}
			assert.Equal(t, 1, held, "the holds table is whole")
			_, err = privacy.Verify(ctx, st.AuditLog())
			assert.NoError(t, err)
		})
	}
}
