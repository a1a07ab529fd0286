package consent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// start is when the fixture's clock starts: a moment with sub-microsecond
// digits, to check that the ledger stores microseconds.
var start = time.Date(2025, 3, 15, 10, 0, 0, 123456789, time.UTC)

// The purposes of the fixture, after the privacy statement of a bookkeeping
// service: delivery rests on the contract, bookkeeping on the fiscal duty,
// the rest on consent, and a court order on a legal obligation.
var purposes = []consent.Purpose{
	{Name: "delivery", Basis: privacy.Contract},
	{Name: "bookkeeping", Basis: privacy.LegalObligation},
	{Name: "newsletter", Basis: privacy.Consent, Notice: "privacy"},
	{Name: "research", Basis: privacy.Consent, Notice: "privacy"},
	{Name: "court", Basis: privacy.LegalObligation},
}

type fixture struct {
	ctx   context.Context
	l     *consent.Ledger
	clock *privacy.SettableClock
	audit *privacy.MemoryAuditLog
	store *consent.MemoryStore
	key   []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		ctx:   context.Background(),
		clock: privacy.NewSettableClock(start),
		audit: privacy.NewMemoryAuditLog(),
		store: consent.NewMemoryStore(),
		key:   []byte("0123456789abcdef0123456789abcdef"),
	}
	var err error
	f.l, err = consent.New(f.store, &consent.Options{
		Clock:        f.clock,
		Audit:        f.audit,
		Purposes:     purposes,
		PseudonymKey: f.key,
	})
	require.NoError(t, err)
	f.publish(t, "privacy", 1, consent.Material, "newsletter", "research")
	f.publish(t, "cookies", 1, consent.Material, cookiePurposes()...)
	return f
}

func cookiePurposes() []privacy.Purpose {
	var out []privacy.Purpose
	for _, c := range consent.CookieCategories() {
		out = append(out, c.Purpose())
	}
	return out
}

// notice returns a notice with English and Dutch texts.
func notice(id consent.NoticeID, version int, change consent.Change, ps ...privacy.Purpose) consent.Notice {
	return consent.Notice{
		ID: id, Version: version, Change: change, Purposes: ps,
		Texts: map[string]consent.Text{
			"en": {Title: "Privacy statement", Body: "We use your data for delivery and quality control."},
			"nl": {Title: "Privacyverklaring", Body: "Wij gebruiken uw gegevens voor levering en kwaliteitscontrole."},
		},
	}
}

func (f *fixture) publish(t *testing.T, id consent.NoticeID, version int, change consent.Change, ps ...privacy.Purpose) consent.Notice {
	t.Helper()
	n, err := f.l.Publish(f.ctx, notice(id, version, change, ps...))
	require.NoError(t, err)
	return n
}

// choice is a web choice of subject about purpose under the newest notice.
func choice(subject privacy.SubjectID, purpose privacy.Purpose, recipients ...string) consent.Choice {
	return consent.Choice{Subject: subject, Purpose: purpose, Method: consent.MethodWeb, Recipients: recipients}
}

func (f *fixture) give(t *testing.T, subject privacy.SubjectID, purpose privacy.Purpose, recipients ...string) consent.Event {
	t.Helper()
	e, err := f.l.Give(f.ctx, choice(subject, purpose, recipients...))
	require.NoError(t, err)
	return e
}

func (f *fixture) history(t *testing.T, subject privacy.SubjectID) []consent.Event {
	t.Helper()
	var out []consent.Event
	for e, err := range f.l.History(f.ctx, subject) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

func (f *fixture) auditEvents(t *testing.T) []privacy.Event {
	t.Helper()
	var out []privacy.Event
	for e, err := range f.audit.Events(f.ctx, 0) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

// lastAudit returns the newest audit event.
func (f *fixture) lastAudit(t *testing.T) privacy.Event {
	t.Helper()
	all := f.auditEvents(t)
	require.NotEmpty(t, all)
	return all[len(all)-1]
}

// assertError checks that err is a *privacy.Error wrapping sentinel.
func assertError(t *testing.T, err error, sentinel error, msgAndArgs ...any) {
	t.Helper()
	if !assert.ErrorIs(t, err, sentinel, msgAndArgs...) {
		return
	}
	var pe *privacy.Error
	assert.True(t, errors.As(err, &pe), "error %v is not a *privacy.Error", err)
}
