package steward

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// PurposeAccountingConsultation is the one purpose for which archived records
// may be read: consultation by the administrator the client appointed.
const PurposeAccountingConsultation privacy.Purpose = "accounting_consultation"

// Grant makes a subject's records readable only by one administrator, for
// accounting consultation, until a time: the paid storage after termination.
type Grant struct {
	Subject       privacy.SubjectID
	Administrator string
	Until         time.Time
	Granted       time.Time
}

// ArchiveStore keeps archive grants. Implementations must be safe for
// concurrent use.
type ArchiveStore interface {
	// Put stores g as the subject's grant, replacing an earlier one.
	Put(ctx context.Context, g Grant) error
	// Get returns the subject's grant, or an error wrapping privacy.ErrNotFound.
	Get(ctx context.Context, subject privacy.SubjectID) (Grant, error)
}

// MemoryArchives is an ArchiveStore in memory.
type MemoryArchives struct {
	mu     sync.Mutex
	grants map[privacy.SubjectID]Grant
}

var _ ArchiveStore = (*MemoryArchives)(nil)

// NewMemoryArchives returns an empty store.
func NewMemoryArchives() *MemoryArchives {
	return &MemoryArchives{grants: map[privacy.SubjectID]Grant{}}
}

// Put implements ArchiveStore.
func (m *MemoryArchives) Put(ctx context.Context, g Grant) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.grants[g.Subject] = g
	return nil
}

// Get implements ArchiveStore.
func (m *MemoryArchives) Get(ctx context.Context, subject privacy.SubjectID) (Grant, error) {
	if err := ctx.Err(); err != nil {
		return Grant{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.grants[subject]
	if !ok {
		return Grant{}, &privacy.Error{Op: "steward.MemoryArchives.Get", Msg: "no archive for the subject", Err: privacy.ErrNotFound}
	}
	return g, nil
}

// Archive puts the subject's records in archive mode: from now until until,
// only administrator may read them, only for accounting consultation, through
// [Steward.Read], and every read is audited. Archiving again replaces the grant.
func (s *Steward) Archive(ctx context.Context, subject privacy.SubjectID, administrator string, until time.Time) (Grant, error) {
	const op = "steward.Archive"
	now := s.clock.Now()
	switch {
	case subject == "":
		return Grant{}, &privacy.Error{Op: op, Msg: "empty subject", Err: privacy.ErrInvalid}
	case administrator == "":
		return Grant{}, &privacy.Error{Op: op, Msg: "empty administrator", Err: privacy.ErrInvalid}
	case !until.After(now):
		return Grant{}, &privacy.Error{Op: op, Msg: "archive end is not in the future", Err: privacy.ErrInvalid}
	}
	g := Grant{Subject: subject, Administrator: administrator, Until: until, Granted: now}
	if err := s.archives.Put(ctx, g); err != nil {
		return Grant{}, privacy.Wrap(op, err)
	}
	_, err := s.audit.Append(ctx, privacy.Event{Time: now, Action: privacy.ActionArchived, Actor: s.actor, Subject: subject, Object: administrator})
	return g, privacy.Wrap(op, err)
}

// Archived reports the subject's archive grant, if any.
func (s *Steward) Archived(ctx context.Context, subject privacy.SubjectID) (Grant, bool, error) {
	g, err := s.archives.Get(ctx, subject)
	if err != nil {
		if isNotFound(err) {
			return Grant{}, false, nil
		}
		return Grant{}, false, privacy.Wrap("steward.Archived", err)
	}
	return g, true, nil
}

// Read yields an archived subject's records to actor for purpose. It refuses
// with an error wrapping privacy.ErrNoConsent anyone but the appointed
// administrator, any purpose but accounting consultation, and any read after
// the archive ended; a subject without an archive gives privacy.ErrNotFound.
// Each read is audited (actor, subject, count), refused ones too.
func (s *Steward) Read(ctx context.Context, actor string, purpose privacy.Purpose, subject privacy.SubjectID) iter.Seq2[privacy.Record, error] {
	const op = "steward.Read"
	return func(yield func(privacy.Record, error) bool) {
		now := s.clock.Now()
		refuse := func(msg string) {
			_, aerr := s.audit.Append(ctx, privacy.Event{Time: now, Action: privacy.ActionArchiveRead, Actor: actor, Subject: subject, Reason: "refused"})
			err := error(&privacy.Error{Op: op, Msg: msg, Err: privacy.ErrNoConsent})
			if aerr != nil {
				err = fmt.Errorf("%w (and the refusal was not audited: %v)", err, aerr)
			}
			yield(privacy.Record{}, err)
		}
		g, err := s.archives.Get(ctx, subject)
		if err != nil {
			yield(privacy.Record{}, privacy.Wrap(op, err))
			return
		}
		switch {
		case actor != g.Administrator:
			refuse("only the appointed administrator may read an archive")
			return
		case purpose != PurposeAccountingConsultation:
			refuse(fmt.Sprintf("purpose %q is not accounting consultation", string(purpose)))
			return
		case !now.Before(g.Until):
			refuse("the archive ended")
			return
		}
		recs, err := s.subjectRecords(ctx, subject)
		if err != nil {
			yield(privacy.Record{}, privacy.Wrap(op, err))
			return
		}
		if _, err := s.audit.Append(ctx, privacy.Event{
			Time: now, Action: privacy.ActionArchiveRead, Actor: actor, Subject: subject,
			Count: int64(len(recs)), Reason: string(purpose),
		}); err != nil {
			yield(privacy.Record{}, privacy.Wrap(op, err))
			return
		}
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Termination is what [Steward.Terminate] did and what the client may export.
type Termination struct {
	Subject privacy.SubjectID
	Ended   time.Time
	// Recorded counts records that got the contract.ended event now; records
	// that had it keep their earlier date.
	Recorded int
	// Exportable counts the subject's records per category.
	Exportable map[privacy.Category]int
	// Retained lists, per record, until when it is kept and why.
	Retained []Retained
}

// Retained is one record's retention.
type Retained struct {
	Ref     privacy.Ref
	Outcome retention.Outcome
	Until   time.Time
	Rule    string
	Basis   string
}

// Terminate records that the subject's contract ended at at: the
// contract.ended event on each of the subject's records that lacks it (the
// anchor of event-based rules), audited per record. It returns what the
// client may export and how long each record is kept. Terminating again
// keeps the first date.
func (s *Steward) Terminate(ctx context.Context, subject privacy.SubjectID, at time.Time) (*Termination, error) {
	const op = "steward.Terminate"
	if err := checkSubject(op, subject); err != nil {
		return nil, err
	}
	if at.IsZero() {
		return nil, &privacy.Error{Op: op, Msg: "zero end time", Err: privacy.ErrInvalid}
	}
	now := s.clock.Now()
	recs, err := s.subjectRecords(ctx, subject)
	if err != nil {
		return nil, privacy.Wrap(op, err)
	}
	t := &Termination{Subject: subject, Ended: at, Exportable: map[privacy.Category]int{}}
	for i := range recs {
		r := &recs[i]
		t.Exportable[r.Ref.Category]++
		if _, ok := r.Events[privacy.EventContractEnded]; !ok {
			next := r.Clone()
			if next.Events == nil {
				next.Events = map[string]time.Time{}
			}
			next.Events[privacy.EventContractEnded] = at
			orig := r.Clone()
			check := func(cur privacy.Record, _ []retention.Hold) error {
				if !sameRecord(&cur, &orig) {
					return &privacy.Error{Op: op, Ref: cur.Ref, Msg: "record changed meanwhile; terminate again", Err: privacy.ErrConflict}
				}
				return nil
			}
			event := privacy.Event{Time: now, Action: privacy.ActionEventRecorded, Actor: s.actor, Subject: subject, Ref: r.Ref, Object: privacy.EventContractEnded}
			if err := s.records.Update(ctx, next, check, event); err != nil {
				return t, privacy.Wrap(op, err)
			}
			*r = next
			t.Recorded++
		}
		holds, err := s.holds.Covering(ctx, r)
		if err != nil {
			return t, privacy.Wrap(op, err)
		}
		d := s.policy.Resolve(r, holds, now)
		kept := Retained{Ref: r.Ref, Outcome: d.Outcome, Until: d.Until}
		if d.Rule != nil {
			kept.Rule, kept.Basis = d.Rule.Name, d.Rule.Basis
		}
		t.Retained = append(t.Retained, kept)
	}
	return t, nil
}
