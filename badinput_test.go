package steward_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// TestBadInputChangesNothing feeds each public entry point malformed input:
// each gets a specific sentinel error and leaves every record, hold and
// audit entry as it was.
func TestBadInputChangesNothing(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	contactRef := privacy.Ref{Category: "contact", ID: "c-1"}
	huge := strings.Repeat("x", 1<<20)
	cases := []struct {
		name string
		call func() error
		is   error
	}{
		{"erase with an empty subject", func() error { _, err := w.s.Erase(w.ctx, ""); return err }, privacy.ErrInvalid},
		{"access with an empty subject", func() error { _, err := w.s.Access(w.ctx, ""); return err }, privacy.ErrInvalid},
		{"terminate with an empty subject", func() error { _, err := w.s.Terminate(w.ctx, "", time.Now()); return err }, privacy.ErrInvalid},
		{"terminate at a zero time", func() error { _, err := w.s.Terminate(w.ctx, "client-1", time.Time{}); return err }, privacy.ErrInvalid},
		{"rectify with NaN", func() error {
			_, err := w.s.Rectify(w.ctx, "client-1", contactRef, []privacy.Field{{Name: "email", Value: math.NaN()}})
			return err
		}, privacy.ErrInvalid},
		{"rectify with infinity", func() error {
			_, err := w.s.Rectify(w.ctx, "client-1", contactRef, []privacy.Field{{Name: "email", Value: math.Inf(1)}})
			return err
		}, privacy.ErrInvalid},
		{"rectify with invalid UTF-8", func() error {
			_, err := w.s.Rectify(w.ctx, "client-1", contactRef, []privacy.Field{{Name: "email", Value: "a\xffb"}})
			return err
		}, privacy.ErrInvalid},
		{"rectify with a zero time", func() error {
			_, err := w.s.Rectify(w.ctx, "client-1", contactRef, []privacy.Field{{Name: "email", Value: time.Time{}}})
			return err
		}, privacy.ErrInvalid},
		{"rectify an unknown category", func() error {
			_, err := w.s.Rectify(w.ctx, "client-1", privacy.Ref{Category: "spaceship", ID: "1"}, []privacy.Field{{Name: "email", Value: "x"}})
			return err
		}, privacy.ErrNotFound},
		{"archive with an empty administrator", func() error { _, err := w.s.Archive(w.ctx, "client-1", "", time.Now().AddDate(1, 0, 0)); return err }, privacy.ErrInvalid},
		{"archive ending in the past", func() error { _, err := w.s.Archive(w.ctx, "client-1", "a", time.Time{}); return err }, privacy.ErrInvalid},
		{"receive an unknown request kind", func() error { _, err := w.s.Receive(w.ctx, "client-1", "teleport"); return err }, privacy.ErrInvalid},
		{"extend an unknown request", func() error { _, err := w.s.Extend(w.ctx, "req-nope", 1, "x"); return err }, privacy.ErrNotFound},
		{"place a hold with no scope", func() error {
			_, err := w.s.Holds().Place(w.ctx, retention.Hold{ID: "h", Matter: "m", Ground: retention.GroundLaw, PlacedBy: "x"})
			return err
		}, privacy.ErrInvalid},
		{"place a hold with an ID of invalid UTF-8", func() error {
			_, err := w.s.Holds().Place(w.ctx, retention.Hold{ID: "\xff", Matter: "m", Ground: retention.GroundLaw, Scope: retention.SubjectScope("s"), PlacedBy: "x"})
			return err
		}, privacy.ErrInvalid},
		{"release an unknown hold", func() error { _, _, err := w.s.Release(w.ctx, "nope", "x"); return err }, privacy.ErrNotFound},
		{"give consent for an unknown purpose", func() error {
			_, err := w.ledger.Give(w.ctx, consent.Choice{Subject: "client-1", Purpose: "mind-reading", Method: consent.MethodWeb})
			return err
		}, privacy.ErrInvalid},
		{"give consent with an empty subject", func() error {
			_, err := w.ledger.Give(w.ctx, consent.Choice{Purpose: "newsletter", Notice: "privacy", Version: 1, Language: language.English, Method: consent.MethodWeb})
			return err
		}, privacy.ErrInvalid},
		{"a policy with a negative period", func() error {
			_, err := retention.NewPolicy(retention.Rule{Name: "n", Category: "c", Keep: retention.Years(-7)})
			return err
		}, privacy.ErrInvalid},
		{"a policy in an unknown zone", func() error {
			_, err := retention.NewPolicy(retention.Rule{Name: "n", Category: "c", Keep: retention.Years(7), Zone: "Atlantis/Capital"})
			return err
		}, privacy.ErrInvalid},
		{"a record with a NaN field", func() error {
			return w.store.PutRecord(w.ctx, privacy.Record{Ref: privacy.Ref{Category: "c", ID: "n"}, Subject: "s", Created: time.Now(), Fields: []privacy.Field{{Name: "f", Value: math.NaN()}}})
		}, privacy.ErrInvalid},
		{"a record with a zero creation time", func() error {
			return w.store.PutRecord(w.ctx, privacy.Record{Ref: privacy.Ref{Category: "c", ID: "z"}, Subject: "s"})
		}, privacy.ErrInvalid},
		{"a steward in an unknown zone", func() error { _, err := steward.New(nil, &steward.Options{Zone: "Mars/Olympus"}); return err }, privacy.ErrInvalid},
		{"an export of an empty subject", func() error { return w.s.Export(w.ctx, "", &strings.Builder{}, nil) }, privacy.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := w.state(t)
			err := tc.call()
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.is)
			assert.Empty(t, cmp.Diff(before, w.state(t)), "nothing changed")
		})
	}
	t.Run("a huge field is stored whole and read back whole", func(t *testing.T) {
		_, err := w.s.Rectify(w.ctx, "client-1", contactRef, []privacy.Field{{Name: "email", Value: huge}})
		require.NoError(t, err)
		r, _ := w.record(contactRef)
		f, _ := r.Field("email")
		assert.Len(t, f.Value, len(huge))
	})
	t.Run("time zones other than UTC are the same instant", func(t *testing.T) {
		tokyo := time.FixedZone("JST", 9*3600)
		d1 := w.s.Policy().Resolve(&privacy.Record{Ref: privacy.Ref{Category: "invoice", ID: "x"}, Subject: "s", Created: time.Date(2019, 3, 15, 10, 0, 0, 0, tokyo)}, nil, time.Date(2027, 1, 1, 8, 0, 0, 0, tokyo))
		d2 := w.s.Policy().Resolve(&privacy.Record{Ref: privacy.Ref{Category: "invoice", ID: "x"}, Subject: "s", Created: time.Date(2019, 3, 15, 1, 0, 0, 0, time.UTC)}, nil, time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC))
		assert.Equal(t, d1.Outcome, d2.Outcome, "the same instants decide alike whatever zone they are given in")
		assert.True(t, d1.Until.Equal(d2.Until))
	})
}

// state is everything a bad call must leave alone.
func (w *world) state(t *testing.T) map[string]any {
	var recs []privacy.Record
	for r, err := range w.store.Scan(w.ctx, privacy.Ref{}) {
		require.NoError(t, err)
		recs = append(recs, r)
	}
	var holds []retention.Hold
	for h, err := range w.s.Holds().Active(w.ctx) {
		require.NoError(t, err)
		holds = append(holds, h)
	}
	return map[string]any{"records": recs, "holds": holds, "audit": w.audit.Len()}
}

// TestNoPersonalValueInAuditOrErrors plants a marker value in every personal
// field, runs every operation, good and bad, and searches every audit entry
// and every error text for it.
func TestNoPersonalValueInAuditOrErrors(t *testing.T) {
	const marker = "MARKER-7f3a9c"
	w := newWorld(t)
	for i, cat := range []privacy.Category{"invoice", "contact", "order"} {
		require.NoError(t, w.store.PutRecord(w.ctx, privacy.Record{
			Ref: privacy.Ref{Category: cat, ID: fmt.Sprint(i)}, Subject: "client-1", Created: day(2019, 3, 15),
			Fields: []privacy.Field{
				{Name: "number", Value: fmt.Sprint(i)}, {Name: "amount", Value: int64(1)},
				{Name: "client_name", Value: marker, Class: privacy.Personal},
				{Name: "email", Value: marker + "@example.nl", Class: privacy.Personal},
				{Name: "health", Value: marker, Class: privacy.Special},
			},
		}))
	}
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	ctx := context.Background()
	_, err := w.s.Access(ctx, "client-1")
	note(err)
	_, err = w.s.Rectify(ctx, "client-1", privacy.Ref{Category: "contact", ID: "1"}, []privacy.Field{{Name: "email", Value: marker + "2"}})
	note(err)
	_, err = w.s.Rectify(ctx, "client-1", privacy.Ref{Category: "contact", ID: "1"}, []privacy.Field{{Name: "number", Value: marker}})
	note(err)
	_, err = w.s.Rectify(ctx, "client-1", privacy.Ref{Category: "contact", ID: "1"}, []privacy.Field{{Name: "email", Value: marker + "\xff"}})
	note(err)
	_, err = w.s.Holds().Place(ctx, retention.Hold{ID: "h1", Matter: "m", Ground: retention.GroundLaw, Scope: retention.RecordScope(privacy.Ref{Category: "order", ID: "2"}), PlacedBy: "legal"})
	note(err)
	_, err = w.s.Terminate(ctx, "client-1", day(2020, 1, 1))
	note(err)
	_, err = w.s.Archive(ctx, "client-1", "accountant", day(2030, 1, 1))
	note(err)
	for _, err := range w.s.Read(ctx, "intruder", steward.PurposeAccountingConsultation, "client-1") {
		note(err)
	}
	note(w.s.Export(ctx, "client-1", failingWriter{}, nil))
	w.clock.Set(day(2021, 6, 1))
	_, err = w.s.Erase(ctx, "client-1")
	note(err)
	_, _, err = w.s.Release(ctx, "h1", "legal")
	note(err)
	w.clock.Set(day(2028, 1, 1))
	_, err = w.s.Sweep(ctx, nil)
	note(err)
	note(w.store.PutRecord(ctx, privacy.Record{Ref: privacy.Ref{Category: "c", ID: "bad"}, Subject: "s", Created: time.Now(),
		Fields: []privacy.Field{{Name: "f", Value: marker + "\xff"}}}))

	require.NotEmpty(t, errs, "the bad calls did fail")
	for _, err := range errs {
		assert.NotContains(t, err.Error(), marker, "error text: %v", err)
	}
	n := 0
	for e, err := range w.audit.Events(ctx, 0) {
		require.NoError(t, err)
		n++
		assert.NotContains(t, fmt.Sprintf("%+v", e), marker, "audit entry %d", e.Seq)
	}
	assert.Greater(t, n, 10)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
