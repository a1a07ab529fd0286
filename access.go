package steward

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// AccessReport is what the subject is entitled to know (GDPR Art. 15): the
// data, why it is processed, who received it, how long it is kept, where it
// came from, and the subject's rights.
type AccessReport struct {
	Subject    privacy.SubjectID
	Time       time.Time
	Records    []AccessRecord
	Categories []privacy.Category
	Purposes   []PurposeState
	// Recipients received the subject's data (from the disclosure log).
	Recipients []string
	Rights     []privacy.RequestKind
	Source     string
	// Archive is the subject's archive grant, if any.
	Archive *Grant
}

// AccessRecord is one record with its retention.
type AccessRecord struct {
	Record  privacy.Record
	Outcome retention.Outcome
	// Until is when the record may be disposed of; zero while held or while
	// retention waits for an event.
	Until time.Time
	Rule  string
	Basis string
}

// PurposeState is one purpose of processing with its legal basis and, for a
// purpose on consent, the subject's consent state.
type PurposeState struct {
	Purpose privacy.Purpose
	Basis   privacy.LegalBasis
	// Consent is the state of consent, "" for a purpose on another basis or
	// when the subject was never asked.
	Consent consent.State
}

// Rights are the rights every access report lists.
var rights = []privacy.RequestKind{
	privacy.RequestAccess, privacy.RequestRectification, privacy.RequestErasure,
	privacy.RequestRestriction, privacy.RequestPortability, privacy.RequestObjection,
}

// Access returns the subject's access report (GDPR Art. 15). It reads only the
// subject's own records.
func (s *Steward) Access(ctx context.Context, subject privacy.SubjectID) (*AccessReport, error) {
	const op = "steward.Access"
	if err := checkSubject(op, subject); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	recs, err := s.subjectRecords(ctx, subject)
	if err != nil {
		return nil, privacy.Wrap(op, err)
	}
	rep := &AccessReport{Subject: subject, Time: now, Rights: slices.Clone(rights), Source: s.source}
	for i := range recs {
		r := &recs[i]
		holds, err := s.holds.Covering(ctx, r)
		if err != nil {
			return nil, privacy.Wrap(op, err)
		}
		d := s.policy.Resolve(r, holds, now)
		ar := AccessRecord{Record: *r, Outcome: d.Outcome, Until: d.Until}
		if d.Rule != nil {
			ar.Rule, ar.Basis = d.Rule.Name, d.Rule.Basis
		}
		rep.Records = append(rep.Records, ar)
		if !slices.Contains(rep.Categories, r.Ref.Category) {
			rep.Categories = append(rep.Categories, r.Ref.Category)
		}
	}
	for _, p := range s.consent.Purposes() {
		ps := PurposeState{Purpose: p.Name, Basis: p.Basis}
		if p.Basis == privacy.Consent {
			e, err := s.consent.Current(ctx, subject, p.Name)
			switch {
			case err == nil:
				ps.Consent = e.State
			case !isNotFound(err):
				return nil, privacy.Wrap(op, err)
			}
		}
		rep.Purposes = append(rep.Purposes, ps)
	}
	if rep.Recipients, err = s.consent.Recipients(ctx, subject); err != nil {
		return nil, privacy.Wrap(op, err)
	}
	if g, ok, err := s.Archived(ctx, subject); err != nil {
		return nil, err
	} else if ok {
		rep.Archive = &g
	}
	return rep, nil
}

// Rectification is what [Steward.Rectify] changed.
type Rectification struct {
	Ref    privacy.Ref
	Fields []string
	// Notified are the recipients told (Art. 19); NotifyErrors those that
	// could not be.
	Notified     []string
	NotifyErrors map[string]error
}

// Rectify changes personal fields of one of the subject's records (GDPR Art.
// 16) and tells the recipients of the subject's data (Art. 19). Each change
// names an existing personal or special field and gives its new value; the
// field keeps its class. A record that is not the subject's is not found; a
// restricted record is refused with an error wrapping privacy.ErrRetained, a
// held one with privacy.ErrHeld. The change is audited by field name, never
// by value.
func (s *Steward) Rectify(ctx context.Context, subject privacy.SubjectID, ref privacy.Ref, changes []privacy.Field) (*Rectification, error) {
	const op = "steward.Rectify"
	if err := checkSubject(op, subject); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return nil, &privacy.Error{Op: op, Ref: ref, Msg: "no changes", Err: privacy.ErrInvalid}
	}
	recs, err := s.subjectRecords(ctx, subject)
	if err != nil {
		return nil, privacy.Wrap(op, err)
	}
	i := slices.IndexFunc(recs, func(r privacy.Record) bool { return r.Ref == ref })
	if i < 0 {
		return nil, &privacy.Error{Op: op, Ref: ref, Msg: "no such record of the subject", Err: privacy.ErrNotFound}
	}
	orig := recs[i]
	if orig.Restricted {
		return nil, &privacy.Error{Op: op, Ref: ref, Msg: "record is restricted to its retention duty (Art. 18) and cannot be changed", Err: privacy.ErrRetained}
	}
	next := orig.Clone()
	var names []string
	for _, c := range changes {
		j := slices.IndexFunc(next.Fields, func(f privacy.Field) bool { return f.Name == c.Name })
		switch {
		case j < 0:
			return nil, &privacy.Error{Op: op, Ref: ref, Field: c.Name, Msg: "no such field", Err: privacy.ErrInvalid}
		case !next.Fields[j].Class.IsPersonal():
			return nil, &privacy.Error{Op: op, Ref: ref, Field: c.Name, Msg: "not personal data; rectification changes personal fields only", Err: privacy.ErrInvalid}
		case slices.Contains(names, c.Name):
			return nil, &privacy.Error{Op: op, Ref: ref, Field: c.Name, Msg: "changed twice", Err: privacy.ErrInvalid}
		}
		if err := privacy.CheckValue(c.Value); err != nil {
			return nil, &privacy.Error{Op: op, Ref: ref, Field: c.Name, Msg: err.Error(), Err: privacy.ErrInvalid}
		}
		next.Fields[j].Value = c.Value
		names = append(names, c.Name)
	}
	now := s.clock.Now()
	check := func(cur privacy.Record, holds []retention.Hold) error {
		if len(holds) > 0 {
			return &privacy.Error{Op: op, Ref: ref, Msg: "record is under a legal hold", Err: privacy.ErrHeld}
		}
		if !sameRecord(&cur, &orig) {
			return &privacy.Error{Op: op, Ref: ref, Msg: "record changed meanwhile; read it and try again", Err: privacy.ErrConflict}
		}
		return nil
	}
	event := privacy.Event{Time: now, Action: privacy.ActionRectified, Actor: "subject", Subject: subject, Ref: ref,
		Object: strings.Join(names, ","), Count: int64(len(names)), Reason: "GDPR Art. 16"}
	if err := s.records.Update(ctx, next, check, event); err != nil {
		return nil, privacy.Wrap(op, err)
	}
	out := &Rectification{Ref: ref, Fields: names}
	recipients, err := s.consent.Recipients(ctx, subject)
	if err != nil {
		return out, privacy.Wrap(op, fmt.Errorf("rectified, but recipients could not be read: %w", err))
	}
	out.Notified, out.NotifyErrors = s.notify(ctx, recipients, Notification{
		Subject: subject, Kind: privacy.RequestRectification, Refs: []privacy.Ref{ref}, Fields: names, Time: now,
	})
	return out, nil
}

func isNotFound(err error) bool { return errors.Is(err, privacy.ErrNotFound) }
