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
	// Recipients are read before the consent history is pseudonymised.
	recipients, err := s.consent.Recipients(ctx, subject)
	if err != nil {
		return rep, privacy.Wrap(op, err)
	}
	if se, ok := s.records.(SubjectEraser); ok {
		if rep.Items, err = s.eraseSubject(ctx, se, subject, now); err != nil {
			return rep, privacy.Wrap(op, err)
		}
	} else {
		recs, err := s.subjectRecords(ctx, subject)
		if err != nil {
			return rep, privacy.Wrap(op, err)
		}
		for i := range recs {
			item, err := s.eraseRecord(ctx, &recs[i], now)
			if err != nil {
				return rep, privacy.Wrap(op, err)
			}
			rep.Items = append(rep.Items, item)
		}
	}
	changed := 0
	for _, item := range rep.Items {
		if item.Changed && item.Outcome != KeptHeld {
			changed++
		}
	}
	forgotten, err := s.consent.Forget(ctx, subject)
	if err != nil && !errors.Is(err, privacy.ErrNotFound) {
		return rep, privacy.Wrap(op, err)
	}
	rep.Withdrawn = forgotten.Withdrawn
	if changed > 0 || len(rep.Withdrawn) > 0 {
		if _, err := s.audit.Append(ctx, privacy.Event{
			Time: now, Action: privacy.ActionErased, Actor: s.actor, Subject: subject, Count: int64(changed),
			Reason: "GDPR Art. 17",
		}); err != nil {
			return rep, privacy.Wrap(op, err)
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

// SubjectEraser is an optional interface of a [Records] store that changes a
// whole subject's records in one atomic step, as sqlstore does in one
// transaction. Erase uses it when the store has it.
type SubjectEraser interface {
	// EraseSubject reads and locks every record of subject in Ref order and
	// the active holds covering each (holds[i] covers recs[i]), with holds
	// locked against change, and calls decide. decide returns the audit
	// events to append in order — each privacy.ActionDisposed event deletes
	// the record its Ref names — and the records to write back in place of
	// the stored ones. All of it happens in one atomic step; if decide fails,
	// nothing changes and its error comes back unchanged. It returns how many
	// records the subject had.
	EraseSubject(ctx context.Context, subject privacy.SubjectID,
		decide func(recs []privacy.Record, holds [][]retention.Hold) (events []privacy.Event, updates []privacy.Record, err error)) (int, error)
}

// erasurePlan is what erasure does with one record, decided from the record,
// the holds covering it and the time alone.
type erasurePlan struct {
	item    ErasureItem
	dispose bool            // delete the record, with event as its tombstone
	update  *privacy.Record // or write this in its place, with event
	event   privacy.Event
}

func (s *Steward) planErasure(r *privacy.Record, holds []retention.Hold, now time.Time) erasurePlan {
	p := erasurePlan{item: ErasureItem{Ref: r.Ref}}
	d := s.policy.Resolve(r, holds, now)
	switch d.Outcome {
	case retention.Held:
		p.item.Outcome, p.item.Matters = KeptHeld, d.Matters()
		if _, ok := r.Events[EventErasurePending]; !ok {
			next := r.Clone()
			if next.Events == nil {
				next.Events = map[string]time.Time{}
			}
			next.Events[EventErasurePending] = now
			p.update = &next
			p.event = privacy.Event{Time: now, Action: privacy.ActionEventRecorded, Actor: s.actor, Subject: r.Subject, Ref: r.Ref, Object: EventErasurePending}
		}
		return p
	case retention.Retain:
		s.planMinimise(&p, r, &d, now)
		return p
	}
	p.item.Outcome, p.item.Changed = Deleted, true
	p.dispose = true
	p.event = privacy.Event{Time: now, Action: privacy.ActionDisposed, Actor: s.actor, Subject: r.Subject, Ref: r.Ref, Reason: "erasure"}
	return p
}

func (s *Steward) planMinimise(p *erasurePlan, r *privacy.Record, d *retention.Decision, now time.Time) {
	item := &p.item
	item.Outcome, item.Until, item.Rule, item.Basis = Minimised, d.Until, d.Rule.Name, d.Rule.Basis
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
	_, done := r.Events[EventMinimised]
	_, pending := r.Events[EventErasurePending]
	if done && r.Restricted && !pending {
		return
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
		v, err := mask.Apply(f.Value)
		if err != nil {
			v = nil // a mask that accepts a type and then fails: nothing of the value is kept
		}
		next.Fields[i].Value = v
		item.Masked = append(item.Masked, f.Name)
	}
	item.Changed = true
	p.update = &next
	p.event = privacy.Event{
		Time: now, Action: privacy.ActionMinimised, Actor: s.actor, Subject: r.Subject, Ref: r.Ref,
		Object: d.Rule.Name, Count: int64(len(item.Masked)), Reason: "GDPR Art. 17(3)(b)",
	}
}

// eraseSubject erases every record of subject in one atomic step of a store
// that can.
func (s *Steward) eraseSubject(ctx context.Context, se SubjectEraser, subject privacy.SubjectID, now time.Time) ([]ErasureItem, error) {
	var items []ErasureItem
	_, err := se.EraseSubject(ctx, subject, func(recs []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, []privacy.Record, error) {
		items = items[:0]
		var events []privacy.Event
		var updates []privacy.Record
		for i := range recs {
			if recs[i].Subject != subject {
				return nil, nil, &privacy.Error{Op: "steward.Erase", Ref: recs[i].Ref, Msg: "records store yielded a record of another subject", Err: privacy.ErrConflict}
			}
			p := s.planErasure(&recs[i], holds[i], now)
			items = append(items, p.item)
			switch {
			case p.dispose:
				events = append(events, p.event)
			case p.update != nil:
				events = append(events, p.event)
				updates = append(updates, *p.update)
			}
		}
		return events, updates, nil
	})
	return items, err
}

// eraseRecord erases one record in one atomic step of the store, re-planning
// inside it: a hold placed since the plan keeps the record whole.
func (s *Steward) eraseRecord(ctx context.Context, r *privacy.Record, now time.Time) (ErasureItem, error) {
	holds, err := s.holds.Covering(ctx, r)
	if err != nil {
		return ErasureItem{Ref: r.Ref}, err
	}
	p := s.planErasure(r, holds, now)
	orig := r.Clone()
	// check approves the plan only if the record and its holds still lead to it.
	check := func(cur privacy.Record, hs []retention.Hold) error {
		again := s.planErasure(&cur, hs, now)
		switch {
		case again.item.Outcome == KeptHeld && p.item.Outcome != KeptHeld:
			return privacy.ErrHeld
		case again.item.Outcome != p.item.Outcome, !p.dispose && !sameRecord(&cur, &orig):
			return errChanged
		}
		return nil
	}
	switch {
	case p.dispose:
		err = s.records.Dispose(ctx, r.Ref, check, p.event)
	case p.update != nil:
		err = s.records.Update(ctx, *p.update, check, p.event)
	}
	switch {
	case err == nil:
		return p.item, nil
	case p.dispose && errors.Is(err, privacy.ErrNotFound):
		p.item.Changed = false // a sweep or another erasure was first
		return p.item, nil
	case errors.Is(err, privacy.ErrHeld):
		cur := orig
		holds, herr := s.holds.Covering(ctx, &cur)
		if herr != nil {
			return p.item, herr
		}
		return s.eraseHeld(ctx, &cur, holds, now)
	case errors.Is(err, errChanged):
		return p.item, &privacy.Error{Op: "steward.Erase", Ref: r.Ref, Msg: errChanged.Error(), Err: privacy.ErrConflict}
	}
	return p.item, err
}

// eraseHeld records the pending erasure of a record a hold placed during
// erasure now keeps.
func (s *Steward) eraseHeld(ctx context.Context, r *privacy.Record, holds []retention.Hold, now time.Time) (ErasureItem, error) {
	p := s.planErasure(r, holds, now)
	if p.update == nil {
		return p.item, nil
	}
	orig := r.Clone()
	err := s.records.Update(ctx, *p.update, func(cur privacy.Record, _ []retention.Hold) error {
		if !sameRecord(&cur, &orig) {
			return &privacy.Error{Op: "steward.Erase", Ref: r.Ref, Msg: errChanged.Error(), Err: privacy.ErrConflict}
		}
		return nil
	}, p.event)
	return p.item, err
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
		if item.Changed && item.Outcome != KeptHeld {
			n++
		}
	}
	return n, nil
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
