package retention

import "github.com/smartbooqing/steward/privacy"

// Zone in which the Dutch presets count days.
const DutchZone = "Europe/Amsterdam"

// EventEmploymentEnded is the event the payroll preset counts from.
const EventEmploymentEnded = "employment.ended"

// PresetOptions adapts a preset to a host. The zero value gives the statutory
// default.
type PresetOptions struct {
	// Name overrides the rule's name; "" gives "<preset>:<category>", such as
	// "nl-fiscal:invoice".
	Name string
	// Fields are the fields the obligation needs; erasure masks the other
	// personal fields of a retained record.
	Fields []string
	// Event overrides the event a preset counts from. For DutchFiscal it
	// marks a record that keeps current value (a running contract): the
	// period then counts from the end of the financial year in which that
	// event happened, and the record is kept while it has not.
	Event string
	// YearEnd is the last day of the financial year, for DutchFiscal; zero is
	// 31 December.
	YearEnd MonthDay
	// Governance makes the rule a governance rule, which an audited bypass can
	// override. Presets are compliance rules by default.
	Governance bool
}

func preset(name string, category privacy.Category, opts *PresetOptions, r Rule) Rule {
	var o PresetOptions
	if opts != nil {
		o = *opts
	}
	r.Name = name + ":" + string(category)
	if o.Name != "" {
		r.Name = o.Name
	}
	r.Category = category
	r.Fields = append([]string(nil), o.Fields...)
	r.Zone = DutchZone
	r.Mode = Compliance
	if o.Governance {
		r.Mode = Governance
	}
	return r
}

func eventOr(opts *PresetOptions, def string) string {
	if opts != nil && opts.Event != "" {
		return opts.Event
	}
	return def
}

// DutchFiscal keeps records for seven years from the end of the financial year
// in which they were made or, for a record that keeps current value, in which
// it lost it (PresetOptions.Event) — AWR art. 52 lid 4. An invoice of 15 March
// 2019 is kept through 31 December 2026 and may be disposed of from 1 January
// 2027, 00:00 Europe/Amsterdam.
func DutchFiscal(category privacy.Category, opts *PresetOptions) Rule {
	anchor := Created
	if ev := eventOr(opts, ""); ev != "" {
		anchor = OnEvent(ev)
	}
	var ye MonthDay
	if opts != nil {
		ye = opts.YearEnd
	}
	return preset("nl-fiscal", category, opts, Rule{
		Keep: Years(7), Anchor: anchor.EndOfFinancialYear(ye), Basis: "AWR art. 52 lid 4",
	})
}

// DutchRealEstate keeps records of immovable property for the nine years
// following the year of first use (event privacy.EventFirstUse) — Wet OB 1968
// art. 34a. First use in April 2022: kept through 31 December 2031.
func DutchRealEstate(category privacy.Category, opts *PresetOptions) Rule {
	return preset("nl-real-estate", category, opts, Rule{
		Keep: Years(9), Anchor: OnEvent(eventOr(opts, privacy.EventFirstUse)).EndOfYear(),
		Basis: "Wet OB 1968 art. 34a",
	})
}

// DutchOSS keeps records of transactions under the VAT one-stop-shop schemes
// for ten years from the end of the year of the transaction (the record's
// creation, or PresetOptions.Event) — Wet OB 1968 art. 28rl, 28sj, 28tn. A
// transaction of 3 July 2021 is kept through 31 December 2031.
func DutchOSS(category privacy.Category, opts *PresetOptions) Rule {
	anchor := Created
	if ev := eventOr(opts, ""); ev != "" {
		anchor = OnEvent(ev)
	}
	return preset("nl-oss", category, opts, Rule{
		Keep: Years(10), Anchor: anchor.EndOfYear(), Basis: "Wet OB 1968 art. 28rl, 28sj, 28tn",
	})
}

// DutchPayroll keeps payroll records for five years after the end of the
// calendar year in which employment ended (event EventEmploymentEnded) — URLB
// 2011 art. 7.5 lid 4, 7.9 lid 2. Employment ended 31 August 2020: kept
// through 31 December 2025.
func DutchPayroll(category privacy.Category, opts *PresetOptions) Rule {
	return preset("nl-payroll", category, opts, Rule{
		Keep: Years(5), Anchor: OnEvent(eventOr(opts, EventEmploymentEnded)).EndOfYear(),
		Basis: "URLB 2011 art. 7.5 lid 4, 7.9 lid 2",
	})
}

// DutchAML keeps customer due diligence records for five years after the end
// of the business relationship (event privacy.EventContractEnded), counted by
// date, and then requires their destruction — Wwft art. 33 lid 3. Relationship
// ended 10 June 2020: kept through 10 June 2025, to be destroyed from 11 June
// 2025. Where a longer retention applies to the same record, it wins
// (retention beats a storage limit).
func DutchAML(category privacy.Category, opts *PresetOptions) Rule {
	return preset("nl-aml", category, opts, Rule{
		Keep: Years(5), Delete: Years(5), Anchor: OnEvent(eventOr(opts, privacy.EventContractEnded)),
		Basis: "Wwft art. 33 lid 3",
	})
}
