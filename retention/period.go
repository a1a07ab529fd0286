package retention

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is a span of calendar time: years, months and days. Adding a period
// to a date clamps at the end of the month, so 29 February plus one year is
// 28 February, never 1 March. The zero Period means "none".
type Period struct {
	Years, Months, Days int
}

// Years returns a period of n years.
func Years(n int) Period { return Period{Years: n} }

// Months returns a period of n months.
func Months(n int) Period { return Period{Months: n} }

// Days returns a period of n days.
func Days(n int) Period { return Period{Days: n} }

// IsZero reports whether p is the zero period.
func (p Period) IsZero() bool { return p == Period{} }

// Negative reports whether any part of p is negative.
func (p Period) Negative() bool { return p.Years < 0 || p.Months < 0 || p.Days < 0 }

// String returns p in ISO 8601 form, such as "P7Y" or "P1Y6M"; "P0D" for zero.
func (p Period) String() string {
	if p.IsZero() {
		return "P0D"
	}
	var b strings.Builder
	b.WriteByte('P')
	for _, part := range []struct {
		n    int
		unit byte
	}{{p.Years, 'Y'}, {p.Months, 'M'}, {p.Days, 'D'}} {
		if part.n != 0 {
			b.WriteString(strconv.Itoa(part.n))
			b.WriteByte(part.unit)
		}
	}
	return b.String()
}

// ParsePeriod parses an ISO 8601 period of years, months, weeks and days, such
// as "P7Y", "P18M" or "P2W"; weeks become days.
func ParsePeriod(s string) (Period, error) {
	bad := func(msg string) (Period, error) {
		return Period{}, fmt.Errorf("period %q: %s (want ISO 8601 such as P7Y, P6M or P30D)", s, msg)
	}
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return bad("must start with P and name at least one part")
	}
	var p Period
	seen := ""
	for rest != "" {
		i := strings.IndexAny(rest, "YMWD")
		if i <= 0 {
			return bad("each number must be followed by Y, M, W or D")
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 {
			return bad("parts must be whole non-negative numbers")
		}
		unit := rest[i]
		if strings.IndexByte(seen, unit) >= 0 || (seen != "" && strings.IndexByte("YMWD", unit) < strings.IndexByte("YMWD", seen[len(seen)-1])) {
			return bad("parts must appear once, in the order Y, M, W, D")
		}
		seen += string(unit)
		switch unit {
		case 'Y':
			p.Years = n
		case 'M':
			p.Months = n
		case 'W':
			p.Days += 7 * n
		case 'D':
			p.Days += n
		}
		rest = rest[i+1:]
	}
	return p, nil
}

// Date is a civil date, without a time or a zone: the unit in which statutory
// periods are counted ("kept through 31 December 2026").
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// String returns the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmp.Compare(d.Year, e.Year)
	case d.Month != e.Month:
		return cmp.Compare(d.Month, e.Month)
	default:
		return cmp.Compare(d.Day, e.Day)
	}
}

// Add returns d plus p: years and months first, clamped to the end of the
// month, then days.
func (d Date) Add(p Period) Date {
	months := int(d.Month) - 1 + p.Months
	y := d.Year + p.Years + floorDiv(months, 12)
	m := time.Month(floorMod(months, 12) + 1)
	day := min(d.Day, daysIn(y, m))
	if p.Days == 0 {
		return Date{y, m, day}
	}
	return fromTime(time.Date(y, m, day+p.Days, 0, 0, 0, 0, time.UTC))
}

// Start returns the first instant of d in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Next returns the day after d.
func (d Date) Next() Date {
	if d.Day < daysIn(d.Year, d.Month) {
		return Date{d.Year, d.Month, d.Day + 1}
	}
	if d.Month < time.December {
		return Date{d.Year, d.Month + 1, 1}
	}
	return Date{d.Year + 1, time.January, 1}
}

func fromTime(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }
