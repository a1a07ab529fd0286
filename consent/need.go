package consent

import (
	"context"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Reason says why consent is or is not needed. The string forms are stable
// codes, safe for logs and audit entries; [Ledger.Explain] gives the text a
// person reads.
type Reason string

const (
	// ReasonConsented: a consent is in force; nothing to ask.
	ReasonConsented Reason = "consented"
	// ReasonOtherBasis: the purpose rests on a basis other than consent, such
	// as a contract or a legal obligation; nothing to ask.
	ReasonOtherBasis Reason = "other_basis"
	// ReasonNeverAsked: there is no decision of the subject on record.
	ReasonNeverAsked Reason = "never_asked"
	// ReasonRefused: the subject was asked and said no.
	ReasonRefused Reason = "refused"
	// ReasonWithdrawn: the subject withdrew an earlier consent.
	ReasonWithdrawn Reason = "withdrawn"
	// ReasonExpired: the validity of the consent ran out.
	ReasonExpired Reason = "expired"
	// ReasonNoticeChanged: a version of the notice published after the one
	// consented to changed it materially.
	ReasonNoticeChanged Reason = "notice_changed"
)

// Reasons lists every reason, those that need no consent first.
func Reasons() []Reason {
	return []Reason{ReasonConsented, ReasonOtherBasis, ReasonNeverAsked, ReasonRefused, ReasonWithdrawn, ReasonExpired, ReasonNoticeChanged}
}

// Needed reports whether the purpose may not be processed until the subject
// is asked (again).
func (r Reason) Needed() bool { return r != ReasonConsented && r != ReasonOtherBasis }

// Need is the answer of [Ledger.NeedsConsent].
type Need struct {
	Reason Reason
	// Basis is the legal basis of the purpose.
	Basis privacy.LegalBasis
	// Event is the subject's newest decision about the purpose, in its
	// effective state (see [Ledger.Current]); zero when never asked.
	Event Event
	// Notice and Version name the notice to show when asking: the newest
	// version of the purpose's notice, or of the notice last consented to.
	// Empty for a purpose on another basis, or when none is published.
	Notice  NoticeID
	Version int
	// Changed is the first material version published after the one
	// consented to, for ReasonNoticeChanged; zero otherwise.
	Changed int
}

// Needed reports whether the subject must be asked before processing.
func (n Need) Needed() bool { return n.Reason.Needed() }

// NeedsConsent tells whether subject must be asked for consent before
// purpose is processed, and why. A purpose on a basis other than consent
// never needs it. For a purpose on consent the answer is, in order: never
// asked, refused, withdrawn, expired, notice changed materially since the
// consent, or consented. An editorial notice change does not ask again. An
// unknown purpose is an error wrapping privacy.ErrInvalid, never a pass.
func (l *Ledger) NeedsConsent(ctx context.Context, subject privacy.SubjectID, purpose privacy.Purpose) (Need, error) {
	const op = "consent.Ledger.NeedsConsent"
	if err := checkName("subject", string(subject)); err != nil {
		return Need{}, invalid(op, err)
	}
	p, err := l.purpose(op, purpose)
	if err != nil {
		return Need{}, err
	}
	need := Need{Basis: p.Basis}
	if p.Basis != privacy.Consent {
		need.Reason = ReasonOtherBasis
		return need, nil
	}
	now, err := l.now(op)
	if err != nil {
		return Need{}, err
	}
	return l.consentNeed(ctx, op, subject, p, now)
}

// consentNeed answers NeedsConsent for p as if it rested on consent.
func (l *Ledger) consentNeed(ctx context.Context, op string, subject privacy.SubjectID, p Purpose, now time.Time) (Need, error) {
	need := Need{Basis: p.Basis}
	e, err := l.store.Current(ctx, subject, p.Name)
	switch {
	case isNotFound(err):
		need.Reason = ReasonNeverAsked
		return need, l.latest(ctx, op, &need, p.Notice)
	case err != nil:
		return Need{}, wrap(op, err)
	}
	need.Event = effective(e, now)
	switch need.Event.State {
	case Refused:
		need.Reason = ReasonRefused
	case Withdrawn:
		need.Reason = ReasonWithdrawn
	case Expired:
		need.Reason = ReasonExpired
	default:
		need.Reason = ReasonConsented
		// Only versions after the one consented to matter, so the walk is
		// over the notice's later versions, not over the history.
		for n, err := range l.notices.Versions(ctx, e.Notice, e.Version) {
			if err != nil {
				return Need{}, wrap(op, err)
			}
			if n.Change == Material && need.Changed == 0 {
				need.Reason, need.Changed = ReasonNoticeChanged, n.Version
			}
			need.Notice, need.Version = n.ID, n.Version
		}
		if need.Notice == "" {
			need.Notice, need.Version = e.Notice, e.Version
		}
		return need, nil
	}
	notice := e.Notice
	if notice == "" {
		notice = p.Notice
	}
	return need, l.latest(ctx, op, &need, notice)
}

// latest sets the notice to show to the newest version of id, if any.
func (l *Ledger) latest(ctx context.Context, op string, need *Need, id NoticeID) error {
	if id == "" {
		return nil
	}
	n, err := l.notices.Notice(ctx, id, 0)
	switch {
	case isNotFound(err):
		return nil
	case err != nil:
		return wrap(op, err)
	}
	need.Notice, need.Version = n.ID, n.Version
	return nil
}
