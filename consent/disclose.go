package consent

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// LegalOrder is a recorded order, by a court or an authority with the power
// to demand data, that allows disclosure without consent.
type LegalOrder struct {
	// ID is assigned by [DisclosureStore.AddOrder], from 1.
	ID        uint64
	Authority string    // who ordered it: a court, the tax authority
	Reference string    // the authority's case or letter number
	Date      time.Time // when the order was made; disclosure is allowed from then on
	// Basis is the legal basis the order gives; default
	// privacy.LegalObligation. Disclose with that basis finds the order.
	Basis privacy.LegalBasis
	Scope OrderScope
	// Recorded and Actor are set when the order is recorded: when, and by
	// whom.
	Recorded time.Time
	Actor    string
}

// OrderScope says what a legal order allows.
type OrderScope struct {
	// Subjects are the persons whose data may be disclosed; at least one.
	Subjects []privacy.SubjectID
	// Purposes are the purposes disclosure serves; at least one, each known
	// to the ledger.
	Purposes []privacy.Purpose
	// Recipients may receive the data; empty means the Authority only.
	Recipients []string
	// Until ends the order; zero means it does not lapse.
	Until time.Time
}

// Clone returns a deep copy of o.
func (o LegalOrder) Clone() LegalOrder {
	o.Scope.Subjects = slices.Clone(o.Scope.Subjects)
	o.Scope.Purposes = slices.Clone(o.Scope.Purposes)
	o.Scope.Recipients = slices.Clone(o.Scope.Recipients)
	return o
}

// allows reports whether o allows disclosing subject's data to recipient
// for purpose on basis at t.
func (o *LegalOrder) allows(subject privacy.SubjectID, recipient string, purpose privacy.Purpose, basis privacy.LegalBasis, t time.Time) bool {
	to := o.Scope.Recipients
	if len(to) == 0 {
		to = []string{o.Authority}
	}
	return o.Basis == basis &&
		slices.Contains(o.Scope.Subjects, subject) &&
		slices.Contains(o.Scope.Purposes, purpose) &&
		slices.Contains(to, recipient) &&
		!t.Before(o.Date) &&
		(o.Scope.Until.IsZero() || t.Before(o.Scope.Until))
}

// Disclosure records that a subject's data was passed to a third party, so
// that the subject can be told the recipients (GDPR Art. 15(1)(c)) and the
// recipients can be told of a later erasure (Art. 19).
type Disclosure struct {
	// ID is assigned by [DisclosureStore.AddDisclosure], from 1.
	ID        uint64
	Subject   privacy.SubjectID
	Recipient string
	Purpose   privacy.Purpose
	Basis     privacy.LegalBasis
	Time      time.Time
	// Consent is the Seq of the consent event that allowed it, or Order the
	// ID of the legal order; the other is zero.
	Consent uint64
	Order   uint64
}

// DisclosureStore keeps legal orders and disclosures. [MemoryDisclosures] is
// the default. Implementations must be safe for concurrent use, and values
// passed in and returned never alias the store's memory. Values arrive
// validated by the [Ledger]. Errors from a cancelled context are returned as
// they are.
type DisclosureStore interface {
	// AddOrder stores o with a new ID, higher than every ID before it, and
	// returns it as stored. An order with the same Authority and Reference
	// is a duplicate: it stores nothing and returns an error wrapping
	// privacy.ErrConflict.
	AddOrder(ctx context.Context, o LegalOrder) (LegalOrder, error)

	// Orders yields the orders whose scope names subject, in ID order. An
	// unknown subject yields nothing. After an error it yields that error
	// once and stops.
	Orders(ctx context.Context, subject privacy.SubjectID) iter.Seq2[LegalOrder, error]

	// AddDisclosure stores d with a new ID, higher than every ID before it,
	// and returns it as stored.
	AddDisclosure(ctx context.Context, d Disclosure) (Disclosure, error)

	// Disclosures yields subject's disclosures in ID order. An unknown
	// subject yields nothing. After an error it yields that error once and
	// stops.
	Disclosures(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Disclosure, error]

	// Pseudonymise replaces subject by pseudonym in every disclosure and in
	// the scope of every order, and returns how many disclosures and orders
	// it changed. An unknown subject changes nothing and returns 0.
	Pseudonymise(ctx context.Context, subject, pseudonym privacy.SubjectID) (int, error)
}

// RecordOrder validates and records a legal order, and returns it as stored.
// Authority and Reference are required, Date must not be zero, and the scope
// must name at least one subject and one known purpose (errors wrap
// privacy.ErrInvalid). Recording the same Authority and Reference twice
// returns an error wrapping privacy.ErrConflict. actor is who records it.
func (l *Ledger) RecordOrder(ctx context.Context, actor string, o LegalOrder) (LegalOrder, error) {
	const op = "consent.Ledger.RecordOrder"
	o = o.Clone()
	if o.Basis == "" {
		o.Basis = privacy.LegalObligation
	}
	check := func() error {
		for _, f := range []struct{ what, s string }{{"actor", actor}, {"authority", o.Authority}, {"reference", o.Reference}} {
			if err := checkName(f.what, f.s); err != nil {
				return err
			}
		}
		switch {
		case o.Basis.Validate() != nil:
			return fmt.Errorf("unknown legal basis %q", string(o.Basis))
		case o.Basis == privacy.Consent:
			return fmt.Errorf("an order is not consent: use another basis")
		case o.Date.IsZero():
			return fmt.Errorf("zero order date")
		case !o.Scope.Until.IsZero() && !o.Scope.Until.After(o.Date):
			return fmt.Errorf("order ends before it starts")
		case len(o.Scope.Subjects) == 0:
			return fmt.Errorf("order names no subject")
		case len(o.Scope.Purposes) == 0:
			return fmt.Errorf("order names no purpose")
		}
		for i, s := range o.Scope.Subjects {
			if err := checkName("subject", string(s)); err != nil {
				return fmt.Errorf("scope subject %d: %w", i, err)
			}
		}
		for _, p := range o.Scope.Purposes {
			if err := checkPurposeName(p); err != nil {
				return err
			}
			if _, ok := l.purposes[p]; !ok {
				return fmt.Errorf("unknown purpose %q", string(p))
			}
		}
		for _, r := range o.Scope.Recipients {
			if err := checkName("recipient", r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := check(); err != nil {
		return LegalOrder{}, invalid(op, err)
	}
	now, err := l.now(op)
	if err != nil {
		return LegalOrder{}, err
	}
	o.ID, o.Recorded, o.Actor = 0, now, actor
	o.Date = o.Date.UTC().Truncate(time.Microsecond)
	if !o.Scope.Until.IsZero() {
		o.Scope.Until = o.Scope.Until.UTC().Truncate(time.Microsecond)
	}
	o, err = l.disclosures.AddOrder(ctx, o)
	if err != nil {
		return LegalOrder{}, wrap(op, err)
	}
	err = l.log(ctx, op, privacy.Event{
		Time: now, Action: ActionOrderRecorded, Actor: actor,
		Object: fmt.Sprintf("order#%d", o.ID), Count: int64(len(o.Scope.Subjects)), Reason: o.Basis.Article(),
	})
	return o, err
}

// Disclose decides whether subject's data may be passed to recipient for
// purpose, and records the disclosure when it may. With basis
// privacy.Consent it passes only on a consent in force (not withdrawn,
// expired or overtaken by a material notice change) that names recipient;
// with any other basis only on a recorded legal order with that basis whose
// scope covers subject, recipient and purpose on this date. Otherwise it
// writes a denial to the audit log and returns an error wrapping
// privacy.ErrNoConsent. Malformed input and unknown purposes wrap
// privacy.ErrInvalid.
func (l *Ledger) Disclose(ctx context.Context, subject privacy.SubjectID, recipient string, purpose privacy.Purpose, basis privacy.LegalBasis) (Disclosure, error) {
	const op = "consent.Ledger.Disclose"
	if err := checkName("subject", string(subject)); err != nil {
		return Disclosure{}, invalid(op, err)
	}
	if err := checkName("recipient", recipient); err != nil {
		return Disclosure{}, invalid(op, err)
	}
	p, err := l.purpose(op, purpose)
	if err != nil {
		return Disclosure{}, err
	}
	if err := basis.Validate(); err != nil {
		return Disclosure{}, invalidf(op, "unknown legal basis %q", string(basis))
	}
	now, err := l.now(op)
	if err != nil {
		return Disclosure{}, err
	}
	d := Disclosure{Subject: subject, Recipient: recipient, Purpose: purpose, Basis: basis, Time: now}
	var denied string // a reason code for the audit entry
	if basis == privacy.Consent {
		need, err := l.consentNeed(ctx, op, subject, p, now)
		switch {
		case err != nil:
			return Disclosure{}, err
		case need.Needed():
			denied = "consent." + string(need.Reason)
		case !need.Event.Names(recipient):
			denied = "consent.recipient_not_named"
		default:
			d.Consent = need.Event.Seq
		}
	} else {
		for o, err := range l.disclosures.Orders(ctx, subject) {
			if err != nil {
				return Disclosure{}, wrap(op, err)
			}
			if o.allows(subject, recipient, purpose, basis, now) {
				d.Order = o.ID
				break
			}
		}
		if d.Order == 0 {
			denied = "order.none"
		}
	}
	if denied != "" {
		if err := l.log(ctx, op, privacy.Event{
			Time: now, Action: privacy.ActionDisclosureDenied, Actor: "system", Subject: subject,
			Object: recipient, Reason: fmt.Sprintf("%s %s %s", purpose, basis, denied),
		}); err != nil {
			return Disclosure{}, err
		}
		return Disclosure{}, &privacy.Error{Op: op,
			Msg: fmt.Sprintf("no consent naming the recipient nor legal order for purpose %q on %s (%s)", string(purpose), basis, denied),
			Err: privacy.ErrNoConsent}
	}
	d, err = l.disclosures.AddDisclosure(ctx, d)
	if err != nil {
		return Disclosure{}, wrap(op, err)
	}
	reason := fmt.Sprintf("%s %s consent#%d disclosure#%d", purpose, basis, d.Consent, d.ID)
	if d.Order != 0 {
		reason = fmt.Sprintf("%s %s order#%d disclosure#%d", purpose, basis, d.Order, d.ID)
	}
	err = l.log(ctx, op, privacy.Event{
		Time: now, Action: privacy.ActionDisclosed, Actor: "system", Subject: subject,
		Object: recipient, Count: 1, Reason: reason,
	})
	return d, err
}

// Disclosures yields subject's disclosures in the order made (GDPR Art.
// 15(1)(c), Art. 19). After an error it yields the error once and stops.
func (l *Ledger) Disclosures(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Disclosure, error] {
	const op = "consent.Ledger.Disclosures"
	return func(yield func(Disclosure, error) bool) {
		if err := checkName("subject", string(subject)); err != nil {
			yield(Disclosure{}, invalid(op, err))
			return
		}
		for d, err := range l.disclosures.Disclosures(ctx, subject) {
			if err != nil {
				yield(Disclosure{}, wrap(op, err))
				return
			}
			if !yield(d, nil) {
				return
			}
		}
	}
}

// Recipients returns the distinct recipients subject's data was disclosed
// to, sorted: what the subject is told under Art. 15(1)(c) and who is told
// of an erasure under Art. 19.
func (l *Ledger) Recipients(ctx context.Context, subject privacy.SubjectID) ([]string, error) {
	var out []string
	for d, err := range l.Disclosures(ctx, subject) {
		if err != nil {
			return nil, err
		}
		out = append(out, d.Recipient)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
