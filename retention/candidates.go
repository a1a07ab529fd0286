package retention

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Candidates bounds the records of one category a sweep must look at: none
// created at or after CreatedBefore can be due.
type Candidates struct {
	Category      privacy.Category
	CreatedBefore time.Time
}

// CandidateInventory is an optional interface of a [PagedInventory] that can
// walk only the records of one category created before an instant, so that a
// sweep neither reads nor locks the records that cannot be due. A SQL store
// filters in the statement; a [Sweeper] uses it when the policy can bound
// every category it must look at (see [Policy.Candidates]).
type CandidateInventory interface {
	PagedInventory
	// DisposeCandidatePage is DisposePage limited to the records of category
	// created before before: it handles up to size of them whose Ref is
	// greater than after, in Ref order, with the same atomicity, locking and
	// contract for decide. It returns the Ref of the page's last record and
	// the number of records in the page; an empty page ends a walk.
	DisposeCandidatePage(ctx context.Context, category privacy.Category, before time.Time, after privacy.Ref, size int,
		decide func(page []privacy.Record, holds [][]Hold) ([]privacy.Event, error)) (last privacy.Ref, n int, err error)
}

// boundMargin widens every bound, so that rounding to a day, month ends and
// zone offsets can only let more records through, never fewer.
const boundMargin = 3

// Candidates returns, for each category the policy names, a creation instant
// that no record due at now was made at or after, in category order. It
// returns false when it cannot bound every record that may be due: when a
// default rule applies to categories the policy does not name, when a rule
// is limited to one record, or when a storage limit or every retention of a
// category counts from an event, whose date creation says nothing about.
func (p *Policy) Candidates(now time.Time) ([]Candidates, bool) {
	if len(p.defaults.keep) > 0 || len(p.defaults.del) > 0 {
		return nil, false
	}
	out := make([]Candidates, 0, len(p.byCat))
	for cat, set := range p.byCat {
		if set.byRecord {
			return nil, false
		}
		var bound time.Time
		// A storage limit from creation can make a record due once
		// now > created + Delete; any of them may.
		for _, c := range set.del {
			if c.rule.Anchor.Event != "" {
				return nil, false
			}
			bound = later(bound, before(now, c, c.rule.Delete))
		}
		// Ended retention needs every retention rule ended; one that counts
		// from creation bounds it.
		var retained time.Time
		fromCreation := false
		for _, c := range set.keep {
			if c.rule.Anchor.Event != "" {
				continue
			}
			b := before(now, c, c.rule.Keep)
			if !fromCreation || b.Before(retained) {
				retained = b
			}
			fromCreation = true
		}
		switch {
		case len(set.keep) > 0 && !fromCreation:
			return nil, false
		case fromCreation:
			bound = later(bound, retained)
		}
		out = append(out, Candidates{Category: cat, CreatedBefore: bound})
	}
	slices.SortFunc(out, func(a, b Candidates) int { return cmp.Compare(a.Category, b.Category) })
	return out, true
}

// before is the first instant of the day boundMargin days after now's date
// less p, in the rule's zone: a record created then or later has not reached
// the end of p.
func before(now time.Time, c compiled, p Period) time.Time {
	d := DateOf(now, c.loc).Add(Period{Years: -p.Years, Months: -p.Months, Days: -p.Days})
	return d.Add(Days(boundMargin)).Start(c.loc)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
