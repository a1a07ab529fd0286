package export_test

import (
	"bytes"
	"context"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// FuzzTextRoundTrip checks that any valid UTF-8 text survives CSV (with the
// defence on and off, with each delimiter) and JSON.
func FuzzTextRoundTrip(f *testing.F) {
	for _, s := range []string{"", "'", "=1", "'=1", "a,b", "\"", "\r\n", " x", "x ", "\x00", "a;b\tc", "\u2028", "😀"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, id, text string) {
		if !utf8.ValidString(id) || !utf8.ValidString(text) || id == "" {
			return
		}
		ctx := context.Background()
		rec := privacy.Record{
			Ref: privacy.Ref{Category: "c", ID: id}, Subject: "s",
			Fields: []privacy.Field{{Name: "t", Value: text}},
		}
		want := []privacy.Record{rec}
		for _, o := range []export.Options{{}, {Raw: true}, {Delimiter: ';'}, {Delimiter: '\t', BOM: true}} {
			enc, err := export.NewEncoder(&o)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			sum, err := enc.Encode(ctx, &buf, export.CSV, "c", all(want))
			if err != nil {
				t.Fatal(err)
			}
			got := collect(t, export.ReadCSV(ctx, &buf, "c", sum.Columns, &export.ReadOptions{Raw: o.Raw, Delimiter: o.Delimiter}))
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("csv %+v: %s", o, d)
			}
		}
		enc, err := export.NewEncoder(nil)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := enc.Encode(ctx, &buf, export.JSON, "c", all(want)); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, collect(t, export.ReadJSON(ctx, &buf))); d != "" {
			t.Fatalf("json: %s", d)
		}
	})
}
