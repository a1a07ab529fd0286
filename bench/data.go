package main

import (
	"iter"
	"strconv"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// The data every contender of a work gets. Records are generated as they
// are consumed: no work holds a slice of all n records.

var (
	// sweepDay is "now" for retention: 1 January 2027, when invoices made in
	// 2019 have passed the Dutch fiscal period and those of 2024 have not.
	sweepDay = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	dueMade  = time.Date(2019, 6, 1, 10, 0, 0, 0, time.UTC)
	keptMade = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
)

// The bookkeeping the sweep and erasure works store: invoices under the
// Dutch fiscal rule, every tenth made in 2019 (due on sweepDay), the rest in
// 2024; 50 consecutive records per subject.
const perSubject = 50

func storedRef(i int) privacy.Ref {
	return privacy.Ref{Category: "invoice", ID: pad7(i)}
}

func storedSubject(i int) privacy.SubjectID {
	return privacy.SubjectID("client-" + pad7(i/perSubject))
}

func storedDue(i int) bool { return i%10 == 0 }

func storedRecord(i int) privacy.Record {
	made := keptMade
	if storedDue(i) {
		made = dueMade
	}
	made = made.Add(time.Duration(i) * time.Second)
	return privacy.Record{
		Ref: storedRef(i), Subject: storedSubject(i), Created: made,
		Fields: []privacy.Field{
			{Name: "number", Value: "2019-" + strconv.Itoa(i)},
			{Name: "amount", Value: int64(12100 + i)},
			{Name: "vat", Value: 0.21},
			{Name: "paid", Value: i%3 == 0},
			{Name: "due", Value: made.AddDate(0, 1, 0)},
			{Name: "name", Value: "Jan de Vries", Class: privacy.Personal},
			{Name: "email", Value: "jan@example.nl", Class: privacy.Personal},
		},
	}
}

// storedRecords yields records from..to-1 of the bookkeeping.
func storedRecords(from, to int) iter.Seq[privacy.Record] {
	return func(yield func(privacy.Record) bool) {
		for i := from; i < to; i++ {
			if !yield(storedRecord(i)) {
				return
			}
		}
	}
}

// pad7 formats i with at least seven digits, so that IDs sort as numbers.
func pad7(i int) string {
	s := strconv.Itoa(i)
	if len(s) >= 7 {
		return s
	}
	return "0000000"[:7-len(s)] + s
}
