// Package invoices is the data of the export and resolve works: a ring of
// invoice records that every contender gets, round and round.
package invoices

import (
	"iter"
	"strconv"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Ring is how many distinct records the export and resolve works
// cycle through. Building a record costs more than encoding it, so they are
// built once and then yielded round and round: the works measure encoding
// and deciding, not the generator, and memory stays a few hundred KiB.
const Ring = 1024

// Fields are the field columns of invoice records, in order.
var Fields = []string{"customer", "email", "amount_cents", "vat_rate", "paid", "due", "note"}

// Records returns the ring of records: every kind of value,
// a quarter with a contract.ended event, and notes that need quoting, an
// apostrophe against formulas, or both.
func Records() []privacy.Record {
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	notes := []string{"", "Levering, \"spoed\"", "=HYPERLINK(\"x\")", "Tweede regel\nderde", "Gewone notitie zonder bijzonderheden", "-5 korting"}
	recs := make([]privacy.Record, Ring)
	for i := range recs {
		made := base.Add(time.Duration(i) * 37 * time.Minute)
		if i%10 == 0 {
			made = made.AddDate(-5, 0, 0) // made in 2019: due on 1 January 2027
		}
		r := privacy.Record{
			Ref:     privacy.Ref{Category: "invoice", ID: "2024-" + strconv.Itoa(100000+i)},
			Subject: privacy.SubjectID("client-" + strconv.Itoa(i%97)),
			Created: made,
			Fields: []privacy.Field{
				{Name: "customer", Value: "Klant " + strconv.Itoa(i) + " B.V.", Class: privacy.Personal},
				{Name: "email", Value: "klant" + strconv.Itoa(i) + "@example.nl", Class: privacy.Personal},
				{Name: "amount_cents", Value: int64(i*1234 - 50000), Class: privacy.Plain},
				{Name: "vat_rate", Value: []float64{0.21, 0.09, 0}[i%3], Class: privacy.Plain},
				{Name: "paid", Value: i%2 == 0, Class: privacy.Plain},
				{Name: "due", Value: base.AddDate(0, 1, i%28), Class: privacy.Plain},
				{Name: "note", Value: notes[i%len(notes)], Class: privacy.Plain},
			},
		}
		if i%4 == 0 {
			r.Events = map[string]time.Time{privacy.EventContractEnded: base.AddDate(1, 0, 0)}
		}
		recs[i] = r
	}
	return recs
}

// Cycle yields n records from recs, round and round.
func Cycle(recs []privacy.Record, n int) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		for i := range n {
			if !yield(recs[i%len(recs)], nil) {
				return
			}
		}
	}
}
