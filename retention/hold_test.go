package retention_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

func TestHoldsPlaceAndReleaseAreAudited(t *testing.T) {
	ctx := context.Background()
	clock := privacy.NewSettableClock(day(2024, 2, 1))
	audit := privacy.NewMemoryAuditLog()
	holds := retention.NewHolds(nil, &retention.HoldsOptions{Audit: audit, Clock: clock})

	h, err := holds.Place(ctx, retention.Hold{ID: "h1", Matter: "Rb. Amsterdam C/13/1", Ground: retention.GroundCourtOrder, Scope: retention.SubjectScope("client-7"), PlacedBy: "legal"})
	require.NoError(t, err)
	assert.True(t, clock.Now().Equal(h.PlacedAt))
	assert.True(t, h.Active())

	clock.AddDate(1, 0, 0)
	r, err := holds.Release(ctx, "h1", "legal-2")
	require.NoError(t, err)
	assert.False(t, r.Active())
	assert.Equal(t, "legal-2", r.ReleasedBy)
	assert.True(t, clock.Now().Equal(r.ReleasedAt))

	var actions []privacy.Action
	for e, err := range audit.Events(ctx, 0) {
		require.NoError(t, err)
		actions = append(actions, e.Action)
		assert.Equal(t, "h1", e.Object)
		assert.Equal(t, "court_order:subject", e.Reason)
		assert.NotContains(t, e.Reason+e.Object, "Amsterdam", "the matter's text stays out of the audit")
	}
	assert.Equal(t, []privacy.Action{privacy.ActionHoldPlaced, privacy.ActionHoldReleased}, actions)

	got, err := holds.Get(ctx, "h1")
	require.NoError(t, err)
	assert.False(t, got.Active())
	for range holds.Active(ctx) {
		t.Fatal("a released hold is not active")
	}
}

func TestHoldErrors(t *testing.T) {
	ctx := context.Background()
	holds := retention.NewHolds(nil, nil)
	good := retention.Hold{ID: "h1", Matter: "m", Ground: retention.GroundLaw, Scope: retention.CategoryScope("invoice"), PlacedBy: "op"}
	_, err := holds.Place(ctx, good)
	require.NoError(t, err)

	_, err = holds.Place(ctx, good)
	assert.ErrorIs(t, err, privacy.ErrConflict, "placing a hold whose ID exists")
	_, err = holds.Release(ctx, "nope", "op")
	assert.ErrorIs(t, err, privacy.ErrNotFound, "releasing an unknown hold")
	_, err = holds.Release(ctx, "h1", "op")
	require.NoError(t, err)
	_, err = holds.Release(ctx, "h1", "op")
	assert.ErrorIs(t, err, privacy.ErrConflict, "releasing a released hold")
	_, err = holds.Get(ctx, "nope")
	assert.ErrorIs(t, err, privacy.ErrNotFound)

	bad := map[string]func(h *retention.Hold){
		"no ID":                 func(h *retention.Hold) { h.ID = "" },
		"no matter":             func(h *retention.Hold) { h.Matter = "" },
		"unknown ground":        func(h *retention.Hold) { h.Ground = "whim" },
		"no actor":              func(h *retention.Hold) { h.PlacedBy = "" },
		"no scope":              func(h *retention.Hold) { h.Scope = retention.Scope{} },
		"subject scope without": func(h *retention.Hold) { h.Scope = retention.SubjectScope("") },
		"record scope half":     func(h *retention.Hold) { h.Scope = retention.RecordScope(privacy.Ref{Category: "x"}) },
		"mixed scope":           func(h *retention.Hold) { h.Scope.Subject = "s" },
		"preset placed time":    func(h *retention.Hold) { h.PlacedAt = day(2020, 1, 1) },
		"preset release":        func(h *retention.Hold) { h.ReleasedBy = "x" },
	}
	for name, edit := range bad {
		t.Run(name, func(t *testing.T) {
			h := good
			h.ID = "h-" + name
			edit(&h)
			_, err := holds.Place(ctx, h)
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		})
	}
	_, err = holds.Release(ctx, "", "op")
	assert.ErrorIs(t, err, privacy.ErrInvalid)
}

func TestScopeCovers(t *testing.T) {
	r := rec("invoice", "7", day(2020, 1, 1), nil)
	assert.True(t, retention.SubjectScope("client-1").Covers(r))
	assert.False(t, retention.SubjectScope("client-2").Covers(r))
	assert.True(t, retention.CategoryScope("invoice").Covers(r))
	assert.False(t, retention.CategoryScope("order").Covers(r))
	assert.True(t, retention.RecordScope(privacy.Ref{Category: "invoice", ID: "7"}).Covers(r))
	assert.False(t, retention.RecordScope(privacy.Ref{Category: "invoice", ID: "8"}).Covers(r))
	assert.False(t, retention.Scope{}.Covers(r))
}
