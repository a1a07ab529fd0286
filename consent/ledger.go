package consent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"

	"github.com/smartbooqing/steward/privacy"
)

// Actions this package writes to the audit log besides those [privacy]
// names.
const (
	ActionNoticePublished privacy.Action = "notice.published"
	ActionOrderRecorded   privacy.Action = "legal_order.recorded"
)

// Purpose declares a purpose of processing the ledger knows, with its legal
// basis. Only purposes on [privacy.Consent] need consent; the others pass
// [Ledger.NeedsConsent] without it.
type Purpose struct {
	Name  privacy.Purpose
	Basis privacy.LegalBasis
	// Notice is the notice that asks consent for the purpose, used when a
	// [Choice] names none. It may be empty for purposes on another basis.
	Notice NoticeID
}

// Options configure a [Ledger]. The zero value of every field is sensible, and
// nil Options mean all defaults.
type Options struct {
	// Clock tells the time; default privacy.SystemClock.
	Clock privacy.Clock
	// Audit receives an event for every change and disclosure; default a new
	// privacy.MemoryAuditLog.
	Audit privacy.AuditLog
	// Notices keeps notice versions; default a new MemoryNotices.
	Notices NoticeStore
	// Disclosures keeps legal orders and disclosures; default a new
	// MemoryDisclosures.
	Disclosures DisclosureStore
	// Purposes are the purposes the ledger knows besides the cookie
	// categories, which it always knows. Any other purpose is an error.
	Purposes []Purpose
	// Languages are the languages texts are offered in, the first being the
	// fallback; every published notice needs a text in each. Default English
	// and Dutch.
	Languages []language.Tag
	// CookieNotice is the notice cookie consent is bound to; default "cookies".
	CookieNotice NoticeID
	// CookieMonths is how long cookie consent lasts before it must be asked
	// again; default 12.
	CookieMonths int
	// Jurisdiction is recorded on events whose Choice names none; default "NL".
	Jurisdiction string
	// PseudonymKey keys the pseudonym that replaces a forgotten subject
	// (see privacy.Pseudonym); at least privacy.MinPseudonymKey bytes. Without
	// it [Ledger.Forget] returns an error: a pseudonym from a key nobody kept
	// could not later link the proof to the person who disputes it.
	PseudonymKey []byte
}

// Ledger records consent decisions, answers whether consent is needed, gates
// disclosures and forgets subjects. It is safe for concurrent use; all its
// state is in its stores.
type Ledger struct {
	store        Store
	notices      NoticeStore
	disclosures  DisclosureStore
	clock        privacy.Clock
	audit        privacy.AuditLog
	purposes     map[privacy.Purpose]Purpose
	languages    []language.Tag
	matcher      language.Matcher
	messages     catalog.Catalog
	cookieNotice NoticeID
	cookieMonths int
	jurisdiction string
	pseudonym    privacy.Mask // nil without a key
}

// New returns a ledger over store; a nil store is a new MemoryStore. It
// returns an error wrapping privacy.ErrInvalid for a purpose with an empty
// name, an unknown basis or a duplicate name, an undefined language, or a
// pseudonym key that is too short.
func New(store Store, opts *Options) (*Ledger, error) {
	const op = "consent.New"
	var o Options
	if opts != nil {
		o = *opts
	}
	l := &Ledger{
		store:        store,
		notices:      o.Notices,
		disclosures:  o.Disclosures,
		clock:        o.Clock,
		audit:        o.Audit,
		purposes:     make(map[privacy.Purpose]Purpose),
		languages:    slices.Clone(o.Languages),
		cookieNotice: o.CookieNotice,
		cookieMonths: o.CookieMonths,
		jurisdiction: o.Jurisdiction,
	}
	if l.store == nil {
		l.store = NewMemoryStore()
	}
	if l.notices == nil {
		l.notices = NewMemoryNotices()
	}
	if l.disclosures == nil {
		l.disclosures = NewMemoryDisclosures()
	}
	if l.clock == nil {
		l.clock = privacy.SystemClock{}
	}
	if l.audit == nil {
		l.audit = privacy.NewMemoryAuditLog()
	}
	if len(l.languages) == 0 {
		l.languages = []language.Tag{language.English, language.Dutch}
	}
	for i, t := range l.languages {
		if t == language.Und {
			return nil, invalidf(op, "language %d is undefined", i)
		}
		if slices.Contains(l.languages[:i], t) {
			return nil, invalidf(op, "language %s listed twice", t)
		}
	}
	l.matcher = language.NewMatcher(l.languages)
	if l.cookieNotice == "" {
		l.cookieNotice = "cookies"
	} else if err := checkName("cookie notice ID", string(l.cookieNotice)); err != nil {
		return nil, invalid(op, err)
	}
	if l.cookieMonths == 0 {
		l.cookieMonths = 12
	} else if l.cookieMonths < 0 {
		return nil, invalidf(op, "cookie validity of %d months", l.cookieMonths)
	}
	if l.jurisdiction == "" {
		l.jurisdiction = "NL"
	} else if err := checkName("jurisdiction", l.jurisdiction); err != nil {
		return nil, invalid(op, err)
	}
	if o.PseudonymKey != nil {
		m, err := privacy.Pseudonym(o.PseudonymKey)
		if err != nil {
			return nil, invalid(op, err)
		}
		l.pseudonym = m
	}
	for _, p := range append(cookiePurposes(l.cookieNotice), o.Purposes...) {
		if err := checkPurposeName(p.Name); err != nil {
			return nil, invalid(op, err)
		}
		if err := p.Basis.Validate(); err != nil {
			return nil, invalidf(op, "purpose %q: unknown legal basis %q", string(p.Name), string(p.Basis))
		}
		if p.Notice != "" {
			if err := checkName("notice ID", string(p.Notice)); err != nil {
				return nil, invalidf(op, "purpose %q: %v", string(p.Name), err)
			}
		}
		if _, dup := l.purposes[p.Name]; dup {
			return nil, invalidf(op, "purpose %q declared twice", string(p.Name))
		}
		l.purposes[p.Name] = p
	}
	l.messages = newCatalog()
	return l, nil
}

// Purposes returns the purposes the ledger knows, sorted by name.
func (l *Ledger) Purposes() []Purpose {
	out := make([]Purpose, 0, len(l.purposes))
	for _, p := range l.purposes {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Purpose) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// purpose returns the declaration of p, or an error wrapping ErrInvalid for
// an unknown or malformed purpose.
func (l *Ledger) purpose(op string, p privacy.Purpose) (Purpose, error) {
	if err := checkPurposeName(p); err != nil {
		return Purpose{}, invalid(op, err)
	}
	d, ok := l.purposes[p]
	if !ok {
		return Purpose{}, invalidf(op, "unknown purpose %q", string(p))
	}
	return d, nil
}

// now reads the clock in UTC at microsecond precision, what SQL stores keep,
// so that an event reads back equal from every store.
func (l *Ledger) now(op string) (time.Time, error) {
	t := l.clock.Now()
	if t.IsZero() {
		return time.Time{}, invalidf(op, "the clock reads the zero time")
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

func (l *Ledger) log(ctx context.Context, op string, e privacy.Event) error {
	if _, err := l.audit.Append(ctx, e); err != nil {
		return wrap(op, err)
	}
	return nil
}

// Publish validates n and stores it as the newest version of its notice. It
// sets Published from the clock when it is zero and Hash to the content hash,
// and returns the notice as stored. Every purpose n lists must be known and
// n needs a text in each of the ledger's languages (errors wrap
// privacy.ErrInvalid, as does a Hash set by the caller that does not match the
// content). Publishing a version that is not higher than the newest stored one
// returns an error wrapping privacy.ErrConflict: a published version never
// changes.
func (l *Ledger) Publish(ctx context.Context, n Notice) (Notice, error) {
	const op = "consent.Ledger.Publish"
	n = n.Clone()
	if err := n.validate(op); err != nil {
		return Notice{}, err
	}
	for _, p := range n.Purposes {
		if _, err := l.purpose(op, p); err != nil {
			return Notice{}, err
		}
	}
	for _, t := range l.languages {
		if _, ok := n.Texts[t.String()]; !ok {
			return Notice{}, invalidf(op, "notice %q version %d has no %s text", string(n.ID), n.Version, t)
		}
	}
	if sum := n.Sum(); n.Hash == "" {
		n.Hash = sum
	} else if n.Hash != sum {
		return Notice{}, invalidf(op, "notice %q version %d: hash does not match the content", string(n.ID), n.Version)
	}
	if n.Published.IsZero() {
		now, err := l.now(op)
		if err != nil {
			return Notice{}, err
		}
		n.Published = now
	} else {
		n.Published = n.Published.UTC().Truncate(time.Microsecond)
	}
	if err := l.notices.Publish(ctx, n); err != nil {
		return Notice{}, wrap(op, err)
	}
	err := l.log(ctx, op, privacy.Event{
		Time: n.Published, Action: ActionNoticePublished, Actor: "system",
		Object: string(n.ID), Count: int64(n.Version), Reason: n.Change.String(),
	})
	return n, err
}

// Notice returns version of the notice id, or its newest version when
// version is 0; an error wrapping privacy.ErrNotFound when there is none.
func (l *Ledger) Notice(ctx context.Context, id NoticeID, version int) (Notice, error) {
	const op = "consent.Ledger.Notice"
	if err := checkName("notice ID", string(id)); err != nil {
		return Notice{}, invalid(op, err)
	}
	if version < 0 {
		return Notice{}, invalidf(op, "notice version %d", version)
	}
	n, err := l.notices.Notice(ctx, id, version)
	return n, wrap(op, err)
}

// Choice is a subject's decision about one purpose, the input of
// [Ledger.Give], [Ledger.Refuse] and [Ledger.Withdraw]. Withdrawing takes the
// same shape as giving, and only Subject, Purpose and Method are required.
type Choice struct {
	Subject privacy.SubjectID
	Purpose privacy.Purpose
	// Notice and Version name the notice the subject was shown; the default
	// is the purpose's notice in its newest version. Withdraw ignores them:
	// the withdrawal points at the notice of the consent it ends.
	Notice  NoticeID
	Version int
	// Language is the language of the text shown; default the ledger's first
	// language. The notice must have a text in it.
	Language language.Tag
	Method   Method // how the decision was collected; required
	Actor    string // who recorded it; default "subject"
	// Validity is how long a given consent lasts; zero means until
	// withdrawn. Only Give uses it.
	Validity time.Duration
	// Recipients are the third parties disclosure to is agreed; only Give
	// uses them. Disclose passes only for a recipient named here.
	Recipients []string
	// Jurisdiction defaults to the ledger's.
	Jurisdiction string
}

// event validates c and builds the event it records in state s, without the
// notice fields.
func (l *Ledger) event(op string, c *Choice, s State) (Event, Purpose, error) {
	if err := checkName("subject", string(c.Subject)); err != nil {
		return Event{}, Purpose{}, invalid(op, err)
	}
	p, err := l.purpose(op, c.Purpose)
	if err != nil {
		return Event{}, Purpose{}, err
	}
	if p.Basis != privacy.Consent {
		return Event{}, Purpose{}, invalidf(op, "purpose %q rests on %s, not on consent", string(p.Name), p.Basis.Article())
	}
	if err := checkName("method", string(c.Method)); err != nil {
		return Event{}, Purpose{}, invalid(op, err)
	}
	e := Event{
		Subject: c.Subject, Purpose: c.Purpose, Basis: p.Basis, State: s,
		Method: c.Method, Actor: c.Actor, Jurisdiction: c.Jurisdiction,
	}
	if e.Actor == "" {
		e.Actor = "subject"
	} else if err := checkName("actor", e.Actor); err != nil {
		return Event{}, Purpose{}, invalid(op, err)
	}
	if e.Jurisdiction == "" {
		e.Jurisdiction = l.jurisdiction
	} else if err := checkName("jurisdiction", e.Jurisdiction); err != nil {
		return Event{}, Purpose{}, invalid(op, err)
	}
	if e.Time, err = l.now(op); err != nil {
		return Event{}, Purpose{}, err
	}
	return e, p, nil
}

// shown fills in the notice the subject was shown for a Give or Refuse.
func (l *Ledger) shown(ctx context.Context, op string, c *Choice, p Purpose, e *Event) error {
	id := c.Notice
	if id == "" {
		id = p.Notice
	}
	if id == "" {
		return invalidf(op, "purpose %q has no notice and the choice names none", string(p.Name))
	}
	if err := checkName("notice ID", string(id)); err != nil {
		return invalid(op, err)
	}
	if c.Version < 0 {
		return invalidf(op, "notice version %d", c.Version)
	}
	n, err := l.notices.Notice(ctx, id, c.Version)
	if err != nil {
		return wrap(op, err)
	}
	if !n.Covers(c.Purpose) {
		return invalidf(op, "notice %q version %d does not cover purpose %q", string(n.ID), n.Version, string(c.Purpose))
	}
	lang := c.Language
	if lang == language.Und {
		lang = l.languages[0]
	}
	tag := lang.String()
	if _, ok := n.Texts[tag]; !ok {
		base, _ := lang.Base()
		if _, ok := n.Texts[base.String()]; !ok {
			return invalidf(op, "notice %q version %d has no %s text", string(n.ID), n.Version, tag)
		}
		tag = base.String()
	}
	e.Notice, e.Version, e.Language, e.NoticeHash = n.ID, n.Version, tag, n.Hash
	return nil
}

// record appends e to the store and its audit event to the log.
func (l *Ledger) record(ctx context.Context, op string, e Event, a privacy.Action) (Event, error) {
	e, err := l.store.Append(ctx, e)
	if err != nil {
		return Event{}, wrap(op, err)
	}
	err = l.log(ctx, op, privacy.Event{
		Time: e.Time, Action: a, Actor: e.Actor, Subject: e.Subject,
		Object: string(e.Purpose), Count: int64(len(e.Recipients)),
		Reason: fmt.Sprintf("notice %s@%d", e.Notice, e.Version),
	})
	return e, err
}

// Give records that c.Subject consents to c.Purpose under the notice shown,
// and returns the event as stored. The purpose must be known and rest on
// consent, and the notice must be published and cover it; otherwise the
// error wraps privacy.ErrInvalid (privacy.ErrNotFound for a notice that is not
// published). The consent replaces any earlier decision for the purpose.
func (l *Ledger) Give(ctx context.Context, c Choice) (Event, error) {
	return l.give(ctx, "consent.Ledger.Give", c, 0)
}

// give records a consent; months, when positive, sets the validity in
// calendar months instead of c.Validity.
func (l *Ledger) give(ctx context.Context, op string, c Choice, months int) (Event, error) {
	e, p, err := l.event(op, &c, Given)
	if err != nil {
		return Event{}, err
	}
	if c.Validity < 0 {
		return Event{}, invalidf(op, "negative validity")
	}
	switch {
	case months > 0:
		e.Expires = e.Time.AddDate(0, months, 0)
	case c.Validity > 0:
		e.Expires = e.Time.Add(c.Validity)
	}
	for i, r := range c.Recipients {
		if err := checkName("recipient", r); err != nil {
			return Event{}, invalid(op, err)
		}
		if slices.Contains(c.Recipients[:i], r) {
			return Event{}, invalidf(op, "recipient %d is listed twice", i)
		}
	}
	e.Recipients = slices.Clone(c.Recipients)
	if err := l.shown(ctx, op, &c, p, &e); err != nil {
		return Event{}, err
	}
	return l.record(ctx, op, e, privacy.ActionConsentGiven)
}

// Refuse records that c.Subject was asked about c.Purpose and declined. It
// validates like [Ledger.Give]; Validity and Recipients are ignored.
func (l *Ledger) Refuse(ctx context.Context, c Choice) (Event, error) {
	const op = "consent.Ledger.Refuse"
	e, p, err := l.event(op, &c, Refused)
	if err != nil {
		return Event{}, err
	}
	if err := l.shown(ctx, op, &c, p, &e); err != nil {
		return Event{}, err
	}
	return l.record(ctx, op, e, privacy.ActionConsentRefused)
}

// Withdraw ends c.Subject's consent to c.Purpose in one call and returns the
// withdrawal event. The event names the notice of the consent it ends. When
// there is no consent in force (already withdrawn, refused or expired) it
// records nothing and returns the current event: withdrawing twice is not an
// error. When the subject was never asked it returns an error wrapping
// privacy.ErrNotFound.
func (l *Ledger) Withdraw(ctx context.Context, c Choice) (Event, error) {
	const op = "consent.Ledger.Withdraw"
	e, _, err := l.event(op, &c, Withdrawn)
	if err != nil {
		return Event{}, err
	}
	cur, err := l.store.Current(ctx, c.Subject, c.Purpose)
	if err != nil {
		return Event{}, wrap(op, err)
	}
	if cur.State != Given || cur.ExpiredAt(e.Time) {
		return effective(cur, e.Time), nil
	}
	e.Notice, e.Version, e.Language, e.NoticeHash = cur.Notice, cur.Version, cur.Language, cur.NoticeHash
	return l.record(ctx, op, e, privacy.ActionConsentWithdrawn)
}

// effective returns e as it stands at t: a given consent whose validity ran
// out is reported in state Expired.
func effective(e Event, t time.Time) Event {
	if e.ExpiredAt(t) {
		e.State = Expired
	}
	return e
}

// Current returns the newest decision of subject about purpose. A given
// consent whose validity has run out is returned in state Expired, though the
// stored history may not yet hold an expiry event (see [Ledger.Expire]). It
// returns an error wrapping privacy.ErrNotFound when the subject was never
// asked, and privacy.ErrInvalid for an unknown purpose.
func (l *Ledger) Current(ctx context.Context, subject privacy.SubjectID, purpose privacy.Purpose) (Event, error) {
	const op = "consent.Ledger.Current"
	if err := checkName("subject", string(subject)); err != nil {
		return Event{}, invalid(op, err)
	}
	if _, err := l.purpose(op, purpose); err != nil {
		return Event{}, err
	}
	now, err := l.now(op)
	if err != nil {
		return Event{}, err
	}
	e, err := l.store.Current(ctx, subject, purpose)
	if err != nil {
		return Event{}, wrap(op, err)
	}
	return effective(e, now), nil
}

// History yields every consent event of subject in the order recorded. An
// unknown subject yields nothing. After an error it yields the error once and
// stops.
func (l *Ledger) History(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Event, error] {
	const op = "consent.Ledger.History"
	return func(yield func(Event, error) bool) {
		if err := checkName("subject", string(subject)); err != nil {
			yield(Event{}, invalid(op, err))
			return
		}
		for e, err := range l.store.History(ctx, subject) {
			if err != nil {
				yield(Event{}, wrap(op, err))
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// currents returns the newest event of each purpose in subject's history,
// in the order the purposes first appear.
func (l *Ledger) currents(ctx context.Context, op string, subject privacy.SubjectID) ([]Event, error) {
	var purposes []privacy.Purpose
	for e, err := range l.store.History(ctx, subject) {
		if err != nil {
			return nil, wrap(op, err)
		}
		if !slices.Contains(purposes, e.Purpose) {
			purposes = append(purposes, e.Purpose)
		}
	}
	out := make([]Event, 0, len(purposes))
	for _, p := range purposes {
		e, err := l.store.Current(ctx, subject, p)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Expire records an expiry event for each of subject's consents whose
// validity has run out, and returns the events recorded. Expired consent
// already counts as expired everywhere; recording it makes the history say so
// and writes an audit entry. Running it again records nothing new.
func (l *Ledger) Expire(ctx context.Context, subject privacy.SubjectID) ([]Event, error) {
	const op = "consent.Ledger.Expire"
	if err := checkName("subject", string(subject)); err != nil {
		return nil, invalid(op, err)
	}
	now, err := l.now(op)
	if err != nil {
		return nil, err
	}
	cur, err := l.currents(ctx, op, subject)
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, c := range cur {
		if !c.ExpiredAt(now) {
			continue
		}
		e := c.Clone()
		e.State, e.Method, e.Actor, e.Time, e.Expires, e.Recipients = Expired, MethodSystem, "system", c.Expires, time.Time{}, nil
		e, err := l.record(ctx, op, e, privacy.ActionConsentExpired)
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// isNotFound reports whether err says a thing is missing.
func isNotFound(err error) bool { return errors.Is(err, privacy.ErrNotFound) }
