package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// A request or grant the database could not keep as given is refused with
// ErrInvalid naming what is wrong, and nothing is stored.
func TestRequestsAndGrantsRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 2, 3, 14, 0, 0, 0, time.UTC)
	valid := steward.Request{ID: "r1", Kind: privacy.RequestAccess, Subject: "s1", Received: at, Due: at.AddDate(0, 1, 0), State: privacy.RequestReceived}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			if d.name == "PostgreSQL" {
				postgresDSN(t)
			}
			s := open(t, d.dsn(t))
			reqs, grants := s.Requests(), s.Archives()
			for name, change := range map[string]func(r *steward.Request){
				"no ID":                         func(r *steward.Request) { r.ID = "" },
				"no subject":                    func(r *steward.Request) { r.Subject = "" },
				"an ID of invalid UTF-8":        func(r *steward.Request) { r.ID = "r\xff" },
				"a subject with a NUL byte":     func(r *steward.Request) { r.Subject = "s\x001" },
				"a refusal reason of bad UTF-8": func(r *steward.Request) { r.RefusalReason = "\xc3(" },
			} {
				r := valid
				change(&r)
				err := reqs.Put(ctx, r)
				assert.ErrorIs(t, err, privacy.ErrInvalid, name)
				_, err = reqs.Get(ctx, r.ID)
				assert.ErrorIs(t, err, privacy.ErrNotFound, "%s: nothing stored", name)
			}
			require.NoError(t, reqs.Put(ctx, valid))
			other := valid
			other.ID = "r2"
			assert.ErrorIs(t, reqs.Replace(ctx, valid, other), privacy.ErrInvalid, "a request cannot replace another")
			bad := valid
			bad.State = "\xff"
			assert.ErrorIs(t, reqs.Replace(ctx, valid, bad), privacy.ErrInvalid)
			got, err := reqs.Get(ctx, "r1")
			require.NoError(t, err)
			assert.Equal(t, privacy.RequestReceived, got.State, "the request is as it was")

			assert.ErrorIs(t, grants.Put(ctx, steward.Grant{Administrator: "a"}), privacy.ErrInvalid, "a grant without a subject")
			assert.ErrorIs(t, grants.Put(ctx, steward.Grant{Subject: "s1", Administrator: "a\x00"}), privacy.ErrInvalid)
			_, err = grants.Get(ctx, "s1")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
		})
	}
}

// Looking up an ID or subject no store could hold finds nothing, on
// PostgreSQL too, which refuses to compare invalid UTF-8.
func TestRequestsLookupOfInvalidTextFindsNothing(t *testing.T) {
	ctx := context.Background()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			if d.name == "PostgreSQL" {
				postgresDSN(t)
			}
			s := open(t, d.dsn(t))
			_, err := s.Requests().Get(ctx, "r\xff")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
			for _, err := range s.Requests().BySubject(ctx, "s\x00") {
				assert.NoError(t, err)
				t.Error("a request of a subject no store could hold")
			}
			_, err = s.Archives().Get(ctx, "s\xff")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
		})
	}
}

// A privacy budget kept in the database is shared by the processes that open
// it, and outlives them.
func TestBudgetOutlivesTheProcess(t *testing.T) {
	ctx := context.Background()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			if d.name == "PostgreSQL" {
				postgresDSN(t)
			}
			dsn := d.dsn(t)
			first := open(t, dsn)
			b, err := aggregate.OpenBudget(ctx, first.Budgets(), "clients by sector", 1, 1e-6)
			require.NoError(t, err)
			for range 4 {
				require.NoError(t, b.ChargeContext(ctx, 0.2, 1e-7))
			}
			require.NoError(t, first.Close())

			second := open(t, dsn)
			again, err := aggregate.OpenBudget(ctx, second.Budgets(), "clients by sector", 1, 1e-6)
			require.NoError(t, err)
			eps, delta, charges := again.Spent()
			assert.InDelta(t, 0.8, eps, 1e-15)
			assert.InDelta(t, 4e-7, delta, 1e-20)
			assert.Equal(t, 4, charges)
			assert.ErrorIs(t, again.ChargeContext(ctx, 0.3, 0), privacy.ErrConflict)
			assert.NoError(t, again.ChargeContext(ctx, 0.2, 0), "exactly what is left")
		})
	}
}
