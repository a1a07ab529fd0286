// Package retention decides how long records are kept and disposes of them
// when they may go: retention rules with their legal sources, the Dutch
// statutory presets, legal holds, and sweeps.
//
// # Basics
//
// A [Rule] says, for one category (or one record, or every category), how
// long records must be kept (Keep), when they must be gone (Delete), from which
// date both are counted (an [Anchor]), which fields the obligation needs, and
// the legal source. [NewPolicy] validates a set of rules;
// [Policy.Resolve] decides, for one record at one instant, whether it is held,
// retained (until when), due for disposal, or not due — and gives every reason.
//
//	policy, err := retention.NewPolicy(
//		retention.DutchFiscal("invoice", &retention.PresetOptions{Fields: []string{"number", "amount", "vat"}}),
//		retention.Rule{Name: "leads", Category: "lead", Delete: retention.Months(18), Zone: retention.DutchZone},
//	)
//	d := policy.Resolve(&record, holds, time.Now())
//	// d.Outcome, d.Until, d.Reasons()
//
// # Counting
//
// Periods are counted in civil dates in the rule's zone, never in hours. An
// anchor is the record's creation or a named event, optionally rounded to the
// end of its calendar or financial year. A period is kept through its last
// day: an invoice of 15 March 2019 under [DutchFiscal] is kept through 31
// December 2026 and may be disposed of from 1 January 2027, 00:00
// Europe/Amsterdam. Adding years or months clamps to the end of the month.
// A rule whose anchor event has not happened yet, or whose anchor date is
// missing, keeps the record.
//
// # Precedence
//
//  1. an active legal hold keeps the record, with no end;
//  2. retention wins over a storage limit;
//  3. the longest retention wins;
//  4. for storage limits, a record rule beats a category rule beats a default rule;
//  5. the shortest storage limit wins among the rest.
//
// Compliance rules cannot be bypassed and [Policy.Amend] refuses to shorten
// them; governance rules yield to an explicit, audited bypass
// ([Policy.ResolveBypassing], [ExecuteOptions.Bypass]).
//
// # Holds
//
// A [Hold] covers a subject, a category or one record. [Holds] places and
// releases them, writing an audit event for each, over a [HoldStore].
//
// # Sweeps
//
// A [Sweeper] walks an [Inventory]. [Sweeper.Plan] is a dry run that lists
// what is due with its reasons; [Sweeper.Execute] disposes of it, re-deciding
// each record inside the inventory's atomic [Inventory.Dispose] so that a hold
// placed mid-sweep wins, collecting refusals instead of stopping, honouring a
// cap, and writing one tombstone audit event (no content) per disposal.
// Running it again disposes of nothing more.
//
// Two optional interfaces make sweeps fast: a [PagedInventory] decides and
// disposes of a page of records in one atomic step, and a
// [CandidateInventory] walks only the records that can be due, by the
// creation bound [Policy.Candidates] gives each category.
//
// [MemoryStore] is the in-memory inventory and hold store, one mutex over
// both; package sqlstore provides them over SQLite and PostgreSQL, and package
// storetest checks any implementation.
//
// # Caveats
//
// Resolve takes the holds to consider as an argument and does no I/O; the
// caller is responsible for passing the holds that may cover the record (a
// Sweeper loads them once per run, and re-reads them per record at disposal).
// Rules name their time zone; "" is UTC. A program running where the system
// has no zone database must import time/tzdata for the Dutch presets.
package retention
