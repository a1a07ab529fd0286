package retention

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Policy is an immutable, validated set of rules. It is safe for concurrent use.
type Policy struct {
	rules    []Rule
	compiled []compiled
	byCat    map[privacy.Category]*ruleSet
	defaults *ruleSet // rules for categories no rule names
}

type compiled struct {
	rule  *Rule
	loc   *time.Location
	today *today // shared by every rule of the same zone
}

// today caches the civil date of a recent instant in one zone, so that a sweep
// resolving a million records at one "now" converts it once.
type today struct {
	loc *time.Location
	day atomic.Pointer[dayRange]
}

type dayRange struct {
	start, end int64 // Unix seconds: [start, end) is the day
	date       Date
}

func (z *today) date(now time.Time) Date {
	sec := now.Unix()
	if d := z.day.Load(); d != nil && sec >= d.start && sec < d.end {
		return d.date
	}
	date := DateOf(now, z.loc)
	d := &dayRange{start: date.Start(z.loc).Unix(), end: date.Next().Start(z.loc).Unix(), date: date}
	z.day.Store(d)
	return d.date
}

// ruleSet holds the rules that apply to one category, default rules included.
type ruleSet struct {
	keep     []compiled // rules with a Keep period
	del      []compiled // rules with a Delete period
	byRecord bool       // some rule is limited to one record
}

// NewPolicy validates rules and returns the policy. It rejects a rule with an
// empty name or category, a duplicate name, a negative or an all-zero period,
// a delete period shorter than its own keep period, an unknown anchor, mode or
// zone, and two compliance rules that contradict: one requiring disposal
// before another, counted from the same anchor, allows it. The error names the
// rule and wraps [privacy.ErrInvalid].
func NewPolicy(rules ...Rule) (*Policy, error) {
	p := &Policy{
		rules:    make([]Rule, len(rules)),
		compiled: make([]compiled, len(rules)),
		byCat:    make(map[privacy.Category]*ruleSet),
	}
	names := make(map[string]int, len(rules))
	zones := make(map[*time.Location]*today)
	for i, r := range rules {
		r.Fields = append([]string(nil), r.Fields...)
		p.rules[i] = r
		loc, err := p.rules[i].check()
		if err == nil {
			if j, dup := names[r.Name]; dup {
				err = fmt.Errorf("same name as rule %d", j+1)
			}
		}
		if err != nil {
			return nil, invalidRule(i, r, err)
		}
		names[r.Name] = i
		if zones[loc] == nil {
			zones[loc] = &today{loc: loc}
		}
		p.compiled[i] = compiled{rule: &p.rules[i], loc: loc, today: zones[loc]}
	}
	for i, a := range p.rules {
		for j, b := range p.rules {
			if i == j || a.Mode != Compliance || b.Mode != Compliance || a.Delete.IsZero() || b.Keep.IsZero() {
				continue
			}
			overlap := a.Category == b.Category || a.Category == AnyCategory || b.Category == AnyCategory
			overlap = overlap && (a.Record == "" || b.Record == "" || a.Record == b.Record)
			if overlap && a.Anchor == b.Anchor && shorter(a.Delete, b.Keep) {
				return nil, invalidRule(i, a, fmt.Errorf("compliance rule requires disposal after %v, but compliance rule %q requires keeping for %v from the same anchor", a.Delete, b.Name, b.Keep))
			}
		}
	}
	p.defaults = p.collect(AnyCategory)
	for _, r := range p.rules {
		if r.Category != AnyCategory && p.byCat[r.Category] == nil {
			p.byCat[r.Category] = p.collect(r.Category)
		}
	}
	return p, nil
}

func invalidRule(i int, r Rule, err error) error {
	name := r.Name
	if name == "" {
		name = "unnamed"
	}
	return &privacy.Error{Op: "retention.NewPolicy", Msg: fmt.Sprintf("rule %d (%s): %v", i+1, name, err), Err: privacy.ErrInvalid}
}

func (p *Policy) collect(cat privacy.Category) *ruleSet {
	s := &ruleSet{}
	for _, c := range p.compiled {
		if c.rule.Category != cat && c.rule.Category != AnyCategory {
			continue
		}
		if !c.rule.Keep.IsZero() {
			s.keep = append(s.keep, c)
		}
		if !c.rule.Delete.IsZero() {
			s.del = append(s.del, c)
		}
		s.byRecord = s.byRecord || c.rule.Record != ""
	}
	return s
}

// Rules returns a copy of the policy's rules, in the order given to NewPolicy.
func (p *Policy) Rules() []Rule {
	out := make([]Rule, len(p.rules))
	for i, r := range p.rules {
		r.Fields = append([]string(nil), r.Fields...)
		out[i] = r
	}
	return out
}

// Rule returns the rule called name.
func (p *Policy) Rule(name string) (Rule, bool) {
	for _, r := range p.rules {
		if r.Name == name {
			r.Fields = append([]string(nil), r.Fields...)
			return r, true
		}
	}
	return Rule{}, false
}

// Amend returns a new policy of rules that must keep every compliance rule of
// p: same name, category, record, anchor and mode, a keep period that is not
// shorter, and no earlier storage limit. Governance rules may change freely.
func (p *Policy) Amend(rules ...Rule) (*Policy, error) {
	next, err := NewPolicy(rules...)
	if err != nil {
		return nil, err
	}
	for _, old := range p.rules {
		if old.Mode != Compliance {
			continue
		}
		bad := func(msg string) error {
			return &privacy.Error{Op: "retention.Policy.Amend", Msg: fmt.Sprintf("compliance rule %q: %s", old.Name, msg), Err: privacy.ErrInvalid}
		}
		nr, ok := next.Rule(old.Name)
		switch {
		case !ok:
			return nil, bad("removed; compliance rules can only be extended")
		case nr.Mode != Compliance:
			return nil, bad("turned into a governance rule")
		case nr.Category != old.Category || nr.Record != old.Record || nr.Anchor != old.Anchor:
			return nil, bad("scope or anchor changed")
		case shorter(nr.Keep, old.Keep):
			return nil, bad(fmt.Sprintf("keep period shortened from %v to %v", old.Keep, nr.Keep))
		case !old.Delete.IsZero() && !nr.Delete.IsZero() && shorter(nr.Delete, old.Delete):
			return nil, bad(fmt.Sprintf("storage limit brought forward from %v to %v", old.Delete, nr.Delete))
		}
	}
	return next, nil
}

// Outcome is what a decision allows.
type Outcome uint8

const (
	// NotDue: no rule requires keeping the record and none requires its
	// disposal yet. Erasure deletes such a record; a sweep leaves it.
	NotDue Outcome = iota
	// Retain: a retention rule requires keeping the record until Decision.Until,
	// or indefinitely while an anchor event is pending or data is missing.
	Retain
	// Held: an active legal hold keeps the record, with no end.
	Held
	// Due: the record may be disposed of now, because its retention ended or
	// its storage limit passed.
	Due
)

var outcomeNames = [...]string{NotDue: "not due", Retain: "retain", Held: "held", Due: "due"}

// String returns "not due", "retain", "held" or "due".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// ReasonKind says what a reason reports.
type ReasonKind uint8

const (
	// ReasonHold: an active legal hold covers the record.
	ReasonHold ReasonKind = iota + 1
	// ReasonRetention: a retention rule keeps the record through Reason.Through.
	ReasonRetention
	// ReasonRetentionEnded: a retention rule kept the record through
	// Reason.Through, which has passed.
	ReasonRetentionEnded
	// ReasonDeletion: a storage limit requires disposal from the day after
	// Reason.Through (passed or not).
	ReasonDeletion
	// ReasonDeletionOverridden: a storage limit that a more specific rule
	// overrides (precedence rule 4) or that retention outlasts (rule 2).
	ReasonDeletionOverridden
	// ReasonPending: the rule's anchor event (Reason.Event) has not happened,
	// so the rule keeps the record indefinitely for now.
	ReasonPending
	// ReasonMissingData: the record lacks the date the rule counts from.
	ReasonMissingData
	// ReasonBypassed: a governance rule's retention was bypassed.
	ReasonBypassed
	// ReasonNoRule: no rule applies to the record.
	ReasonNoRule
)

var reasonNames = [...]string{
	ReasonHold: "hold", ReasonRetention: "retention", ReasonRetentionEnded: "retention ended",
	ReasonDeletion: "storage limit", ReasonDeletionOverridden: "storage limit overridden",
	ReasonPending: "pending event", ReasonMissingData: "missing data", ReasonBypassed: "bypassed",
	ReasonNoRule: "no rule",
}

// String names the kind in English.
func (k ReasonKind) String() string {
	if int(k) < len(reasonNames) && reasonNames[k] != "" {
		return reasonNames[k]
	}
	return fmt.Sprintf("ReasonKind(%d)", uint8(k))
}

// Reason is one ground of a decision.
type Reason struct {
	Kind ReasonKind
	// Rule is the rule concerned; nil for holds and ReasonNoRule. It points
	// into the policy and must not be changed.
	Rule *Rule
	// Hold and Matter identify the hold, for ReasonHold.
	Hold, Matter string
	// Event is the anchor event that has not happened, for ReasonPending.
	Event string
	// Through is the last day the rule keeps the record (retention) or the
	// last day before disposal is required (storage limit), in the rule's zone.
	Through Date
}

// From returns the first instant after Through in the rule's zone: when the
// record may (retention) or must (storage limit) be disposed of. It is zero
// when Through is.
func (r Reason) From() time.Time {
	if r.Through.IsZero() || r.Rule == nil {
		return time.Time{}
	}
	loc, err := time.LoadLocation(r.Rule.Zone)
	if err != nil {
		loc = time.UTC
	}
	return r.Through.Next().Start(loc)
}

// String describes the reason in English, for logs and errors. It names
// rules, holds and dates, never a field value.
func (r Reason) String() string {
	var b strings.Builder
	b.WriteString(r.Kind.String())
	if r.Hold != "" {
		fmt.Fprintf(&b, ": hold %s (matter %s)", r.Hold, r.Matter)
	}
	if r.Rule != nil {
		fmt.Fprintf(&b, ": rule %s", r.Rule.Name)
		if r.Rule.Basis != "" {
			fmt.Fprintf(&b, " (%s)", r.Rule.Basis)
		}
	}
	if r.Event != "" {
		fmt.Fprintf(&b, ", waiting for event %s", r.Event)
	}
	if !r.Through.IsZero() {
		fmt.Fprintf(&b, ", through %s", r.Through)
	}
	return b.String()
}

// inlineReasons is how many reasons a Decision holds without allocating.
const inlineReasons = 4

// Decision is the result of [Policy.Resolve].
type Decision struct {
	Outcome Outcome
	// Until is, for Retain, the first instant the record may be disposed of
	// (zero while retention is indefinite); for NotDue under a storage limit,
	// the instant disposal becomes required; for Due, since when the record
	// has been due. It is zero otherwise.
	Until time.Time
	// Rule is the rule that decided the outcome: the longest retention, or the
	// storage limit that applies; nil for holds and when no rule applies.
	Rule *Rule

	n      int
	inline [inlineReasons]Reason
	more   []Reason
}

// Reasons returns every ground of the decision: each hold, each rule that
// applied and what it said. The slice must not be modified.
func (d *Decision) Reasons() []Reason {
	if d.more != nil {
		return d.more
	}
	return d.inline[:d.n:d.n]
}

// Matters returns the matters of the holds that keep the record.
func (d *Decision) Matters() []string {
	var out []string
	for _, r := range d.Reasons() {
		if r.Kind == ReasonHold {
			out = append(out, r.Matter)
		}
	}
	return out
}

// Fields returns the fields the retaining rules need, for minimisation: the
// union of Rule.Fields over every rule that keeps the record. It is nil unless
// the outcome is Retain.
func (d *Decision) Fields() []string {
	if d.Outcome != Retain {
		return nil
	}
	var out []string
	for _, r := range d.Reasons() {
		if r.Kind != ReasonRetention && r.Kind != ReasonPending && r.Kind != ReasonMissingData {
			continue
		}
		for _, f := range r.Rule.Fields {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func (d *Decision) add(r Reason) {
	if d.more == nil && d.n < inlineReasons {
		d.inline[d.n] = r
		d.n++
		return
	}
	if d.more == nil {
		d.more = append(make([]Reason, 0, 2*inlineReasons), d.inline[:d.n]...)
	}
	d.more = append(d.more, r)
}

// errNotDue is the error of a decision that is neither held nor retained but
// not yet due.
var errNotDue = errors.New("not due for disposal")

// Err returns nil if the decision allows disposal, and otherwise an error
// wrapping [privacy.ErrHeld] (held) or [privacy.ErrRetained] (retained or not
// yet due) that names the rules or holds.
func (d *Decision) Err() error {
	switch d.Outcome {
	case Due:
		return nil
	case Held:
		return fmt.Errorf("held by %s: %w", strings.Join(d.Matters(), ", "), privacy.ErrHeld)
	case Retain:
		if d.Rule != nil {
			return fmt.Errorf("kept by rule %s (%s): %w", d.Rule.Name, d.Rule.Basis, privacy.ErrRetained)
		}
		return fmt.Errorf("kept: %w", privacy.ErrRetained)
	}
	return fmt.Errorf("%w: %w", errNotDue, privacy.ErrRetained)
}

// Resolve decides what may happen to r at now, given holds (of which only the
// active ones that cover r count). Precedence, in order:
//
//  1. an active legal hold keeps the record, with no end;
//  2. retention wins over a storage limit;
//  3. the longest retention wins;
//  4. for storage limits, a record rule beats a category rule beats a default rule;
//  5. the shortest storage limit wins among the rest.
//
// A retention rule whose anchor event has not happened, or whose anchor date is
// missing, keeps the record. A period is kept through its last day in the
// rule's zone. Resolve does not allocate when no hold covers r and at most four
// reasons apply.
func (p *Policy) Resolve(r *privacy.Record, holds []Hold, now time.Time) Decision {
	return p.resolve(r, holds, now, false)
}

// ResolveBypassing is Resolve with the retention of governance rules set
// aside, for an explicit, audited override: a governance rule counts as ended,
// so a record that only governance rules kept is due. Holds and compliance
// rules still count; each bypassed rule is a ReasonBypassed. The caller
// records the bypass in the audit log.
func (p *Policy) ResolveBypassing(r *privacy.Record, holds []Hold, now time.Time) Decision {
	return p.resolve(r, holds, now, true)
}

func (p *Policy) resolve(r *privacy.Record, holds []Hold, now time.Time, bypass bool) Decision {
	var d Decision
	for i := range holds {
		h := &holds[i]
		if h.Active() && h.Scope.Covers(r) {
			d.Outcome = Held
			d.add(Reason{Kind: ReasonHold, Hold: h.ID, Matter: h.Matter})
		}
	}
	if d.Outcome == Held {
		return d
	}
	set := p.byCat[r.Ref.Category]
	if set == nil {
		set = p.defaults
	}

	var (
		retained bool      // a retention rule keeps the record
		endless  bool      // ... indefinitely
		ended    bool      // some retention rule applied and ended
		keepRule *compiled // the longest retention
		keepLast Date      // ... and its last day
	)
	for i := range set.keep {
		c := &set.keep[i]
		if !c.rule.applies(r) {
			continue
		}
		if bypass && c.rule.Mode == Governance {
			// A bypassed rule counts as ended: what only it kept is due.
			d.add(Reason{Kind: ReasonBypassed, Rule: c.rule})
			if keepRule == nil {
				keepRule = c
			}
			ended = true
			continue
		}
		src, ok := c.rule.Anchor.source(r)
		if !ok {
			kind, event := ReasonMissingData, ""
			if c.rule.Anchor.Event != "" {
				kind, event = ReasonPending, c.rule.Anchor.Event
			}
			d.add(Reason{Kind: kind, Rule: c.rule, Event: event})
			if !endless {
				keepRule = c
			}
			retained, endless = true, true
			continue
		}
		last := c.rule.Anchor.round(DateOf(src, c.loc)).Add(c.rule.Keep)
		if last.Before(c.today.date(now)) {
			d.add(Reason{Kind: ReasonRetentionEnded, Rule: c.rule, Through: last})
			ended = true
			if !retained && (keepRule == nil || keepLast.Before(last)) {
				keepRule, keepLast = c, last
			}
			continue
		}
		d.add(Reason{Kind: ReasonRetention, Rule: c.rule, Through: last})
		if !endless && (!retained || keepLast.Before(last)) {
			keepRule, keepLast = c, last
		}
		retained = true
	}

	// Storage limits: only the most specific level present counts (rule 4),
	// and within it the earliest limit (rule 5).
	var (
		delRule *compiled
		delLast Date
		level   = -1
	)
	for i := range set.del {
		c := &set.del[i]
		if c.rule.applies(r) && c.rule.level() > level {
			level = c.rule.level()
		}
	}
	for i := range set.del {
		c := &set.del[i]
		if !c.rule.applies(r) {
			continue
		}
		src, ok := c.rule.Anchor.source(r)
		if c.rule.level() < level || retained {
			d.add(Reason{Kind: ReasonDeletionOverridden, Rule: c.rule})
			continue
		}
		if !ok {
			kind, event := ReasonMissingData, ""
			if c.rule.Anchor.Event != "" {
				kind, event = ReasonPending, c.rule.Anchor.Event
			}
			d.add(Reason{Kind: kind, Rule: c.rule, Event: event})
			continue
		}
		last := c.rule.Anchor.round(DateOf(src, c.loc)).Add(c.rule.Delete)
		d.add(Reason{Kind: ReasonDeletion, Rule: c.rule, Through: last})
		if delRule == nil || last.Before(delLast) {
			delRule, delLast = c, last
		}
	}

	switch {
	case retained:
		d.Outcome = Retain
		d.Rule = keepRule.rule
		if !endless {
			d.Until = keepLast.Next().Start(keepRule.loc)
		}
	case delRule != nil && delLast.Before(delRule.today.date(now)):
		d.Outcome, d.Rule = Due, delRule.rule
		d.Until = delLast.Next().Start(delRule.loc)
	case ended:
		d.Outcome, d.Rule = Due, keepRule.rule
		if !keepLast.IsZero() {
			d.Until = keepLast.Next().Start(keepRule.loc)
		}
	case delRule != nil:
		d.Outcome, d.Rule = NotDue, delRule.rule
		d.Until = delLast.Next().Start(delRule.loc)
	default:
		d.Outcome = NotDue
		if d.n == 0 && d.more == nil {
			d.add(Reason{Kind: ReasonNoRule})
		}
	}
	return d
}
