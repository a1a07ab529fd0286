package consent_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// order is a court order for s1's data to the public prosecutor, in force
// from a day after the fixture starts for a year.
func order() consent.LegalOrder {
	return consent.LegalOrder{
		Authority: "Rechtbank Amsterdam",
		Reference: "C/13/123456",
		Date:      start.AddDate(0, 0, 1),
		Scope: consent.OrderScope{
			Subjects:   []privacy.SubjectID{"s1", "s9"},
			Purposes:   []privacy.Purpose{"court"},
			Recipients: []string{"Openbaar Ministerie"},
			Until:      start.AddDate(1, 0, 1),
		},
	}
}

func (f *fixture) disclosures(t *testing.T, subject privacy.SubjectID) []consent.Disclosure {
	t.Helper()
	var out []consent.Disclosure
	for d, err := range f.l.Disclosures(f.ctx, subject) {
		require.NoError(t, err)
		out = append(out, d)
	}
	return out
}

func TestDisclose(t *testing.T) {
	for _, tc := range []struct {
		rule      string
		setup     func(t *testing.T, f *fixture)
		recipient string
		purpose   privacy.Purpose
		basis     privacy.LegalBasis
		pass      bool
		denial    string // the reason code in the audit entry of a refusal
	}{
		{"consent naming the recipient and purpose passes", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "research", "university", "hospital")
		}, "hospital", "research", privacy.Consent, true, ""},
		{"without any decision it is refused", nil,
			"university", "research", privacy.Consent, false, "consent.never_asked"},
		{"consent that does not name the recipient is refused", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "research", "university")
		}, "insurer", "research", privacy.Consent, false, "consent.recipient_not_named"},
		{"consent to another purpose is refused", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "newsletter", "university")
		}, "university", "research", privacy.Consent, false, "consent.never_asked"},
		{"a withdrawn consent is refused", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "research", "university")
			_, err := f.l.Withdraw(f.ctx, choice("s1", "research"))
			require.NoError(t, err)
		}, "university", "research", privacy.Consent, false, "consent.withdrawn"},
		{"an expired consent is refused", func(t *testing.T, f *fixture) {
			c := choice("s1", "research", "university")
			c.Validity = time.Hour
			_, err := f.l.Give(f.ctx, c)
			require.NoError(t, err)
			f.clock.Advance(time.Hour)
		}, "university", "research", privacy.Consent, false, "consent.expired"},
		{"consent overtaken by a material notice change is refused", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "research", "university")
			f.publish(t, "privacy", 2, consent.Material, "newsletter", "research")
		}, "university", "research", privacy.Consent, false, "consent.notice_changed"},
		{"consent survives an editorial notice change", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "research", "university")
			f.publish(t, "privacy", 2, consent.Editorial, "newsletter", "research")
		}, "university", "research", privacy.Consent, true, ""},
		{"a contract is no ground to disclose without an order", nil,
			"courier", "delivery", privacy.Contract, false, "order.none"},
		{"a recorded legal order in scope passes", func(t *testing.T, f *fixture) {
			f.record(t, order())
			f.clock.AddDate(0, 0, 1)
		}, "Openbaar Ministerie", "court", privacy.LegalObligation, true, ""},
		{"a legal order without recipients allows the authority itself", func(t *testing.T, f *fixture) {
			o := order()
			o.Scope.Recipients = nil
			f.record(t, o)
			f.clock.AddDate(0, 0, 1)
		}, "Rechtbank Amsterdam", "court", privacy.LegalObligation, true, ""},
		{"a legal order does not pass before its date", func(t *testing.T, f *fixture) {
			f.record(t, order())
		}, "Openbaar Ministerie", "court", privacy.LegalObligation, false, "order.none"},
		{"a legal order does not pass after it ends", func(t *testing.T, f *fixture) {
			f.record(t, order())
			f.clock.AddDate(1, 0, 1)
		}, "Openbaar Ministerie", "court", privacy.LegalObligation, false, "order.none"},
		{"a legal order does not pass for another recipient", func(t *testing.T, f *fixture) {
			f.record(t, order())
			f.clock.AddDate(0, 0, 2)
		}, "journalist", "court", privacy.LegalObligation, false, "order.none"},
		{"a legal order does not pass for another purpose", func(t *testing.T, f *fixture) {
			f.record(t, order())
			f.clock.AddDate(0, 0, 2)
		}, "Openbaar Ministerie", "bookkeeping", privacy.LegalObligation, false, "order.none"},
		{"a legal order does not pass for another subject", func(t *testing.T, f *fixture) {
			o := order()
			o.Scope.Subjects = []privacy.SubjectID{"s2"}
			f.record(t, o)
			f.clock.AddDate(0, 0, 2)
		}, "Openbaar Ministerie", "court", privacy.LegalObligation, false, "order.none"},
		{"a legal order does not pass on another basis", func(t *testing.T, f *fixture) {
			f.record(t, order())
			f.clock.AddDate(0, 0, 2)
		}, "Openbaar Ministerie", "court", privacy.PublicTask, false, "order.none"},
		{"a legal order is no consent", func(t *testing.T, f *fixture) {
			f.record(t, order())
			f.clock.AddDate(0, 0, 2)
		}, "Openbaar Ministerie", "court", privacy.Consent, false, "consent.never_asked"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			d, err := f.l.Disclose(f.ctx, "s1", tc.recipient, tc.purpose, tc.basis)
			a := f.lastAudit(t)
			assert.Equal(t, privacy.SubjectID("s1"), a.Subject)
			assert.Equal(t, tc.recipient, a.Object)
			if !tc.pass {
				require.ErrorIs(t, err, privacy.ErrNoConsent)
				assertError(t, err, privacy.ErrNoConsent)
				assert.NotContains(t, err.Error(), "s1", "the error names no subject")
				assert.Equal(t, privacy.ActionDisclosureDenied, a.Action)
				assert.Contains(t, a.Reason, tc.denial)
				assert.Empty(t, f.disclosures(t, "s1"), "a refusal is no disclosure")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, privacy.ActionDisclosed, a.Action)
			assert.True(t, (d.Consent == 0) != (d.Order == 0), "exactly one ground: %+v", d)
			assert.Empty(t, cmp.Diff([]consent.Disclosure{d}, f.disclosures(t, "s1")), "the disclosure is kept (-want +got)")
		})
	}
}

func (f *fixture) record(t *testing.T, o consent.LegalOrder) consent.LegalOrder {
	t.Helper()
	o, err := f.l.RecordOrder(f.ctx, "legal-officer", o)
	require.NoError(t, err)
	return o
}

func TestDiscloseNamesItsGround(t *testing.T) {
	f := newFixture(t)
	given := f.give(t, "s1", "research", "university")
	byConsent, err := f.l.Disclose(f.ctx, "s1", "university", "research", privacy.Consent)
	require.NoError(t, err)
	assert.Equal(t, given.Seq, byConsent.Consent)
	assert.Zero(t, byConsent.Order)

	o := f.record(t, order())
	f.clock.AddDate(0, 0, 1)
	byOrder, err := f.l.Disclose(f.ctx, "s1", "Openbaar Ministerie", "court", privacy.LegalObligation)
	require.NoError(t, err)
	assert.Equal(t, o.ID, byOrder.Order)
	assert.Zero(t, byOrder.Consent)
	assert.Contains(t, f.lastAudit(t).Reason, "order#1")
}

func TestDiscloseRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	f.give(t, "s1", "research", "university")
	for _, tc := range []struct {
		rule      string
		subject   privacy.SubjectID
		recipient string
		purpose   privacy.Purpose
		basis     privacy.LegalBasis
	}{
		{"a subject is required", "", "university", "research", privacy.Consent},
		{"a recipient is required", "s1", "", "research", privacy.Consent},
		{"a recipient is valid UTF-8", "s1", "uni\xff", "research", privacy.Consent},
		{"an unknown purpose is an error", "s1", "university", "profiling", privacy.Consent},
		{"an unknown basis is an error", "s1", "university", "research", "because"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			n := f.audit.Len()
			_, err := f.l.Disclose(f.ctx, tc.subject, tc.recipient, tc.purpose, tc.basis)
			assertError(t, err, privacy.ErrInvalid)
			assert.Equal(t, n, f.audit.Len(), "malformed input is no refusal to log")
		})
	}
}

func TestRecordOrder(t *testing.T) {
	f := newFixture(t)
	o := f.record(t, order())
	assert.Equal(t, uint64(1), o.ID)
	assert.Equal(t, privacy.LegalObligation, o.Basis, "default basis")
	assert.Equal(t, "legal-officer", o.Actor)
	assert.Equal(t, start.Truncate(time.Microsecond), o.Recorded)
	a := f.lastAudit(t)
	assert.Equal(t, consent.ActionOrderRecorded, a.Action)
	assert.Equal(t, "order#1", a.Object)
	assert.Equal(t, int64(2), a.Count, "subjects in scope")

	_, err := f.l.RecordOrder(f.ctx, "legal-officer", order())
	assertError(t, err, privacy.ErrConflict, "the same authority and reference twice")

	for _, tc := range []struct {
		rule   string
		change func(*consent.LegalOrder)
	}{
		{"an authority is required", func(o *consent.LegalOrder) { o.Authority = "" }},
		{"a reference is required", func(o *consent.LegalOrder) { o.Reference = "" }},
		{"a reference is valid UTF-8", func(o *consent.LegalOrder) { o.Reference = "\xff" }},
		{"a date is required", func(o *consent.LegalOrder) { o.Date = time.Time{} }},
		{"an order ends after it starts", func(o *consent.LegalOrder) { o.Scope.Until = o.Date }},
		{"an order names a subject", func(o *consent.LegalOrder) { o.Scope.Subjects = nil }},
		{"an order names no empty subject", func(o *consent.LegalOrder) { o.Scope.Subjects = []privacy.SubjectID{""} }},
		{"an order names a purpose", func(o *consent.LegalOrder) { o.Scope.Purposes = nil }},
		{"an order names known purposes", func(o *consent.LegalOrder) { o.Scope.Purposes = []privacy.Purpose{"profiling"} }},
		{"an order names no empty recipient", func(o *consent.LegalOrder) { o.Scope.Recipients = []string{""} }},
		{"an order has a known basis", func(o *consent.LegalOrder) { o.Basis = "because" }},
		{"an order is not consent", func(o *consent.LegalOrder) { o.Basis = privacy.Consent }},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			o := order()
			o.Reference = "other/" + tc.rule
			tc.change(&o)
			_, err := f.l.RecordOrder(f.ctx, "legal-officer", o)
			assertError(t, err, privacy.ErrInvalid)
		})
	}
	_, err = f.l.RecordOrder(f.ctx, "", order())
	assertError(t, err, privacy.ErrInvalid, "an actor is required")
}

func TestRecipientsListsEveryRecipientOnce(t *testing.T) {
	f := newFixture(t)
	f.give(t, "s1", "research", "university", "hospital")
	f.give(t, "s2", "research", "insurer")
	for _, r := range []string{"university", "hospital", "university"} {
		_, err := f.l.Disclose(f.ctx, "s1", r, "research", privacy.Consent)
		require.NoError(t, err)
	}
	_, err := f.l.Disclose(f.ctx, "s2", "insurer", "research", privacy.Consent)
	require.NoError(t, err)
	_, err = f.l.Disclose(f.ctx, "s1", "insurer", "research", privacy.Consent)
	require.ErrorIs(t, err, privacy.ErrNoConsent)

	got, err := f.l.Recipients(f.ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, []string{"hospital", "university"}, got)
	ds := f.disclosures(t, "s1")
	require.Len(t, ds, 3)
	assert.True(t, slices.IsSortedFunc(ds, func(a, b consent.Disclosure) int { return int(a.ID) - int(b.ID) }), "in the order made")
	none, err := f.l.Recipients(f.ctx, "nobody")
	require.NoError(t, err)
	assert.Empty(t, none)
}
