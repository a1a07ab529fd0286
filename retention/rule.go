package retention

import (
	"fmt"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// AnyCategory as a rule's category makes it a default rule: it applies to
// records of every category.
const AnyCategory privacy.Category = "*"

// Mode says whether a rule can be overridden.
type Mode uint8

const (
	// Governance rules can be overridden by an explicit bypass, which is audited.
	Governance Mode = iota
	// Compliance rules cannot be bypassed, and a later policy may only extend them.
	Compliance
)

// String returns "governance" or "compliance".
func (m Mode) String() string {
	switch m {
	case Governance:
		return "governance"
	case Compliance:
		return "compliance"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Rule is one retention or storage-limitation obligation.
//
// A rule with Keep requires records to be kept through the last day of Keep,
// counted from Anchor. A rule with Delete requires records to be disposed of
// from the day after Delete, counted from the same anchor. A rule may have both
// (a minimum and a maximum, as for Wwft records).
type Rule struct {
	// Name identifies the rule in decisions, reports and audit entries. It is
	// unique within a policy.
	Name string
	// Category is the records' category, or AnyCategory for a default rule.
	Category privacy.Category
	// Record, when set, limits the rule to the record of Category with this ID.
	Record string
	// Keep is the minimum retention period; zero for a pure deletion rule.
	Keep Period
	// Anchor is where Keep and Delete are counted from.
	Anchor Anchor
	// Delete is the storage limit; zero when the rule sets none.
	Delete Period
	// Fields are the fields the obligation needs. Erasure masks every other
	// personal field of a retained record.
	Fields []string
	// Basis is the legal source, such as "AWR art. 52 lid 4".
	Basis string
	// Mode says whether the rule can be bypassed.
	Mode Mode
	// Zone is the IANA time zone in which days are counted, such as
	// "Europe/Amsterdam"; "" is UTC.
	Zone string
}

// level orders rules by how specific they are, for deletion precedence.
func (r *Rule) level() int {
	switch {
	case r.Record != "":
		return 2
	case r.Category == AnyCategory:
		return 0
	}
	return 1
}

func (r *Rule) applies(rec *privacy.Record) bool {
	return r.Record == "" || r.Record == rec.Ref.ID
}

func (r *Rule) check() (*time.Location, error) {
	switch {
	case r.Name == "":
		return nil, fmt.Errorf("empty name")
	case r.Category == "":
		return nil, fmt.Errorf("empty category (use %q for a default rule)", AnyCategory)
	case r.Category == AnyCategory && r.Record != "":
		return nil, fmt.Errorf("a default rule cannot name a record")
	case r.Keep.Negative():
		return nil, fmt.Errorf("negative keep period %v", r.Keep)
	case r.Delete.Negative():
		return nil, fmt.Errorf("negative delete period %v", r.Delete)
	case r.Keep.IsZero() && r.Delete.IsZero():
		return nil, fmt.Errorf("zero keep and delete periods: the rule would say nothing")
	case r.Mode > Compliance:
		return nil, fmt.Errorf("unknown mode %d", r.Mode)
	}
	if err := r.Anchor.validate(); err != nil {
		return nil, err
	}
	if !r.Keep.IsZero() && !r.Delete.IsZero() && shorter(r.Delete, r.Keep) {
		return nil, fmt.Errorf("delete period %v ends before keep period %v", r.Delete, r.Keep)
	}
	loc, err := time.LoadLocation(r.Zone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %v (a program without system zone data can import time/tzdata)", r.Zone, err)
	}
	return loc, nil
}

// shorter reports whether a ends before b for some anchor date. Months and
// days do not compare exactly, so both are tried from a set of dates that
// covers month ends and leap years.
func shorter(a, b Period) bool {
	for _, d := range referenceDates {
		if d.Add(a).Before(d.Add(b)) {
			return true
		}
	}
	return false
}

var referenceDates = [...]Date{
	{2000, time.January, 31}, {2000, time.February, 29}, {2001, time.February, 28},
	{2001, time.March, 31}, {2001, time.April, 30}, {2003, time.December, 31},
}
