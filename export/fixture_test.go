package export_test

import (
	"iter"
	"time"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// The fixed data set of the golden files and round-trip tests: three
// invoices of one subject with the awkward text a real export meets.
const (
	subject  = privacy.SubjectID("client-17")
	invoices = privacy.Category("invoice")
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func invoiceColumns() []export.Column {
	return []export.Column{
		{Name: "customer", Kind: export.KindString, Class: privacy.Personal},
		{Name: "email", Kind: export.KindString, Class: privacy.Personal},
		{Name: "amount_cents", Kind: export.KindInt, Class: privacy.Plain},
		{Name: "vat_rate", Kind: export.KindFloat, Class: privacy.Plain},
		{Name: "paid", Kind: export.KindBool, Class: privacy.Plain},
		{Name: "due", Kind: export.KindTime, Class: privacy.Plain},
		{Name: "note", Kind: export.KindString, Class: privacy.Plain},
	}
}

// invoice builds a record whose fields are the invoice columns, in order.
func invoice(id string, created time.Time, values ...any) privacy.Record {
	cols := invoiceColumns()
	r := privacy.Record{Ref: privacy.Ref{Category: invoices, ID: id}, Subject: subject, Created: created}
	for i, c := range cols {
		r.Fields = append(r.Fields, privacy.Field{Name: c.Name, Class: c.Class, Value: values[i]})
	}
	return r
}

// goldenRecords is the data set every format's golden file is made from. It
// holds only what every format can carry (XML and XLSX refuse NUL).
func goldenRecords() []privacy.Record {
	a := invoice("2024-001", time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC),
		"Jan de Vries", "jan@example.nl", int64(125000), 0.21, true, day(2024, 4, 15),
		"Levering, \"spoed\"\nTweede regel")
	a.Events = map[string]time.Time{privacy.EventContractEnded: day(2025, 1, 31), "reminder.sent": time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)}
	b := invoice("2024-002", time.Date(2024, 6, 1, 8, 0, 0, 250_000_000, time.UTC),
		"Zoë Ångström-Ærø 日本", nil, int64(-500), 0.09, false, nil,
		`=HYPERLINK("http://example.com/?q=1","klik")`)
	c := invoice("=2024-003", time.Date(2024, 12, 31, 23, 59, 59, 123456789, time.UTC),
		"+31 6 1234 5678", "@handle", int64(0), 1e-7, false, time.Date(2025, 1, 1, 12, 0, 0, 1, time.FixedZone("CET", 3600)),
		"-2+3")
	c.Restricted = true
	return []privacy.Record{a, b, c}
}

// probeRecords adds the injection probes and edge cases that only CSV and
// JSON must carry: every trigger character, apostrophes already there, the
// empty string beside nil, and control characters.
func probeRecords() []privacy.Record {
	recs := goldenRecords()
	notes := []any{
		"", "'", "''", "'=already quoted", "''@twice", "'s-Hertogenbosch", "'t Zandt",
		"\tTab first", "\rCR first", "\nLF first", "\x00NUL first", "@SUM(A1)", "+1+1", "-1",
		" leading space", "trailing space ", "a,b;c\td", `"quoted"`, "line1\r\nline2", "emoji 😀 and U+2028 \u2028 here",
		"=cmd|' /C calc'!A0", "ä,ö;ü", "\\backslash\\", "<xml> & stuff",
	}
	for i, n := range notes {
		r := invoice("probe-"+string(rune('a'+i)), day(2024, 1, 1+i), "x", "", int64(i), float64(i)/3, i%2 == 0, nil, n)
		recs = append(recs, r)
	}
	return recs
}

// all yields recs as a stream.
func all(recs []privacy.Record) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// failing yields recs and then err.
func failing(recs []privacy.Record, err error) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
		yield(privacy.Record{}, err)
	}
}
