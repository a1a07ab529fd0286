package export_test

import (
	"bytes"
	"context"
	"iter"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

func collect(t *testing.T, seq iter.Seq2[privacy.Record, error]) []privacy.Record {
	t.Helper()
	var out []privacy.Record
	for r, err := range seq {
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

func encode(t *testing.T, opts *export.Options, f export.Format, recs []privacy.Record) ([]byte, export.Summary) {
	t.Helper()
	enc, err := export.NewEncoder(opts)
	require.NoError(t, err)
	var buf bytes.Buffer
	sum, err := enc.Encode(context.Background(), &buf, f, invoices, all(recs))
	require.NoError(t, err)
	require.Equal(t, int64(len(recs)), sum.Records)
	require.Equal(t, int64(buf.Len()), sum.Bytes)
	return buf.Bytes(), sum
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	want := probeRecords()
	declared := map[privacy.Category][]export.Column{invoices: invoiceColumns()}
	cases := []struct {
		name   string
		format export.Format
		opts   export.Options
		read   func(b []byte, sum export.Summary) iter.Seq2[privacy.Record, error]
	}{
		{"csv with the injection defence reads back equal", export.CSV, export.Options{}, func(b []byte, sum export.Summary) iter.Seq2[privacy.Record, error] {
			return export.ReadCSV(ctx, bytes.NewReader(b), invoices, sum.Columns, nil)
		}},
		{"csv with declared columns reads back equal", export.CSV, export.Options{Columns: declared}, func(b []byte, sum export.Summary) iter.Seq2[privacy.Record, error] {
			return export.ReadCSV(ctx, bytes.NewReader(b), invoices, invoiceColumns(), nil)
		}},
		{"raw csv reads back equal", export.CSV, export.Options{Raw: true}, func(b []byte, sum export.Summary) iter.Seq2[privacy.Record, error] {
			return export.ReadCSV(ctx, bytes.NewReader(b), invoices, sum.Columns, &export.ReadOptions{Raw: true})
		}},
		{"csv with semicolons and a byte order mark reads back equal", export.CSV, export.Options{Delimiter: ';', BOM: true, Language: language.Dutch}, func(b []byte, sum export.Summary) iter.Seq2[privacy.Record, error] {
			return export.ReadCSV(ctx, bytes.NewReader(b), invoices, sum.Columns, &export.ReadOptions{Delimiter: ';'})
		}},
		{"tab-separated csv reads back equal", export.CSV, export.Options{Delimiter: '\t'}, func(b []byte, sum export.Summary) iter.Seq2[privacy.Record, error] {
			return export.ReadCSV(ctx, bytes.NewReader(b), invoices, sum.Columns, &export.ReadOptions{Delimiter: '\t'})
		}},
		{"json reads back equal", export.JSON, export.Options{}, func(b []byte, _ export.Summary) iter.Seq2[privacy.Record, error] {
			return export.ReadJSON(ctx, bytes.NewReader(b))
		}},
		{"ndjson reads back equal", export.NDJSON, export.Options{}, func(b []byte, _ export.Summary) iter.Seq2[privacy.Record, error] {
			return export.ReadNDJSON(ctx, bytes.NewReader(b))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, sum := encode(t, &tc.opts, tc.format, want)
			got := collect(t, tc.read(b, sum))
			assert.Empty(t, cmp.Diff(want, got, cmpopts.EquateEmpty()))
		})
	}
}

func TestReadCSVCanonicalForm(t *testing.T) {
	ctx := context.Background()
	cols := []export.Column{{Name: "a", Kind: export.KindString}, {Name: "b", Kind: export.KindInt}}
	in := []privacy.Record{
		{Ref: privacy.Ref{Category: invoices, ID: "1"}, Subject: subject, Fields: []privacy.Field{{Name: "b", Value: int64(2)}}},
		{Ref: privacy.Ref{Category: invoices, ID: "2"}, Subject: subject, Fields: []privacy.Field{{Name: "b", Value: int64(3)}, {Name: "a", Value: "x"}}},
	}
	b, _ := encode(t, &export.Options{Columns: map[privacy.Category][]export.Column{invoices: cols}}, export.CSV, in)
	got := collect(t, export.ReadCSV(ctx, bytes.NewReader(b), invoices, cols, nil))
	want := []privacy.Record{
		{Ref: privacy.Ref{Category: invoices, ID: "1"}, Subject: subject, Fields: []privacy.Field{{Name: "a"}, {Name: "b", Value: int64(2)}}},
		{Ref: privacy.Ref{Category: invoices, ID: "2"}, Subject: subject, Fields: []privacy.Field{{Name: "a", Value: "x"}, {Name: "b", Value: int64(3)}}},
	}
	assert.Empty(t, cmp.Diff(want, got), "a missing field reads back as nil and fields come back in column order")
}

func TestColumnsFromTheFirstRecord(t *testing.T) {
	recs := []privacy.Record{
		{Ref: privacy.Ref{Category: invoices, ID: "1"}, Subject: subject, Fields: []privacy.Field{{Name: "a", Value: nil}, {Name: "b", Value: nil, Class: privacy.Personal}}},
		{Ref: privacy.Ref{Category: invoices, ID: "2"}, Subject: subject, Fields: []privacy.Field{{Name: "a", Value: int64(7)}}},
	}
	cases := []struct {
		name   string
		format export.Format
	}{
		{"csv columns take their kind from the first non-nil value", export.CSV},
		{"xlsx columns take their kind from the first non-nil value", export.XLSX},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, sum := encode(t, nil, tc.format, recs)
			want := []export.Column{{Name: "a", Kind: export.KindInt}, {Name: "b", Kind: export.KindAny, Class: privacy.Personal}}
			assert.Empty(t, cmp.Diff(want, sum.Columns), "a column that only held nil stays KindAny")
		})
	}
	t.Run("formats without columns report none", func(t *testing.T) {
		_, sum := encode(t, nil, export.JSON, recs)
		assert.Nil(t, sum.Columns)
	})
}
