package steward

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// Lifecycle events erasure records on a subject's records.
const (
	// EventMinimised marks a record erasure minimised, so that erasing again
	// leaves it as it is.
	EventMinimised = "steward.minimised"
	// EventErasurePending marks a record a legal hold kept whole during
	// erasure: when the hold is released ([Steward.Release], [Steward.Sweep])
	// the erasure is completed. The marker changes no data the hold preserves.
	EventErasurePending = "steward.erasure.pending"
)

// ErasureOutcome is what erasure did with one record.
type ErasureOutcome string

const (
	// Deleted: nothing required keeping the record, so it is gone.
	Deleted ErasureOutcome = "deleted"
	// Minimised: a retention rule keeps the record; every personal field the
	// rule does not need is masked, and the record is restricted (Art. 18)
	// until the rule lets it go (Art. 17(3)(b)).
	Minimised ErasureOutcome = "minimised"
	// KeptHeld: a legal hold keeps the record whole (Art. 17(3)(e)).
	KeptHeld ErasureOutcome = "kept_held"
)

// ErasureItem is what happened to one record.
type ErasureItem struct {
	Ref     privacy.Ref
	Outcome ErasureOutcome
	// Changed is false when an earlier erasure had already done this.
	Changed bool
	// Until is when a minimised record may be disposed of; zero while its
	// retention waits for an event.
	Until time.Time
	// Rule and Basis name the rule that keeps a minimised record.
	Rule, Basis string
	// Waiting is the event a minimised record's retention waits for.
	Waiting string
	// Matters name the holds that keep a held record.
	Matters []string
	// Masked are the fields masked now; Kept the personal fields the rule needs.
	Masked, Kept []string
}

// ErasureReport is the result of [Steward.Erase].
type ErasureReport struct {
	Subject privacy.SubjectID
	Time    time.Time
	Items   []ErasureItem
	// Withdrawn are the consents that were in force and are now withdrawn.
	Withdrawn []privacy.Purpose
	// Notified are the recipients told of the erasure (Art. 19); NotifyErrors
	// those that could not be.
	Notified     []string
	NotifyErrors map[string]error
}

// Changed reports whether the erasure changed anything.
func (r *ErasureReport) Changed() bool {
	if len(r.Withdrawn) > 0 {
		return true
	}
	for _, it := range r.Items {
		if it.Changed {
			return true
		}
	}
	return false
}

// Erase carries out the subject's right to erasure (GDPR Art. 17). For each of
// the subject's records: a record under a legal hold is kept whole; a record a
// retention rule keeps has every personal field the rule does not need masked
// and is restricted, until the rule lets it go; any other record is deleted.
// Consents are withdrawn and the consent history pseudonymised, and every
// recipient of a disclosure is told (Art. 19).
//
// Each record is handled in one atomic step of the records store, re-checked
// against holds placed in the meantime. Erasing again changes nothing more and
// says so (ErasureReport.Changed). If Erase fails part-way, every record is
// either untouched or fully handled, and calling it again completes the work.
func (s *Steward) Erase(ctx context.Context, subject privacy.SubjectID) (*ErasureReport, error) {
	const op = "steward.Erase"
	if err := checkSubject(op, subject); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	rep := &ErasureReport{Subject: subject, Time: now}
	recs, err := s.subjectRecords(ctx, subject)
	if err != nil {
		return rep, wrap(op, err)
	}
	// Recipients are read before the consent history is pseudonymised.
	recipients, err := s.consent.Recipients(ctx, subject)
	if err != nil {
		return rep, wrap(op, err)
	}
	changed := 0
	for i := range recs {
		item, err := s.eraseRecord(ctx, &recs[i], now)
		if err != nil {
			return rep, wrap(op, err)
		}
		rep.Items = append(rep.Items, item)
		if item.Changed {
			changed++
		}
	}
	forgotten, err := s.consent.Forget(ctx, subject)
	if err != nil && !errors.Is(err, privacy.ErrNotFound) {
		return rep, wrap(op, err)
	}
	rep.Withdrawn = forgotten.Withdrawn
	if changed > 0 || len(rep.Withdrawn) > 0 {
		if _, err := s.audit.Append(ctx, privacy.Event{
			Time: now, Action: privacy.ActionErased, Actor: s.actor, Subject: subject, Count: int64(changed),
			Reason: "GDPR Art. 17",
		}); err != nil {
			return rep, wrap(op, err)
		}
		refs := make([]privacy.Ref, 0, len(rep.Items))
		for _, it := range rep.Items {
			refs = append(refs, it.Ref)
		}
		rep.Notified, rep.NotifyErrors = s.notify(ctx, recipients, Notification{Subject: subject, Kind: privacy.RequestErasure, Refs: refs, Time: now})
	}
	return rep, nil
}

// errChanged says a record changed between reading and handling it.
var errChanged = errors.New("record changed while it was being erased; erase again")

func (s *Steward) eraseRecord(ctx context.Context, r *privacy.Record, now time.Time) (ErasureItem, error) {
	item := ErasureItem{Ref: r.Ref}
	holds, err := s.holds.Covering(ctx, r)
	if err != nil {
		return item, err
	}
	d := s.policy.Resolve(r, holds, now)
	switch d.Outcome {
	case retention.Held:
		item.Outcome, item.Matters = KeptHeld, d.Matters()
		return item, s.markPending(ctx, r, now)
	case retention.Retain:
		return s.minimise(ctx, r, &d, now)
	}
	check := func(cur privacy.Record, hs []retention.Hold) error {
		d := s.policy.Resolve(&cur, hs, now)
		switch d.Outcome {
		case retention.Held:
			return privacy.ErrHeld
		case retention.Retain:
			return errChanged
		}
		return nil
	}
	tomb := privacy.Event{Time: now, Action: privacy.ActionDisposed, Actor: s.actor, Subject: r.Subject, Ref: r.Ref, Reason: "erasure"}
	err = s.records.Dispose(ctx, r.Ref, check, tomb)
	switch {
	case err == nil:
		item.Outcome, item.Changed = Deleted, true
	case errors.Is(err, privacy.ErrNotFound):
		item.Outcome = Deleted // a sweep or another erasure was first
	case errors.Is(err, privacy.ErrHeld):
		return s.heldNow(ctx, r, item)
	default:
		return item, err
	}
	return item, nil
}

// heldNow reports a record a hold placed during erasure keeps.
func (s *Steward) heldNow(ctx context.Context, r *privacy.Record, item ErasureItem) (ErasureItem, error) {
	holds, err := s.holds.Covering(ctx, r)
	if err != nil {
		return item, err
	}
	item.Outcome = KeptHeld
	for _, h := range holds {
		item.Matters = append(item.Matters, h.Matter)
	}
	return item, s.markPending(ctx, r, s.clock.Now())
}

// markPending records on a held record that its subject asked for erasure,
// so that the erasure is completed when the hold goes.
func (s *Steward) markPending(ctx context.Context, r *privacy.Record, now time.Time) error {
	if _, ok := r.Events[EventErasurePending]; ok {
		return nil
	}
	next := r.Clone()
	if next.Events == nil {
		next.Events = map[string]time.Time{}
	}
	next.Events[EventErasurePending] = now
	orig := r.Clone()
	check := func(cur privacy.Record, _ []retention.Hold) error {
		if !sameRecord(&cur, &orig) {
			return &privacy.Error{Op: "steward.Erase", Ref: r.Ref, Msg: errChanged.Error(), Err: privacy.ErrConflict}
		}
		return nil
	}
	return s.records.Update(ctx, next, check, privacy.Event{
		Time: now, Action: privacy.ActionEventRecorded, Actor: s.actor, Subject: r.Subject, Ref: r.Ref, Object: EventErasurePending,
	})
}

// completePending completes the erasure of records that a hold kept and no
// hold keeps any more. It returns how many it handled.
func (s *Steward) completePending(ctx context.Context, records func(yield func(privacy.Record, error) bool)) (int, error) {
	now := s.clock.Now()
	var pending []privacy.Record
	for r, err := range records {
		if err != nil {
			return 0, err
		}
		if _, ok := r.Events[EventErasurePending]; ok {
			pending = append(pending, r)
		}
	}
	n := 0
	for i := range pending {
		item, err := s.eraseRecord(ctx, &pending[i], now)
		if err != nil {
			return n, err
		}
		if item.Changed {
			n++
		}
	}
	return n, nil
}

func (s *Steward) minimise(ctx context.Context, r *privacy.Record, d *retention.Decision, now time.Time) (ErasureItem, error) {
	item := ErasureItem{Ref: r.Ref, Outcome: Minimised, Until: d.Until, Rule: d.Rule.Name, Basis: d.Rule.Basis}
	for _, reason := range d.Reasons() {
		if reason.Kind == retention.ReasonPending {
			item.Waiting = reason.Event
		}
	}
	keep := d.Fields()
	for _, f := range r.Fields {
		if f.Class.IsPersonal() && slices.Contains(keep, f.Name) {
			item.Kept = append(item.Kept, f.Name)
		}
	}
	if _, done := r.Events[EventMinimised]; done && r.Restricted {
		if _, pending := r.Events[EventErasurePending]; !pending {
			return item, nil
		}
	}
	next := r.Clone()
	next.Restricted = true
	if next.Events == nil {
		next.Events = map[string]time.Time{}
	}
	next.Events[EventMinimised] = now
	delete(next.Events, EventErasurePending)
	for i, f := range next.Fields {
		if !f.Class.IsPersonal() || slices.Contains(keep, f.Name) || f.Value == nil {
			continue
		}
		mask := s.mask
		if !mask.Accepts(f.Value) {
			mask = privacy.Null()
		}
		masked, err := privacy.MaskField(f, mask)
		if err != nil {
			return item, err
		}
		next.Fields[i] = masked
		item.Masked = append(item.Masked, f.Name)
	}
	orig := r.Clone()
	check := func(cur privacy.Record, hs []retention.Hold) error {
		if !sameRecord(&cur, &orig) {
			return errChanged
		}
		if d := s.policy.Resolve(&cur, hs, now); d.Outcome == retention.Held {
			return privacy.ErrHeld
		}
		return nil
	}
	event := privacy.Event{
		Time: now, Action: privacy.ActionMinimised, Actor: s.actor, Subject: r.Subject, Ref: r.Ref,
		Object: d.Rule.Name, Count: int64(len(item.Masked)), Reason: "GDPR Art. 17(3)(b)",
	}
	err := s.records.Update(ctx, next, check, event)
	switch {
	case err == nil:
		item.Changed = true
		return item, nil
	case errors.Is(err, privacy.ErrHeld):
		return s.heldNow(ctx, r, ErasureItem{Ref: r.Ref})
	case errors.Is(err, errChanged):
		return item, &privacy.Error{Op: "steward.Erase", Ref: r.Ref, Msg: errChanged.Error(), Err: privacy.ErrConflict}
	}
	return item, err
}

// sameRecord reports whether two versions of a record are alike in every
// stored respect, with times compared by instant.
func sameRecord(a, b *privacy.Record) bool {
	if a.Ref != b.Ref || a.Subject != b.Subject || !a.Created.Equal(b.Created) || a.Restricted != b.Restricted ||
		len(a.Events) != len(b.Events) || len(a.Fields) != len(b.Fields) {
		return false
	}
	for k, t := range a.Events {
		if u, ok := b.Events[k]; !ok || !t.Equal(u) {
			return false
		}
	}
	for i, f := range a.Fields {
		g := b.Fields[i]
		if f.Name != g.Name || f.Class != g.Class || !sameValue(f.Value, g.Value) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	if t, ok := a.(time.Time); ok {
		u, ok := b.(time.Time)
		return ok && t.Equal(u)
	}
	return a == b
}

// notify tells each recipient; it returns those told and the errors of the rest.
func (s *Steward) notify(ctx context.Context, recipients []string, n Notification) ([]string, map[string]error) {
	if s.notifier == nil || len(recipients) == 0 {
		return nil, nil
	}
	var told []string
	var errs map[string]error
	for _, r := range recipients {
		n.Recipient = r
		if err := s.notifier.Notify(ctx, n); err != nil {
			if errs == nil {
				errs = map[string]error{}
			}
			errs[r] = err
			continue
		}
		told = append(told, r)
	}
	return told, errs
}

// String returns the outcome's name.
func (o ErasureOutcome) String() string { return string(o) }
