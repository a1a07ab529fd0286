package consent

import (
	"context"
	"slices"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Forgotten reports what [Ledger.Forget] did.
type Forgotten struct {
	// Pseudonym is the keyed pseudonym that now stands for the subject in
	// the consent history, disclosures and legal orders.
	Pseudonym privacy.SubjectID
	// Withdrawn are the purposes whose consent was in force and is now
	// withdrawn.
	Withdrawn []privacy.Purpose
	// Events, Disclosures and Orders count what now names the pseudonym.
	Events      int
	Disclosures int
	Orders      int
	// Recipients are the third parties the subject's data was disclosed to,
	// sorted: each must be told of the erasure (GDPR Art. 19).
	Recipients []string
}

// Forget carries out the consent side of erasure (GDPR Art. 17): every
// consent of subject in force is withdrawn, and then the subject is replaced
// by a keyed pseudonym (Options.PseudonymKey) throughout the consent history,
// the disclosures and the legal orders. The history keeps its proof value:
// whoever holds the key can show what a person consented to by computing the
// pseudonym of their ID. Afterwards the subject reads as never asked.
//
// Forget is idempotent: a second call finds nothing under the subject and
// reports zero counts. Without a pseudonym key it returns an error wrapping
// privacy.ErrInvalid and changes nothing.
func (l *Ledger) Forget(ctx context.Context, subject privacy.SubjectID) (Forgotten, error) {
	const op = "consent.Ledger.Forget"
	if err := checkName("subject", string(subject)); err != nil {
		return Forgotten{}, invalid(op, err)
	}
	if l.pseudonym == nil {
		return Forgotten{}, invalidf(op, "no pseudonym key configured (Options.PseudonymKey)")
	}
	now, err := l.now(op)
	if err != nil {
		return Forgotten{}, err
	}
	ps, err := l.pseudonym.Apply(string(subject))
	if err != nil {
		return Forgotten{}, wrap(op, err)
	}
	f := Forgotten{Pseudonym: privacy.SubjectID(ps.(string))}

	cur, err := l.currents(ctx, op, subject)
	if err != nil {
		return Forgotten{}, err
	}
	for _, c := range cur {
		if c.State != Given || c.ExpiredAt(now) {
			continue
		}
		e := c.Clone()
		e.Seq, e.State, e.Method, e.Actor, e.Time, e.Expires, e.Recipients = 0, Withdrawn, MethodSystem, "system", now, time.Time{}, nil
		if _, err := l.record(ctx, op, e, privacy.ActionConsentWithdrawn); err != nil {
			return f, err
		}
		f.Withdrawn = append(f.Withdrawn, c.Purpose)
	}
	if f.Recipients, err = l.Recipients(ctx, subject); err != nil {
		return f, err
	}
	for _, err := range l.disclosures.Orders(ctx, subject) {
		if err != nil {
			return f, wrap(op, err)
		}
		f.Orders++
	}
	for _, err := range l.disclosures.Disclosures(ctx, subject) {
		if err != nil {
			return f, wrap(op, err)
		}
		f.Disclosures++
	}
	if f.Events, err = l.store.Pseudonymise(ctx, subject, f.Pseudonym); err != nil {
		return f, wrap(op, err)
	}
	if _, err := l.disclosures.Pseudonymise(ctx, subject, f.Pseudonym); err != nil {
		return f, wrap(op, err)
	}
	slices.Sort(f.Withdrawn)
	err = l.log(ctx, op, privacy.Event{
		Time: now, Action: privacy.ActionConsentForgotten, Actor: "system", Subject: f.Pseudonym,
		Count: int64(f.Events), Reason: "GDPR Art. 17",
	})
	return f, err
}
