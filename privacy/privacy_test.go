package privacy_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
)

func validRecord() privacy.Record {
	return privacy.Record{
		Ref:     privacy.Ref{Category: "invoice", ID: "2019-17"},
		Subject: "client-1",
		Created: time.Date(2019, 3, 15, 10, 0, 0, 0, time.UTC),
		Events:  map[string]time.Time{privacy.EventContractEnded: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		Fields: []privacy.Field{
			{Name: "amount", Value: int64(12100)},
			{Name: "name", Value: "Jan de Vries", Class: privacy.Personal},
		},
	}
}

func TestRecordValidate(t *testing.T) {
	secret := "Jan de Vries"
	cases := []struct {
		name  string
		edit  func(*privacy.Record)
		field string
	}{
		{"empty category is invalid", func(r *privacy.Record) { r.Ref.Category = "" }, ""},
		{"empty record ID is invalid", func(r *privacy.Record) { r.Ref.ID = "" }, ""},
		{"empty subject is invalid", func(r *privacy.Record) { r.Subject = "" }, ""},
		{"identifier with invalid UTF-8 is invalid", func(r *privacy.Record) { r.Subject = "\xff" }, ""},
		{"zero creation time is invalid", func(r *privacy.Record) { r.Created = time.Time{} }, ""},
		{"event with zero time is invalid", func(r *privacy.Record) { r.Events["x"] = time.Time{} }, ""},
		{"unnamed field is invalid", func(r *privacy.Record) { r.Fields[0].Name = "" }, ""},
		{"duplicate field is invalid", func(r *privacy.Record) { r.Fields[1].Name = "amount" }, "amount"},
		{"int value is unsupported (int64 only)", func(r *privacy.Record) { r.Fields[0].Value = 3 }, "amount"},
		{"NaN is invalid", func(r *privacy.Record) { r.Fields[0].Value = math.NaN() }, "amount"},
		{"infinity is invalid", func(r *privacy.Record) { r.Fields[0].Value = math.Inf(-1) }, "amount"},
		{"string with invalid UTF-8 is invalid", func(r *privacy.Record) { r.Fields[1].Value = secret + "\xc3" }, "name"},
		{"unknown class is invalid", func(r *privacy.Record) { r.Fields[1].Class = 9 }, "name"},
	}
	r := validRecord()
	require.NoError(t, r.Validate())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validRecord().Clone()
			tc.edit(&r)
			err := r.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, privacy.ErrInvalid)
			var pe *privacy.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.NotContains(t, err.Error(), secret, "an error text never quotes a value")
		})
	}
}

func TestRecordCloneDoesNotAlias(t *testing.T) {
	r := validRecord()
	c := r.Clone()
	c.Fields[0].Value = int64(1)
	c.Events["other"] = time.Now()
	assert.Equal(t, int64(12100), r.Fields[0].Value)
	assert.NotContains(t, r.Events, "other")
}

func TestRefCompareOrdersByCategoryThenID(t *testing.T) {
	a := privacy.Ref{Category: "a", ID: "z"}
	b := privacy.Ref{Category: "b", ID: "a"}
	c := privacy.Ref{Category: "b", ID: "b"}
	assert.Equal(t, -1, a.Compare(b))
	assert.Equal(t, -1, b.Compare(c))
	assert.Equal(t, 1, c.Compare(a))
	assert.Equal(t, 0, c.Compare(c))
	assert.Equal(t, "b/a", b.String())
}

func TestLegalBases(t *testing.T) {
	want := map[privacy.LegalBasis]string{
		privacy.Consent:             "GDPR Art. 6(1)(a)",
		privacy.Contract:            "GDPR Art. 6(1)(b)",
		privacy.LegalObligation:     "GDPR Art. 6(1)(c)",
		privacy.VitalInterests:      "GDPR Art. 6(1)(d)",
		privacy.PublicTask:          "GDPR Art. 6(1)(e)",
		privacy.LegitimateInterests: "GDPR Art. 6(1)(f)",
	}
	require.Len(t, privacy.LegalBases(), 6)
	for _, b := range privacy.LegalBases() {
		assert.Equal(t, want[b], b.Article())
		assert.NoError(t, b.Validate())
	}
	assert.ErrorIs(t, privacy.LegalBasis("because").Validate(), privacy.ErrInvalid)
}

func TestErrorTextAndUnwrap(t *testing.T) {
	err := &privacy.Error{Op: "retention.NewPolicy", Ref: privacy.Ref{Category: "invoice", ID: "7"}, Field: "iban", Msg: "bad", Err: privacy.ErrInvalid}
	assert.Equal(t, "retention.NewPolicy: invoice/7: field iban: bad: invalid input", err.Error())
	assert.True(t, errors.Is(err, privacy.ErrInvalid))
	assert.False(t, errors.Is(err, privacy.ErrHeld))
}

func TestSettableClockMovesAcrossYears(t *testing.T) {
	start := time.Date(2019, 3, 15, 0, 0, 0, 0, time.UTC)
	c := privacy.NewSettableClock(start)
	assert.Equal(t, start, c.Now())
	c.AddDate(7, 0, 0)
	assert.Equal(t, start.AddDate(7, 0, 0), c.Now())
	c.Advance(time.Hour)
	assert.Equal(t, start.AddDate(7, 0, 0).Add(time.Hour), c.Now())
	c.Set(start)
	assert.Equal(t, start, c.Now())
	var _ privacy.Clock = privacy.SystemClock{}
}

func TestMasks(t *testing.T) {
	ps, err := privacy.Pseudonym([]byte("0123456789abcdef"))
	require.NoError(t, err)
	now := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name string
		mask privacy.Mask
		in   any
		want any // nil with wantErr means refused
		err  bool
	}{
		{"null accepts a string", privacy.Null(), "x", nil, false},
		{"null accepts a time", privacy.Null(), now, nil, false},
		{"fixed replaces a string", privacy.Fixed("[erased]"), "Jan", "[erased]", false},
		{"fixed refuses an int", privacy.Fixed("[erased]"), int64(3), nil, true},
		{"redact keeps a string typed", privacy.Redact(), "Jan", "", false},
		{"redact keeps an int typed", privacy.Redact(), int64(42), int64(0), false},
		{"redact keeps a float typed", privacy.Redact(), 4.2, 0.0, false},
		{"redact keeps a bool typed", privacy.Redact(), true, false, false},
		{"redact keeps a time typed", privacy.Redact(), now, time.Unix(0, 0).UTC(), false},
		{"pseudonym refuses a float", ps, 4.2, nil, true},
		{"pseudonym refuses a time", ps, now, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, !tc.err, tc.mask.Accepts(tc.in))
			got, err := tc.mask.Apply(tc.in)
			if tc.err {
				assert.ErrorIs(t, err, privacy.ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPseudonymIsKeyedAndStable(t *testing.T) {
	k1, err := privacy.Pseudonym([]byte("0123456789abcdef"))
	require.NoError(t, err)
	k2, err := privacy.Pseudonym([]byte("fedcba9876543210"))
	require.NoError(t, err)
	a1, _ := k1.Apply("jan@example.nl")
	a2, _ := k1.Apply("jan@example.nl")
	b, _ := k2.Apply("jan@example.nl")
	s, _ := k1.Apply("42")
	i, _ := k1.Apply(int64(42))
	assert.Equal(t, a1, a2, "same key and value give the same pseudonym")
	assert.NotEqual(t, a1, b, "another key gives another pseudonym")
	assert.NotEqual(t, s, i, "a string and an int that print alike differ")
	assert.True(t, strings.HasPrefix(a1.(string), "ps:"))
	assert.NotContains(t, a1, "jan")
	_, err = privacy.Pseudonym([]byte("short"))
	assert.ErrorIs(t, err, privacy.ErrInvalid)
}

func TestMaskFieldNamesFieldNotValue(t *testing.T) {
	f := privacy.Field{Name: "born", Value: time.Now(), Class: privacy.Personal}
	_, err := privacy.MaskField(f, privacy.Fixed("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "born")
	got, err := privacy.MaskField(privacy.Field{Name: "n", Value: nil}, privacy.Fixed("x"))
	require.NoError(t, err)
	assert.Nil(t, got.Value)
}

// sliceLog is an AuditLog whose entries a test can tamper with.
type sliceLog struct{ events []privacy.Event }

func (l *sliceLog) Append(_ context.Context, e privacy.Event) (privacy.Event, error) {
	var head privacy.Head
	if n := len(l.events); n > 0 {
		head = privacy.Head{Seq: l.events[n-1].Seq, Hash: l.events[n-1].Hash}
	}
	e = e.Chain(head)
	l.events = append(l.events, e)
	return e, nil
}

func (l *sliceLog) Events(_ context.Context, after uint64) iter.Seq2[privacy.Event, error] {
	return func(yield func(privacy.Event, error) bool) {
		for _, e := range l.events {
			if e.Seq > after && !yield(e, nil) {
				return
			}
		}
	}
}

func filled(t *testing.T, n int) *sliceLog {
	l := &sliceLog{}
	for i := range n {
		_, err := l.Append(context.Background(), privacy.Event{
			Time: time.Date(2024, 1, 1, 0, 0, i, 123456789, time.UTC), Action: privacy.ActionHoldPlaced,
			Actor: "op", Subject: "s", Object: "hold-1", Count: int64(i),
		})
		require.NoError(t, err)
	}
	return l
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		tamper func(l *sliceLog)
		bad    string
	}{
		{"untouched log verifies", func(*sliceLog) {}, ""},
		{"changed entry is found", func(l *sliceLog) { l.events[2].Count = 99 }, "event 3: content"},
		{"changed entry with recomputed hash breaks the next link", func(l *sliceLog) {
			l.events[2].Reason = "other"
			l.events[2].Hash = l.events[2].Sum()
		}, "event 4: does not link"},
		{"removed entry is found", func(l *sliceLog) { l.events = append(l.events[:1], l.events[2:]...) }, "event 2: missing"},
		{"reordered entries are found", func(l *sliceLog) { l.events[1], l.events[2] = l.events[2], l.events[1] }, "event 2: missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := filled(t, 5)
			tc.tamper(l)
			head, err := privacy.Verify(ctx, l)
			if tc.bad == "" {
				require.NoError(t, err)
				assert.Equal(t, uint64(5), head.Seq)
				return
			}
			assert.ErrorIs(t, err, privacy.ErrConflict)
			assert.ErrorContains(t, err, tc.bad)
		})
	}
}

func TestVerifyFromFindsCutOffTail(t *testing.T) {
	ctx := context.Background()
	l := filled(t, 5)
	head, err := privacy.Verify(ctx, l)
	require.NoError(t, err)
	l.events = l.events[:3]
	_, err = privacy.Verify(ctx, l)
	require.NoError(t, err, "a chain alone cannot see a cut-off tail")
	_, err = privacy.VerifyFrom(ctx, l, head)
	assert.ErrorIs(t, err, privacy.ErrConflict)
}

func TestChainTruncatesTimeToMicroseconds(t *testing.T) {
	l := filled(t, 1)
	assert.Equal(t, 123456000, l.events[0].Time.Nanosecond())
	assert.Equal(t, time.UTC, l.events[0].Time.Location())
}

func TestMemoryAuditLogConcurrentAppendsStayChained(t *testing.T) {
	ctx := context.Background()
	l := privacy.NewMemoryAuditLog()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				_, err := l.Append(ctx, privacy.Event{Time: time.Now(), Action: privacy.ActionDisposed, Count: int64(w*100 + i)})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	head, err := privacy.Verify(ctx, l)
	require.NoError(t, err)
	assert.Equal(t, uint64(400), head.Seq)
	var got []uint64
	for e, err := range l.Events(ctx, 398) {
		require.NoError(t, err)
		got = append(got, e.Seq)
	}
	assert.Empty(t, cmp.Diff([]uint64{399, 400}, got))
}

func TestWrapWrapsOnce(t *testing.T) {
	plain := errors.New("disk full")
	got := privacy.Wrap("op", plain)
	var pe *privacy.Error
	require.ErrorAs(t, got, &pe)
	assert.Equal(t, "op", pe.Op)
	assert.ErrorIs(t, got, plain)
	assert.Same(t, got, privacy.Wrap("outer", got), "an *Error is not wrapped again")
	assert.Equal(t, context.Canceled, privacy.Wrap("op", context.Canceled), "context errors come back as they are")
	deadline := fmt.Errorf("reading: %w", context.DeadlineExceeded)
	assert.Equal(t, deadline, privacy.Wrap("op", deadline))
	assert.NoError(t, privacy.Wrap("op", nil))
}
