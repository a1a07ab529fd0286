package retention

import (
	"fmt"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Anchor says from which date a rule's period is counted. It is built from a
// source — the record's creation or a named event — and a rounding: the date
// itself, the end of its calendar year, or the end of its financial year.
//
//	retention.Created                                   // the day the record was made
//	retention.Created.EndOfFinancialYear(retention.December31) // end of the financial year in which it was made
//	retention.OnEvent("contract.ended").EndOfYear()    // end of the calendar year in which the contract ended
//	retention.OnEvent("relationship.ended")            // the date the relationship ended
//
// The zero Anchor is Created.
type Anchor struct {
	// Event names the lifecycle event counted from; "" is the record's creation.
	Event string
	// Round says how the source date is rounded.
	Round Round
	// YearEnd is the last day of the financial year, for Round ==
	// EndOfFinancialYear. The zero value means 31 December.
	YearEnd MonthDay
}

// Round says how an anchor's source date is rounded.
type Round uint8

const (
	// OnDate counts from the source date itself.
	OnDate Round = iota
	// EndOfYear counts from 31 December of the source date's calendar year.
	EndOfYear
	// EndOfFinancialYear counts from the last day of the financial year that
	// contains the source date.
	EndOfFinancialYear
)

// MonthDay is a day of the year, such as the last day of a financial year. A
// day past the end of its month is clamped (30 February is the end of February).
type MonthDay struct {
	Month time.Month
	Day   int
}

// December31 is the end of a financial year that is the calendar year.
var December31 = MonthDay{time.December, 31}

// Created anchors a rule at the record's creation date.
var Created = Anchor{}

// OnEvent anchors a rule at the date of the named event.
func OnEvent(name string) Anchor { return Anchor{Event: name} }

// EndOfYear returns a counted from the end of the calendar year of its source.
func (a Anchor) EndOfYear() Anchor {
	a.Round, a.YearEnd = EndOfYear, MonthDay{}
	return a
}

// EndOfFinancialYear returns a counted from the end of the financial year, ending
// on yearEnd, that contains its source date. A zero yearEnd is 31 December.
func (a Anchor) EndOfFinancialYear(yearEnd MonthDay) Anchor {
	a.Round, a.YearEnd = EndOfFinancialYear, yearEnd
	return a
}

// String describes a in words, for error messages and reports.
func (a Anchor) String() string {
	src := "creation"
	if a.Event != "" {
		src = "event " + a.Event
	}
	switch a.Round {
	case EndOfYear:
		return "end of the calendar year of " + src
	case EndOfFinancialYear:
		ye := a.yearEnd()
		return fmt.Sprintf("end of the financial year (ending %d %s) of %s", ye.Day, ye.Month, src)
	}
	return src
}

func (a Anchor) yearEnd() MonthDay {
	if a.YearEnd == (MonthDay{}) {
		return December31
	}
	return a.YearEnd
}

func (a Anchor) validate() error {
	switch a.Round {
	case OnDate, EndOfYear:
		if a.YearEnd != (MonthDay{}) {
			return fmt.Errorf("anchor has a financial year end but does not round to it")
		}
	case EndOfFinancialYear:
		ye := a.YearEnd
		if ye != (MonthDay{}) && (ye.Month < time.January || ye.Month > time.December || ye.Day < 1 || ye.Day > 31) {
			return fmt.Errorf("financial year end %d/%d is not a day of the year", ye.Day, ye.Month)
		}
	default:
		return fmt.Errorf("unknown anchor rounding %d", a.Round)
	}
	return nil
}

// source returns the time the anchor counts from, and false when the record
// lacks it: the event has not happened or the creation time is missing.
func (a Anchor) source(r *privacy.Record) (time.Time, bool) {
	if a.Event == "" {
		return r.Created, !r.Created.IsZero()
	}
	t, ok := r.Events[a.Event]
	return t, ok && !t.IsZero()
}

// round maps the source date to the anchor date.
func (a Anchor) round(d Date) Date {
	switch a.Round {
	case EndOfYear:
		return Date{d.Year, time.December, 31}
	case EndOfFinancialYear:
		ye := a.yearEnd()
		end := Date{d.Year, ye.Month, min(ye.Day, daysIn(d.Year, ye.Month))}
		if end.Before(d) {
			y := d.Year + 1
			end = Date{y, ye.Month, min(ye.Day, daysIn(y, ye.Month))}
		}
		return end
	}
	return d
}
