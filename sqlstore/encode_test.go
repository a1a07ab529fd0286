package sqlstore

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
)

func bodyRecord() privacy.Record {
	amsterdam := time.FixedZone("CEST", 2*3600)
	return privacy.Record{
		Events: map[string]time.Time{
			privacy.EventContractEnded: time.Date(2024, 12, 31, 23, 59, 59, 999999000, time.UTC),
			"first.use":                time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Microsecond),
		},
		Fields: []privacy.Field{
			{Name: "text", Value: "Jan de Vriës — 日本", Class: privacy.Personal},
			{Name: "empty", Value: ""},
			{Name: "min", Value: int64(math.MinInt64)},
			{Name: "max", Value: int64(math.MaxInt64)},
			{Name: "zero", Value: int64(0)},
			{Name: "rate", Value: 0.1 + 0.2},
			{Name: "negative zero", Value: math.Copysign(0, -1)},
			{Name: "subnormal", Value: math.SmallestNonzeroFloat64},
			{Name: "huge", Value: -math.MaxFloat64},
			{Name: "yes", Value: true},
			{Name: "no", Value: false},
			{Name: "when", Value: time.Date(2019, 3, 15, 9, 30, 0, 123456000, amsterdam), Class: privacy.Special},
			{Name: "far", Value: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
			{Name: "nothing", Value: nil, Class: privacy.Personal},
		},
	}
}

// Every value type round-trips exactly: floats bit for bit (negative zero,
// subnormals), integers at their limits, times as the same instant in UTC.
func TestBodyRoundTrip(t *testing.T) {
	want := bodyRecord()
	var got privacy.Record
	require.NoError(t, decodeBody(appendBody(nil, &want), &got, nil))
	exact := cmp.Options{
		cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	}
	assert.Empty(t, cmp.Diff(want.Events, got.Events, exact))
	assert.Empty(t, cmp.Diff(want.Fields, got.Fields, exact))
	for _, f := range got.Fields {
		if at, ok := f.Value.(time.Time); ok {
			assert.Equal(t, time.UTC, at.Location(), "field %s", f.Name)
		}
	}
}

func TestBodyOfAnEmptyRecord(t *testing.T) {
	var got privacy.Record
	require.NoError(t, decodeBody(appendBody(nil, &privacy.Record{}), &got, nil))
	assert.Nil(t, got.Events)
	assert.Nil(t, got.Fields)
}

func TestBodyTimesKeepMicroseconds(t *testing.T) {
	r := privacy.Record{Fields: []privacy.Field{{Name: "t", Value: time.Date(2020, 1, 1, 0, 0, 0, 123456789, time.UTC)}}}
	var got privacy.Record
	require.NoError(t, decodeBody(appendBody(nil, &r), &got, nil))
	assert.Equal(t, time.Date(2020, 1, 1, 0, 0, 0, 123456000, time.UTC), got.Fields[0].Value)
}

// A body cut short or with a wrong version or kind is an error, never a
// panic or a record made up of garbage.
func TestBodyCorrupt(t *testing.T) {
	r := bodyRecord()
	b := appendBody(nil, &r)
	for n := range len(b) {
		var got privacy.Record
		err := decodeBody(b[:n], &got, nil)
		assert.True(t, errors.Is(err, errBody), "cut at %d: %v", n, err)
	}
	assert.ErrorIs(t, decodeBody(append([]byte{9}, b[1:]...), &privacy.Record{}, nil), errBody, "unknown version")
	assert.ErrorIs(t, decodeBody(append(b, 0), &privacy.Record{}, nil), errBody, "trailing bytes")
	bad := appendBody(nil, &privacy.Record{Fields: []privacy.Field{{Name: "x", Value: true}}})
	bad[len(bad)-2] = 77 // the kind byte
	assert.ErrorIs(t, decodeBody(bad, &privacy.Record{}, nil), errBody, "unknown kind")
}

func FuzzDecodeBody(f *testing.F) {
	r := bodyRecord()
	f.Add(appendBody(nil, &r))
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{1, 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got privacy.Record
		var slab fieldSlab
		if err := decodeBody(b, &got, &slab); err != nil {
			if !errors.Is(err, errBody) {
				t.Fatalf("error %v does not wrap errBody", err)
			}
			return
		}
		// What decodes must encode back to the same bytes, but for event
		// order, which the encoding fixes.
		again := appendBody(nil, &got)
		var twice privacy.Record
		if err := decodeBody(again, &twice, nil); err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
	})
}
