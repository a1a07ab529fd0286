package retention_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

var ams = mustZone("Europe/Amsterdam")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func at(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, ams)
}

func day(y int, m time.Month, d int) time.Time { return at(y, m, d, 0, 0, 0) }

func rec(cat privacy.Category, id string, created time.Time, events map[string]time.Time) *privacy.Record {
	return &privacy.Record{Ref: privacy.Ref{Category: cat, ID: id}, Subject: "client-1", Created: created, Events: events}
}

func policy(t *testing.T, rules ...retention.Rule) *retention.Policy {
	t.Helper()
	p, err := retention.NewPolicy(rules...)
	require.NoError(t, err)
	return p
}

type reasonView struct {
	Kind    retention.ReasonKind
	Rule    string
	Hold    string
	Matter  string
	Event   string
	Through string
}

func view(d retention.Decision) []reasonView {
	var out []reasonView
	for _, r := range d.Reasons() {
		v := reasonView{Kind: r.Kind, Hold: r.Hold, Matter: r.Matter, Event: r.Event}
		if r.Rule != nil {
			v.Rule = r.Rule.Name
		}
		if !r.Through.IsZero() {
			v.Through = r.Through.String()
		}
		out = append(out, v)
	}
	return out
}

func TestPresets(t *testing.T) {
	cases := []struct {
		name    string
		rule    retention.Rule
		record  *privacy.Record
		through string    // the last day kept
		from    time.Time // the first instant the record may go
	}{
		{
			name:    "fiscal: invoice of 15 March 2019 kept through 2026 (AWR art. 52 lid 4)",
			rule:    retention.DutchFiscal("invoice", nil),
			record:  rec("invoice", "2019-17", at(2019, 3, 15, 14, 0, 0), nil),
			through: "2026-12-31", from: day(2027, 1, 1),
		},
		{
			name:    "fiscal: invoice made on new year's eve late at night in Amsterdam counts in Amsterdam",
			rule:    retention.DutchFiscal("invoice", nil),
			record:  rec("invoice", "2019-99", time.Date(2019, 12, 31, 23, 30, 0, 0, time.UTC), nil), // 1 January 2020 00:30 in Amsterdam
			through: "2027-12-31", from: day(2028, 1, 1),
		},
		{
			name:    "fiscal: running contract counts from the year it lost current value",
			rule:    retention.DutchFiscal("contract", &retention.PresetOptions{Event: privacy.EventContractEnded}),
			record:  rec("contract", "c1", day(2015, 2, 1), map[string]time.Time{privacy.EventContractEnded: day(2021, 6, 30)}),
			through: "2028-12-31", from: day(2029, 1, 1),
		},
		{
			name:    "fiscal: financial year ending 30 June",
			rule:    retention.DutchFiscal("invoice", &retention.PresetOptions{YearEnd: retention.MonthDay{Month: time.June, Day: 30}}),
			record:  rec("invoice", "fy", day(2019, 8, 1), nil),
			through: "2027-06-30", from: day(2027, 7, 1),
		},
		{
			name:    "real estate: first use in April 2022 kept through 2031 (Wet OB 1968 art. 34a)",
			rule:    retention.DutchRealEstate("property", nil),
			record:  rec("property", "p1", day(2021, 11, 3), map[string]time.Time{privacy.EventFirstUse: day(2022, 4, 12)}),
			through: "2031-12-31", from: day(2032, 1, 1),
		},
		{
			name:    "OSS: transaction of 3 July 2021 kept ten years after that year (Wet OB 1968 art. 28rl)",
			rule:    retention.DutchOSS("oss", nil),
			record:  rec("oss", "t1", day(2021, 7, 3), nil),
			through: "2031-12-31", from: day(2032, 1, 1),
		},
		{
			name:    "payroll: employment ended 31 August 2020 kept five years after that year (URLB art. 7.5)",
			rule:    retention.DutchPayroll("payroll", nil),
			record:  rec("payroll", "e1", day(2018, 1, 1), map[string]time.Time{retention.EventEmploymentEnded: day(2020, 8, 31)}),
			through: "2025-12-31", from: day(2026, 1, 1),
		},
		{
			name:    "AML: relationship ended 10 June 2020 kept five years by date (Wwft art. 33 lid 3)",
			rule:    retention.DutchAML("cdd", nil),
			record:  rec("cdd", "k1", day(2019, 1, 1), map[string]time.Time{privacy.EventContractEnded: day(2020, 6, 10)}),
			through: "2025-06-10", from: day(2025, 6, 11),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := policy(t, tc.rule)
			before := p.Resolve(tc.record, nil, tc.from.Add(-time.Second))
			assert.Equal(t, retention.Retain, before.Outcome, "one second before")
			assert.True(t, tc.from.Equal(before.Until), "until %v, want %v", before.Until, tc.from)
			require.NotEmpty(t, before.Reasons())
			assert.Equal(t, tc.through, before.Reasons()[0].Through.String())
			assert.True(t, tc.from.Equal(before.Reasons()[0].From()))
			assert.Equal(t, tc.rule.Basis, before.Rule.Basis)

			after := p.Resolve(tc.record, nil, tc.from)
			assert.Equal(t, retention.Due, after.Outcome, "at the first instant after the period")
			assert.NoError(t, after.Err())
		})
	}
}

func TestPresetsCarryTheirLegalSources(t *testing.T) {
	want := map[string]string{
		"nl-fiscal:x":      "AWR art. 52 lid 4",
		"nl-real-estate:x": "Wet OB 1968 art. 34a",
		"nl-oss:x":         "Wet OB 1968 art. 28rl, 28sj, 28tn",
		"nl-payroll:x":     "URLB 2011 art. 7.5 lid 4, 7.9 lid 2",
		"nl-aml:x":         "Wwft art. 33 lid 3",
	}
	for _, r := range []retention.Rule{
		retention.DutchFiscal("x", nil), retention.DutchRealEstate("x", nil), retention.DutchOSS("x", nil),
		retention.DutchPayroll("x", nil), retention.DutchAML("x", nil),
	} {
		assert.Equal(t, want[r.Name], r.Basis, r.Name)
		assert.Equal(t, "Europe/Amsterdam", r.Zone, r.Name)
		assert.Equal(t, retention.Compliance, r.Mode, r.Name)
	}
	// All five presets on one category make a valid policy.
	_, err := retention.NewPolicy(retention.DutchFiscal("x", nil), retention.DutchRealEstate("x", nil), retention.DutchOSS("x", nil),
		retention.DutchPayroll("x", nil), retention.DutchAML("x", nil))
	require.NoError(t, err)
}

func TestResolvePrecedence(t *testing.T) {
	keep := func(name string, cat privacy.Category, years int) retention.Rule {
		return retention.Rule{Name: name, Category: cat, Keep: retention.Years(years), Basis: name, Zone: "Europe/Amsterdam"}
	}
	del := func(name string, cat privacy.Category, record string, years int) retention.Rule {
		return retention.Rule{Name: name, Category: cat, Record: record, Delete: retention.Years(years), Basis: name, Zone: "Europe/Amsterdam"}
	}
	created := day(2020, 5, 1)
	hold := func(id string, s retention.Scope) retention.Hold {
		return retention.Hold{ID: id, Matter: "matter-" + id, Ground: retention.GroundCourtOrder, Scope: s, PlacedBy: "op", PlacedAt: created}
	}
	released := hold("h-old", retention.SubjectScope("client-1"))
	released.ReleasedAt, released.ReleasedBy = day(2021, 1, 1), "op"

	cases := []struct {
		name    string
		rules   []retention.Rule
		record  *privacy.Record
		holds   []retention.Hold
		now     time.Time
		outcome retention.Outcome
		until   time.Time
		rule    string
		reasons []reasonView
	}{
		{
			name:    "1: an active hold keeps a record whose retention has ended, with no end",
			rules:   []retention.Rule{keep("k1", "invoice", 1)},
			record:  rec("invoice", "1", created, nil),
			holds:   []retention.Hold{hold("h1", retention.RecordScope(privacy.Ref{Category: "invoice", ID: "1"})), hold("h2", retention.SubjectScope("client-1"))},
			now:     day(2030, 1, 1),
			outcome: retention.Held,
			reasons: []reasonView{{Kind: retention.ReasonHold, Hold: "h1", Matter: "matter-h1"}, {Kind: retention.ReasonHold, Hold: "h2", Matter: "matter-h2"}},
		},
		{
			name:    "1: a released hold, or one of another scope, does not keep the record",
			rules:   []retention.Rule{keep("k1", "invoice", 1)},
			record:  rec("invoice", "1", created, nil),
			holds:   []retention.Hold{released, hold("h3", retention.SubjectScope("client-2")), hold("h4", retention.CategoryScope("order"))},
			now:     day(2030, 1, 1),
			outcome: retention.Due, until: day(2021, 5, 2), rule: "k1",
			reasons: []reasonView{{Kind: retention.ReasonRetentionEnded, Rule: "k1", Through: "2021-05-01"}},
		},
		{
			name:    "1: a category hold keeps the record",
			rules:   []retention.Rule{del("d1", "invoice", "", 1)},
			record:  rec("invoice", "1", created, nil),
			holds:   []retention.Hold{hold("h5", retention.CategoryScope("invoice"))},
			now:     day(2030, 1, 1),
			outcome: retention.Held,
			reasons: []reasonView{{Kind: retention.ReasonHold, Hold: "h5", Matter: "matter-h5"}},
		},
		{
			name:    "2: retention wins over a storage limit that has passed",
			rules:   []retention.Rule{keep("k7", "invoice", 7), del("d1", "invoice", "", 1)},
			record:  rec("invoice", "1", created, nil),
			now:     day(2023, 1, 1),
			outcome: retention.Retain, until: day(2027, 5, 2), rule: "k7",
			reasons: []reasonView{{Kind: retention.ReasonRetention, Rule: "k7", Through: "2027-05-01"}, {Kind: retention.ReasonDeletionOverridden, Rule: "d1"}},
		},
		{
			name:    "3: the longest retention wins",
			rules:   []retention.Rule{keep("k5", "invoice", 5), keep("k7", "invoice", 7), keep("k2", retention.AnyCategory, 2)},
			record:  rec("invoice", "1", created, nil),
			now:     day(2021, 1, 1),
			outcome: retention.Retain, until: day(2027, 5, 2), rule: "k7",
			reasons: []reasonView{
				{Kind: retention.ReasonRetention, Rule: "k5", Through: "2025-05-01"},
				{Kind: retention.ReasonRetention, Rule: "k7", Through: "2027-05-01"},
				{Kind: retention.ReasonRetention, Rule: "k2", Through: "2022-05-01"},
			},
		},
		{
			name:    "4: a record rule beats a category rule beats the default, even when longer",
			rules:   []retention.Rule{del("default", retention.AnyCategory, "", 1), del("cat", "invoice", "", 3), del("rec", "invoice", "1", 5)},
			record:  rec("invoice", "1", created, nil),
			now:     day(2024, 1, 1),
			outcome: retention.NotDue, until: day(2025, 5, 2), rule: "rec",
			reasons: []reasonView{{Kind: retention.ReasonDeletionOverridden, Rule: "default"}, {Kind: retention.ReasonDeletionOverridden, Rule: "cat"}, {Kind: retention.ReasonDeletion, Rule: "rec", Through: "2025-05-01"}},
		},
		{
			name:    "4: a category rule beats the default for the category's other records",
			rules:   []retention.Rule{del("default", retention.AnyCategory, "", 1), del("cat", "invoice", "", 3), del("rec", "invoice", "1", 5)},
			record:  rec("invoice", "2", created, nil),
			now:     day(2024, 1, 1),
			outcome: retention.Due, until: day(2023, 5, 2), rule: "cat",
			reasons: []reasonView{{Kind: retention.ReasonDeletionOverridden, Rule: "default"}, {Kind: retention.ReasonDeletion, Rule: "cat", Through: "2023-05-01"}},
		},
		{
			name:    "4: the default rule applies to a category no rule names",
			rules:   []retention.Rule{del("default", retention.AnyCategory, "", 1), del("cat", "invoice", "", 3)},
			record:  rec("note", "n", created, nil),
			now:     day(2021, 5, 2),
			outcome: retention.Due, until: day(2021, 5, 2), rule: "default",
			reasons: []reasonView{{Kind: retention.ReasonDeletion, Rule: "default", Through: "2021-05-01"}},
		},
		{
			name:    "5: the shortest storage limit wins among rules of one level",
			rules:   []retention.Rule{del("d3", "contact", "", 3), del("d2", "contact", "", 2)},
			record:  rec("contact", "1", created, nil),
			now:     day(2021, 1, 1),
			outcome: retention.NotDue, until: day(2022, 5, 2), rule: "d2",
			reasons: []reasonView{{Kind: retention.ReasonDeletion, Rule: "d3", Through: "2023-05-01"}, {Kind: retention.ReasonDeletion, Rule: "d2", Through: "2022-05-01"}},
		},
		{
			name:    "a pending anchor event keeps the record indefinitely",
			rules:   []retention.Rule{retention.DutchFiscal("contract", &retention.PresetOptions{Event: privacy.EventContractEnded}), del("d1", "contract", "", 1)},
			record:  rec("contract", "c", created, nil),
			now:     day(2040, 1, 1),
			outcome: retention.Retain, rule: "nl-fiscal:contract",
			reasons: []reasonView{{Kind: retention.ReasonPending, Rule: "nl-fiscal:contract", Event: privacy.EventContractEnded}, {Kind: retention.ReasonDeletionOverridden, Rule: "d1"}},
		},
		{
			name:    "a missing creation date keeps the record",
			rules:   []retention.Rule{keep("k1", "invoice", 1)},
			record:  rec("invoice", "1", time.Time{}, nil),
			now:     day(2040, 1, 1),
			outcome: retention.Retain, rule: "k1",
			reasons: []reasonView{{Kind: retention.ReasonMissingData, Rule: "k1"}},
		},
		{
			name:    "a pending event does not start a storage limit",
			rules:   []retention.Rule{{Name: "d", Category: "lead", Delete: retention.Years(1), Anchor: retention.OnEvent("contact.last")}},
			record:  rec("lead", "1", created, nil),
			now:     day(2040, 1, 1),
			outcome: retention.NotDue,
			reasons: []reasonView{{Kind: retention.ReasonPending, Rule: "d", Event: "contact.last"}},
		},
		{
			name:    "no rule: not due, and said so",
			rules:   []retention.Rule{keep("k1", "invoice", 1)},
			record:  rec("note", "1", created, nil),
			now:     day(2040, 1, 1),
			outcome: retention.NotDue,
			reasons: []reasonView{{Kind: retention.ReasonNoRule}},
		},
		{
			name:    "a record rule does not apply to other records of its category",
			rules:   []retention.Rule{{Name: "r", Category: "invoice", Record: "9", Keep: retention.Years(50)}},
			record:  rec("invoice", "1", created, nil),
			now:     day(2030, 1, 1),
			outcome: retention.NotDue,
			reasons: []reasonView{{Kind: retention.ReasonNoRule}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := policy(t, tc.rules...)
			d := p.Resolve(tc.record, tc.holds, tc.now)
			assert.Equal(t, tc.outcome, d.Outcome)
			assert.True(t, tc.until.Equal(d.Until), "until %v, want %v", d.Until, tc.until)
			if tc.rule == "" {
				assert.Nil(t, d.Rule)
			} else if assert.NotNil(t, d.Rule) {
				assert.Equal(t, tc.rule, d.Rule.Name)
			}
			if tc.reasons != nil {
				assert.Empty(t, cmp.Diff(tc.reasons, view(d)))
			}
		})
	}
}
