package retention_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

func TestNewPolicyRejectsBadRules(t *testing.T) {
	ok := retention.Rule{Name: "ok", Category: "invoice", Keep: retention.Years(1)}
	cases := []struct {
		name  string
		rules []retention.Rule
		msg   string
	}{
		{"empty name", []retention.Rule{{Category: "invoice", Keep: retention.Years(1)}}, "rule 1 (unnamed): empty name"},
		{"empty category", []retention.Rule{ok, {Name: "x", Keep: retention.Years(1)}}, "rule 2 (x): empty category"},
		{"negative keep period", []retention.Rule{{Name: "x", Category: "c", Keep: retention.Years(-1)}}, "negative keep period"},
		{"negative delete period", []retention.Rule{{Name: "x", Category: "c", Delete: retention.Days(-3)}}, "negative delete period"},
		{"zero periods", []retention.Rule{{Name: "x", Category: "c"}}, "zero keep and delete periods"},
		{"unknown anchor rounding", []retention.Rule{{Name: "x", Category: "c", Keep: retention.Years(1), Anchor: retention.Anchor{Round: 7}}}, "unknown anchor rounding"},
		{"financial year end that is no day", []retention.Rule{{Name: "x", Category: "c", Keep: retention.Years(1), Anchor: retention.Created.EndOfFinancialYear(retention.MonthDay{Month: 13, Day: 1})}}, "not a day of the year"},
		{"unknown mode", []retention.Rule{{Name: "x", Category: "c", Keep: retention.Years(1), Mode: 9}}, "unknown mode"},
		{"unknown zone", []retention.Rule{{Name: "x", Category: "c", Keep: retention.Years(1), Zone: "Mars/Olympus"}}, "time zone"},
		{"duplicate name", []retention.Rule{ok, ok}, "rule 2 (ok): same name as rule 1"},
		{"default rule naming a record", []retention.Rule{{Name: "x", Category: retention.AnyCategory, Record: "1", Keep: retention.Years(1)}}, "default rule cannot name a record"},
		{"storage limit before its own retention", []retention.Rule{{Name: "x", Category: "c", Keep: retention.Years(7), Delete: retention.Years(5)}}, "ends before keep period"},
		{
			"two compliance rules that contradict",
			[]retention.Rule{
				{Name: "max", Category: "cdd", Delete: retention.Years(5), Mode: retention.Compliance},
				{Name: "min", Category: "cdd", Keep: retention.Years(7), Mode: retention.Compliance},
			},
			`rule 1 (max): compliance rule requires disposal after P5Y, but compliance rule "min" requires keeping for P7Y`,
		},
		{
			"a compliance default rule contradicting a category rule",
			[]retention.Rule{
				{Name: "max", Category: retention.AnyCategory, Delete: retention.Months(18), Mode: retention.Compliance},
				{Name: "min", Category: "cdd", Keep: retention.Years(2), Mode: retention.Compliance},
			},
			"compliance rule requires disposal after P18M",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := retention.NewPolicy(tc.rules...)
			assert.Nil(t, p)
			require.Error(t, err)
			assert.ErrorIs(t, err, privacy.ErrInvalid)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestNewPolicyAllowsWhatDoesNotContradict(t *testing.T) {
	cases := map[string][]retention.Rule{
		"governance storage limit under compliance retention: retention wins at run time": {
			{Name: "max", Category: "cdd", Delete: retention.Years(5)},
			{Name: "min", Category: "cdd", Keep: retention.Years(7), Mode: retention.Compliance},
		},
		"compliance rules on different anchors are decided per record": {
			retention.DutchAML("cdd", nil), retention.DutchFiscal("cdd", nil),
		},
		"compliance rules on different categories": {
			{Name: "max", Category: "a", Delete: retention.Years(1), Mode: retention.Compliance},
			{Name: "min", Category: "b", Keep: retention.Years(7), Mode: retention.Compliance},
		},
	}
	for name, rules := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := retention.NewPolicy(rules...)
			assert.NoError(t, err)
		})
	}
}

func TestPolicyKeepsItsOwnCopyOfRules(t *testing.T) {
	fields := []string{"number", "amount"}
	rules := []retention.Rule{{Name: "k", Category: "invoice", Keep: retention.Years(1), Fields: fields}}
	p := policy(t, rules...)
	fields[0] = "changed"
	rules[0].Keep = retention.Years(99)
	got := p.Rules()
	assert.Equal(t, []string{"number", "amount"}, got[0].Fields)
	assert.Equal(t, retention.Years(1), got[0].Keep)
	got[0].Fields[0] = "changed again"
	r, ok := p.Rule("k")
	require.True(t, ok)
	assert.Equal(t, "number", r.Fields[0])
}

func TestGovernanceBypass(t *testing.T) {
	gov := retention.Rule{Name: "gov", Category: "ticket", Keep: retention.Years(10), Zone: "Europe/Amsterdam"}
	comp := retention.DutchFiscal("invoice", nil)
	p := policy(t, gov, comp)
	now := day(2022, 1, 1)

	ticket := rec("ticket", "t", day(2020, 1, 1), nil)
	d := p.Resolve(ticket, nil, now)
	assert.Equal(t, retention.Retain, d.Outcome)
	d = p.ResolveBypassing(ticket, nil, now)
	assert.Equal(t, retention.Due, d.Outcome, "a bypassed governance rule counts as ended")
	require.Len(t, d.Reasons(), 1)
	assert.Equal(t, retention.ReasonBypassed, d.Reasons()[0].Kind)

	invoice := rec("invoice", "i", day(2020, 1, 1), nil)
	d = p.ResolveBypassing(invoice, nil, now)
	assert.Equal(t, retention.Retain, d.Outcome, "a compliance rule cannot be bypassed")

	held := []retention.Hold{{ID: "h", Matter: "m", Scope: retention.SubjectScope("client-1")}}
	d = p.ResolveBypassing(ticket, held, now)
	assert.Equal(t, retention.Held, d.Outcome, "a bypass never lifts a hold")
}

func TestAmendOnlyExtendsComplianceRules(t *testing.T) {
	comp := retention.Rule{Name: "c", Category: "invoice", Keep: retention.Years(7), Mode: retention.Compliance}
	gov := retention.Rule{Name: "g", Category: "contact", Keep: retention.Years(2)}
	p := policy(t, comp, gov)

	longer := comp
	longer.Keep = retention.Years(10)
	_, err := p.Amend(longer)
	assert.NoError(t, err, "extending a compliance rule and dropping a governance rule is allowed")

	shorter := comp
	shorter.Keep = retention.Years(6)
	relaxed := comp
	relaxed.Mode = retention.Governance
	moved := comp
	moved.Anchor = retention.OnEvent("x")
	for name, rules := range map[string][]retention.Rule{
		"shortened":         {shorter, gov},
		"removed":           {gov},
		"made governance":   {relaxed, gov},
		"anchor moved":      {moved, gov},
		"invalid next rule": {{Name: "c"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.Amend(rules...)
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		})
	}
}

func TestDecisionHelpers(t *testing.T) {
	p := policy(t,
		retention.DutchFiscal("invoice", &retention.PresetOptions{Fields: []string{"number", "amount"}}),
		retention.Rule{Name: "extra", Category: "invoice", Keep: retention.Years(1), Fields: []string{"amount", "vat"}, Zone: "Europe/Amsterdam"},
	)
	r := rec("invoice", "1", day(2020, 3, 1), nil)
	d := p.Resolve(r, nil, day(2020, 6, 1))
	assert.Equal(t, []string{"number", "amount", "vat"}, d.Fields(), "the union of what every retaining rule needs")
	assert.ErrorIs(t, d.Err(), privacy.ErrRetained)
	assert.ErrorContains(t, d.Err(), "AWR art. 52 lid 4")

	held := p.Resolve(r, []retention.Hold{{ID: "h", Matter: "FIOD 2024-3", Scope: retention.CategoryScope("invoice")}}, day(2020, 6, 1))
	assert.Equal(t, []string{"FIOD 2024-3"}, held.Matters())
	assert.ErrorIs(t, held.Err(), privacy.ErrHeld)
	assert.Nil(t, held.Fields())

	none := p.Resolve(rec("note", "1", day(2020, 3, 1), nil), nil, day(2020, 6, 1))
	assert.ErrorIs(t, none.Err(), privacy.ErrRetained, "not due is not disposable")
}

func TestManyReasonsSpillOver(t *testing.T) {
	var rules []retention.Rule
	for i := range 6 {
		rules = append(rules, retention.Rule{Name: string(rune('a' + i)), Category: "c", Keep: retention.Years(i + 1)})
	}
	p := policy(t, rules...)
	d := p.Resolve(rec("c", "1", day(2020, 1, 1), nil), nil, day(2020, 6, 1))
	require.Len(t, d.Reasons(), 6)
	assert.Equal(t, "f", d.Rule.Name)
	assert.Equal(t, "f", d.Reasons()[5].Rule.Name)
}

func TestPeriodArithmetic(t *testing.T) {
	cases := []struct {
		from retention.Date
		p    retention.Period
		want retention.Date
	}{
		{retention.Date{Year: 2020, Month: time.February, Day: 29}, retention.Years(1), retention.Date{Year: 2021, Month: time.February, Day: 28}},
		{retention.Date{Year: 2019, Month: time.January, Day: 31}, retention.Months(1), retention.Date{Year: 2019, Month: time.February, Day: 28}},
		{retention.Date{Year: 2020, Month: time.January, Day: 31}, retention.Months(1), retention.Date{Year: 2020, Month: time.February, Day: 29}},
		{retention.Date{Year: 2019, Month: time.November, Day: 30}, retention.Months(3), retention.Date{Year: 2020, Month: time.February, Day: 29}},
		{retention.Date{Year: 2019, Month: time.December, Day: 31}, retention.Years(7), retention.Date{Year: 2026, Month: time.December, Day: 31}},
		{retention.Date{Year: 2019, Month: time.December, Day: 31}, retention.Days(1), retention.Date{Year: 2020, Month: time.January, Day: 1}},
		{retention.Date{Year: 2019, Month: time.January, Day: 31}, retention.Period{Months: 1, Days: 1}, retention.Date{Year: 2019, Month: time.March, Day: 1}},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.from.Add(tc.p), "%v + %v", tc.from, tc.p)
	}
	assert.Equal(t, retention.Date{Year: 2021, Month: time.January, Day: 1}, retention.Date{Year: 2020, Month: time.December, Day: 31}.Next())
	assert.Equal(t, retention.Date{Year: 2020, Month: time.March, Day: 1}, retention.Date{Year: 2020, Month: time.February, Day: 29}.Next())
}

func TestParsePeriod(t *testing.T) {
	good := map[string]retention.Period{
		"P7Y": retention.Years(7), "P18M": retention.Months(18), "P2W": retention.Days(14),
		"P1Y6M10D": {Years: 1, Months: 6, Days: 10}, "P1W2D": retention.Days(9),
	}
	for s, want := range good {
		got, err := retention.ParsePeriod(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "P", "7Y", "P-1Y", "PY", "P1D1Y", "P1Y1Y", "P1.5Y", "P1H"} {
		_, err := retention.ParsePeriod(s)
		assert.Error(t, err, s)
	}
	assert.Equal(t, "P1Y6M", retention.Period{Years: 1, Months: 6}.String())
	assert.Equal(t, "P0D", retention.Period{}.String())
}

func TestResolveDoesNotAllocateWithoutHolds(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	p := policy(t, retention.DutchFiscal("invoice", nil), retention.Rule{Name: "d", Category: "invoice", Delete: retention.Years(10), Zone: "Europe/Amsterdam"})
	r := rec("invoice", "1", day(2019, 3, 15), nil)
	now := day(2024, 1, 1)
	allocs := testing.AllocsPerRun(1000, func() {
		d := p.Resolve(r, nil, now)
		if d.Outcome != retention.Retain {
			t.Fatal(d.Outcome)
		}
	})
	assert.Zero(t, allocs)
}

func BenchmarkResolve(b *testing.B) {
	p, err := retention.NewPolicy(
		retention.DutchFiscal("invoice", nil),
		retention.DutchAML("invoice", nil),
		retention.Rule{Name: "contact", Category: "contact", Delete: retention.Years(2), Zone: "Europe/Amsterdam"},
	)
	require.NoError(b, err)
	records := make([]privacy.Record, 1024)
	for i := range records {
		created := day(2015, 1, 1).AddDate(0, 0, i*3)
		records[i] = *rec("invoice", "x", created, map[string]time.Time{privacy.EventContractEnded: created.AddDate(1, 0, 0)})
	}
	now := day(2024, 6, 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d := p.Resolve(&records[i&1023], nil, now)
		if d.Outcome > retention.Due {
			b.Fatal(d.Outcome)
		}
	}
}
