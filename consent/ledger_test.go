package consent_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

func TestNewWithNilOptionsUsesDefaults(t *testing.T) {
	l, err := consent.New(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []language.Tag{language.English, language.Dutch}, l.Languages())
	var names []privacy.Purpose
	for _, p := range l.Purposes() {
		names = append(names, p.Name)
	}
	assert.Equal(t, []privacy.Purpose{"cookies.analytics", "cookies.functional", "cookies.marketing", "cookies.necessary"}, names,
		"the cookie categories are always known")
	need, err := l.NeedsConsent(context.Background(), "s1", consent.CookieAnalytics.Purpose())
	require.NoError(t, err)
	assert.Equal(t, consent.ReasonNeverAsked, need.Reason)
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		rule string
		opts consent.Options
	}{
		{"a purpose needs a name", consent.Options{Purposes: []consent.Purpose{{Basis: privacy.Consent}}}},
		{"a purpose needs one of the six bases", consent.Options{Purposes: []consent.Purpose{{Name: "x", Basis: "gut_feeling"}}}},
		{"a purpose is declared once", consent.Options{Purposes: []consent.Purpose{{Name: "x", Basis: privacy.Consent}, {Name: "x", Basis: privacy.Contract}}}},
		{"a purpose may not take a cookie category's name", consent.Options{Purposes: []consent.Purpose{{Name: "cookies.analytics", Basis: privacy.Contract}}}},
		{"a purpose name is valid UTF-8", consent.Options{Purposes: []consent.Purpose{{Name: "\xff", Basis: privacy.Consent}}}},
		{"a pseudonym key is long enough", consent.Options{PseudonymKey: []byte("short")}},
		{"a language is defined", consent.Options{Languages: []language.Tag{language.Und}}},
		{"a language is listed once", consent.Options{Languages: []language.Tag{language.Dutch, language.Dutch}}},
		{"cookie validity is not negative", consent.Options{CookieMonths: -1}},
		{"a jurisdiction is valid UTF-8", consent.Options{Jurisdiction: "\xff"}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			_, err := consent.New(nil, &tc.opts)
			assertError(t, err, privacy.ErrInvalid)
		})
	}
}

func TestGiveRecordsEveryFieldOfTheConsentRecord(t *testing.T) {
	f := newFixture(t)
	n, err := f.l.Notice(f.ctx, "privacy", 0)
	require.NoError(t, err)
	got, err := f.l.Give(f.ctx, consent.Choice{
		Subject: "s1", Purpose: "research", Language: language.MustParse("nl-BE"),
		Method: consent.MethodApp, Actor: "guardian-7", Validity: 30 * 24 * time.Hour,
		Recipients: []string{"university"}, Jurisdiction: "BE",
	})
	require.NoError(t, err)
	now := start.Truncate(time.Microsecond)
	want := consent.Event{
		Seq: 1, Subject: "s1", Purpose: "research", Basis: privacy.Consent, State: consent.Given,
		Notice: "privacy", Version: 1, Language: "nl", NoticeHash: n.Hash,
		Method: consent.MethodApp, Actor: "guardian-7", Time: now, Expires: now.Add(30 * 24 * time.Hour),
		Jurisdiction: "BE", Recipients: []string{"university"},
	}
	assert.Empty(t, cmp.Diff(want, got), "(-want +got)")
	a := f.lastAudit(t)
	assert.Equal(t, privacy.ActionConsentGiven, a.Action)
	assert.Equal(t, privacy.SubjectID("s1"), a.Subject)
	assert.Equal(t, "research", a.Object)
	assert.Equal(t, "guardian-7", a.Actor)
}

func TestGiveDefaults(t *testing.T) {
	f := newFixture(t)
	e := f.give(t, "s1", "newsletter")
	assert.Equal(t, "subject", e.Actor, "actor")
	assert.Equal(t, "NL", e.Jurisdiction, "jurisdiction")
	assert.Equal(t, "en", e.Language, "language: the ledger's first")
	assert.Equal(t, 1, e.Version, "version: the newest")
	assert.True(t, e.Expires.IsZero(), "no validity: until withdrawn")
}

func TestChoicesRejectBadInput(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "other", 1, consent.Material, "research")
	for _, tc := range []struct {
		rule   string
		change func(*consent.Choice)
		want   error
		// giveOnly marks a field Refuse ignores.
		giveOnly bool
	}{
		{"a subject is required", func(c *consent.Choice) { c.Subject = "" }, privacy.ErrInvalid, false},
		{"a subject is valid UTF-8", func(c *consent.Choice) { c.Subject = "s\xff" }, privacy.ErrInvalid, false},
		{"a purpose is required", func(c *consent.Choice) { c.Purpose = "" }, privacy.ErrInvalid, false},
		{"an unknown purpose is an error", func(c *consent.Choice) { c.Purpose = "profiling" }, privacy.ErrInvalid, false},
		{"a purpose on a contract takes no consent", func(c *consent.Choice) { c.Purpose = "delivery" }, privacy.ErrInvalid, false},
		{"a strictly necessary cookie takes no consent", func(c *consent.Choice) { c.Purpose = consent.CookieNecessary.Purpose() }, privacy.ErrInvalid, false},
		{"a method is required", func(c *consent.Choice) { c.Method = "" }, privacy.ErrInvalid, false},
		{"an actor is valid UTF-8", func(c *consent.Choice) { c.Actor = "\xff" }, privacy.ErrInvalid, false},
		{"a notice must be published", func(c *consent.Choice) { c.Notice = "unpublished" }, privacy.ErrNotFound, false},
		{"a notice version must be published", func(c *consent.Choice) { c.Version = 9 }, privacy.ErrNotFound, false},
		{"a notice version is not negative", func(c *consent.Choice) { c.Version = -1 }, privacy.ErrInvalid, false},
		{"the notice must cover the purpose", func(c *consent.Choice) { c.Notice = "other"; c.Purpose = "newsletter" }, privacy.ErrInvalid, false},
		{"the notice needs a text in the language shown", func(c *consent.Choice) { c.Language = language.German }, privacy.ErrInvalid, false},
		{"validity is not negative", func(c *consent.Choice) { c.Validity = -time.Hour }, privacy.ErrInvalid, true},
		{"a recipient is named once", func(c *consent.Choice) { c.Recipients = []string{"a", "a"} }, privacy.ErrInvalid, true},
		{"a recipient is not empty", func(c *consent.Choice) { c.Recipients = []string{""} }, privacy.ErrInvalid, true},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			c := choice("s1", "newsletter", "partner")
			tc.change(&c)
			_, err := f.l.Give(f.ctx, c)
			assertError(t, err, tc.want, "Give")
			_, err = f.l.Refuse(f.ctx, c)
			if tc.giveOnly {
				assert.NoError(t, err, "Refuse ignores validity and recipients")
			} else {
				assertError(t, err, tc.want, "Refuse")
			}
		})
	}
	t.Run("a clock at the zero time is an error", func(t *testing.T) {
		f.clock.Set(time.Time{})
		defer f.clock.Set(start)
		_, err := f.l.Give(f.ctx, choice("s1", "newsletter"))
		assertError(t, err, privacy.ErrInvalid)
	})
	n := f.audit.Len()
	_, err := f.l.Give(f.ctx, choice("", "newsletter"))
	require.Error(t, err)
	assert.Equal(t, n, f.audit.Len(), "a rejected choice writes no audit event")
}

func TestWithdrawIsOneCallAndNamesTheNoticeOfTheConsent(t *testing.T) {
	f := newFixture(t)
	given := f.give(t, "s1", "newsletter", "partner")
	f.publish(t, "privacy", 2, consent.Editorial, "newsletter", "research")
	f.clock.Advance(time.Hour)

	w, err := f.l.Withdraw(f.ctx, consent.Choice{Subject: "s1", Purpose: "newsletter", Method: consent.MethodEmail})
	require.NoError(t, err)
	assert.Equal(t, consent.Withdrawn, w.State)
	assert.Equal(t, given.Notice, w.Notice)
	assert.Equal(t, given.Version, w.Version, "the version consented to, not the newest")
	assert.Equal(t, given.NoticeHash, w.NoticeHash)
	assert.Equal(t, consent.MethodEmail, w.Method)
	assert.Empty(t, w.Recipients)
	assert.Equal(t, privacy.ActionConsentWithdrawn, f.lastAudit(t).Action)

	cur, err := f.l.Current(f.ctx, "s1", "newsletter")
	require.NoError(t, err)
	assert.Equal(t, w.Seq, cur.Seq)
}

func TestWithdrawTwiceRecordsOnce(t *testing.T) {
	f := newFixture(t)
	f.give(t, "s1", "newsletter")
	first, err := f.l.Withdraw(f.ctx, choice("s1", "newsletter"))
	require.NoError(t, err)
	second, err := f.l.Withdraw(f.ctx, choice("s1", "newsletter"))
	require.NoError(t, err)
	assert.Equal(t, first.Seq, second.Seq)
	assert.Len(t, f.history(t, "s1"), 2)
}

func TestWithdrawWithoutAnyDecisionIsNotFound(t *testing.T) {
	f := newFixture(t)
	_, err := f.l.Withdraw(f.ctx, choice("s1", "newsletter"))
	assertError(t, err, privacy.ErrNotFound)
}

func TestHistoryNeverLosesAnEvent(t *testing.T) {
	f := newFixture(t)
	var want []consent.Event
	steps := []func() (consent.Event, error){
		func() (consent.Event, error) { return f.l.Refuse(f.ctx, choice("s1", "newsletter")) },
		func() (consent.Event, error) { return f.l.Give(f.ctx, choice("s1", "newsletter")) },
		func() (consent.Event, error) { return f.l.Give(f.ctx, choice("s1", "research", "university")) },
		func() (consent.Event, error) { return f.l.Withdraw(f.ctx, choice("s1", "newsletter")) },
		func() (consent.Event, error) { return f.l.Give(f.ctx, choice("s1", "newsletter")) },
		func() (consent.Event, error) { return f.l.Refuse(f.ctx, choice("s1", "research")) },
	}
	for i, step := range steps {
		f.clock.Advance(time.Minute)
		e, err := step()
		require.NoError(t, err, "step %d", i)
		want = append(want, e)
		f.give(t, "other", "newsletter")
		assert.Empty(t, cmp.Diff(want, f.history(t, "s1")), "after step %d (-want +got)", i)
	}
}

func TestHistoryOfABadSubjectYieldsTheErrorOnce(t *testing.T) {
	f := newFixture(t)
	n := 0
	for _, err := range f.l.History(f.ctx, "") {
		n++
		assertError(t, err, privacy.ErrInvalid)
	}
	assert.Equal(t, 1, n)
}

func TestCurrent(t *testing.T) {
	f := newFixture(t)
	_, err := f.l.Current(f.ctx, "s1", "newsletter")
	assertError(t, err, privacy.ErrNotFound, "never asked")
	_, err = f.l.Current(f.ctx, "s1", "profiling")
	assertError(t, err, privacy.ErrInvalid, "unknown purpose")

	e, err := f.l.Give(f.ctx, consent.Choice{Subject: "s1", Purpose: "newsletter", Method: consent.MethodWeb, Validity: 48 * time.Hour})
	require.NoError(t, err)
	cur, err := f.l.Current(f.ctx, "s1", "newsletter")
	require.NoError(t, err)
	assert.Equal(t, consent.Given, cur.State)

	f.clock.Advance(48 * time.Hour)
	cur, err = f.l.Current(f.ctx, "s1", "newsletter")
	require.NoError(t, err)
	assert.Equal(t, consent.Expired, cur.State, "a consent reads as expired from the instant its validity ends")
	assert.Equal(t, e.Seq, cur.Seq, "the stored event is unchanged")
}

func TestExpireRecordsLapsedConsentOnce(t *testing.T) {
	f := newFixture(t)
	_, err := f.l.Give(f.ctx, consent.Choice{Subject: "s1", Purpose: "newsletter", Method: consent.MethodWeb, Validity: time.Hour})
	require.NoError(t, err)
	f.give(t, "s1", "research")

	got, err := f.l.Expire(f.ctx, "s1")
	require.NoError(t, err)
	assert.Empty(t, got, "nothing has lapsed yet")

	f.clock.AddDate(0, 0, 1)
	got, err = f.l.Expire(f.ctx, "s1")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, consent.Expired, got[0].State)
	assert.Equal(t, privacy.Purpose("newsletter"), got[0].Purpose)
	assert.Equal(t, start.Add(time.Hour).Truncate(time.Microsecond), got[0].Time, "recorded at the end of validity")
	assert.Equal(t, privacy.ActionConsentExpired, f.lastAudit(t).Action)

	again, err := f.l.Expire(f.ctx, "s1")
	require.NoError(t, err)
	assert.Empty(t, again)
	assert.Len(t, f.history(t, "s1"), 3)
}

func TestTimesAreStoredInUTCMicroseconds(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(time.Date(2025, 6, 1, 12, 0, 0, 999, time.FixedZone("CEST", 2*3600)))
	e := f.give(t, "s1", "newsletter")
	assert.Equal(t, time.UTC, e.Time.Location())
	assert.Zero(t, e.Time.Nanosecond()%1000)
}

func TestConcurrentDecisionsLoseNothing(t *testing.T) {
	f := newFixture(t)
	const workers, each = 6, 30
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Go(func() {
			subject := privacy.SubjectID(fmt.Sprint("s", w%3))
			for range each {
				if _, err := f.l.Give(f.ctx, choice(subject, "research", "university")); err != nil {
					errs <- err
				}
				if _, err := f.l.NeedsConsent(f.ctx, subject, "research"); err != nil {
					errs <- err
				}
				if _, err := f.l.Disclose(f.ctx, subject, "university", "research", privacy.Consent); err != nil && !errors.Is(err, privacy.ErrNoConsent) {
					errs <- err
				}
				if _, err := f.l.Withdraw(f.ctx, choice(subject, "research")); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	gives := 0
	for _, s := range []privacy.SubjectID{"s0", "s1", "s2"} {
		for _, e := range f.history(t, s) {
			if e.State == consent.Given {
				gives++
			}
		}
	}
	assert.Equal(t, workers*each, gives, "every consent given is in the history")
	_, err := privacy.Verify(f.ctx, f.audit)
	assert.NoError(t, err, "the audit chain holds under concurrent use")
}
