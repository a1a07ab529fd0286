package consent_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

func (f *fixture) setCookies(t *testing.T, subject privacy.SubjectID, allow ...consent.CookieCategory) []consent.Event {
	t.Helper()
	es, err := f.l.SetCookies(f.ctx, consent.CookieChoice{Subject: subject, Allow: allow, Method: consent.MethodWeb, Language: language.Dutch})
	require.NoError(t, err)
	return es
}

func (f *fixture) cookies(t *testing.T, subject privacy.SubjectID) consent.CookieConsent {
	t.Helper()
	cc, err := f.l.Cookies(f.ctx, subject)
	require.NoError(t, err)
	return cc
}

// allowed lists the categories cc allows, in category order.
func allowed(cc consent.CookieConsent) []consent.CookieCategory {
	var out []consent.CookieCategory
	for _, c := range consent.CookieCategories() {
		if cc.Allows(c) {
			out = append(out, c)
		}
	}
	return out
}

func TestCookieConsent(t *testing.T) {
	for _, tc := range []struct {
		rule  string
		setup func(t *testing.T, f *fixture)
		allow []consent.CookieCategory
		ask   bool
	}{
		{"strictly necessary cookies need no consent and a new visitor is asked", nil,
			[]consent.CookieCategory{consent.CookieNecessary}, true},
		{"each category is consented to on its own", func(t *testing.T, f *fixture) {
			f.setCookies(t, "v1", consent.CookieAnalytics)
		}, []consent.CookieCategory{consent.CookieNecessary, consent.CookieAnalytics}, false},
		{"refusing everything optional is an answer: the banner is not shown again", func(t *testing.T, f *fixture) {
			f.setCookies(t, "v1")
		}, []consent.CookieCategory{consent.CookieNecessary}, false},
		{"a later choice replaces an earlier one", func(t *testing.T, f *fixture) {
			f.setCookies(t, "v1", consent.CookieAnalytics, consent.CookieMarketing)
			f.clock.Advance(time.Hour)
			f.setCookies(t, "v1", consent.CookieFunctional)
		}, []consent.CookieCategory{consent.CookieNecessary, consent.CookieFunctional}, false},
		{"cookie consent lasts twelve months by default", func(t *testing.T, f *fixture) {
			f.setCookies(t, "v1", consent.CookieAnalytics)
			f.clock.AddDate(0, 12, 0)
			f.clock.Advance(-time.Microsecond)
		}, []consent.CookieCategory{consent.CookieNecessary, consent.CookieAnalytics}, false},
		{"after twelve months cookie consent must be asked again", func(t *testing.T, f *fixture) {
			f.setCookies(t, "v1", consent.CookieAnalytics)
			f.clock.AddDate(0, 12, 0)
		}, []consent.CookieCategory{consent.CookieNecessary}, true},
		{"a material change of the cookie notice asks again", func(t *testing.T, f *fixture) {
			f.setCookies(t, "v1", consent.CookieAnalytics)
			f.publish(t, "cookies", 2, consent.Material, cookiePurposes()...)
		}, []consent.CookieCategory{consent.CookieNecessary}, true},
		{"an editorial change of the cookie notice does not ask again", func(t *testing.T, f *fixture) {
			f.setCookies(t, "v1", consent.CookieAnalytics)
			f.publish(t, "cookies", 2, consent.Editorial, cookiePurposes()...)
		}, []consent.CookieCategory{consent.CookieNecessary, consent.CookieAnalytics}, false},
		{"a change of the privacy notice does not touch cookie consent", func(t *testing.T, f *fixture) {
			f.setCookies(t, "v1", consent.CookieAnalytics)
			f.publish(t, "privacy", 2, consent.Material, "newsletter", "research")
		}, []consent.CookieCategory{consent.CookieNecessary, consent.CookieAnalytics}, false},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			cc := f.cookies(t, "v1")
			assert.Equal(t, tc.allow, allowed(cc))
			assert.Equal(t, tc.ask, cc.Ask, "ask")
		})
	}
}

func TestSetCookiesBindsEachCategoryToTheCookieNotice(t *testing.T) {
	f := newFixture(t)
	n := f.publish(t, "cookies", 2, consent.Editorial, cookiePurposes()...)
	es := f.setCookies(t, "v1", consent.CookieNecessary, consent.CookieMarketing)
	require.Len(t, es, 3, "one event per category that needs consent")
	want := map[privacy.Purpose]consent.State{
		consent.CookieFunctional.Purpose(): consent.Refused,
		consent.CookieAnalytics.Purpose():  consent.Refused,
		consent.CookieMarketing.Purpose():  consent.Given,
	}
	for _, e := range es {
		assert.Equal(t, want[e.Purpose], e.State, "%s", e.Purpose)
		assert.Equal(t, consent.NoticeID("cookies"), e.Notice)
		assert.Equal(t, 2, e.Version)
		assert.Equal(t, n.Hash, e.NoticeHash)
		assert.Equal(t, "nl", e.Language)
		if e.State == consent.Given {
			assert.Equal(t, e.Time.AddDate(0, 12, 0), e.Expires)
		}
	}

	f.clock.Advance(time.Hour)
	es = f.setCookies(t, "v1")
	var states []consent.State
	for _, e := range es {
		states = append(states, e.State)
	}
	assert.Equal(t, []consent.State{consent.Refused, consent.Refused, consent.Withdrawn}, states,
		"turning a category off withdraws the consent it had")
}

func TestCookieValidityIsConfigurable(t *testing.T) {
	clock := privacy.NewSettableClock(start)
	l, err := consent.New(nil, &consent.Options{Clock: clock, CookieMonths: 6})
	require.NoError(t, err)
	_, err = l.Publish(t.Context(), notice("cookies", 1, consent.Material, cookiePurposes()...))
	require.NoError(t, err)
	_, err = l.SetCookies(t.Context(), consent.CookieChoice{Subject: "v1", Allow: []consent.CookieCategory{consent.CookieAnalytics}, Method: consent.MethodApp})
	require.NoError(t, err)
	clock.AddDate(0, 6, 0)
	cc, err := l.Cookies(t.Context(), "v1")
	require.NoError(t, err)
	assert.True(t, cc.Ask)
	assert.Equal(t, consent.ReasonExpired, cc.Categories[consent.CookieAnalytics].Reason)
}

func TestSetCookiesRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		rule   string
		choice consent.CookieChoice
	}{
		{"an unknown category is an error", consent.CookieChoice{Subject: "v1", Method: consent.MethodWeb, Allow: []consent.CookieCategory{"tracking"}}},
		{"a visitor is required", consent.CookieChoice{Method: consent.MethodWeb}},
		{"a method is required", consent.CookieChoice{Subject: "v1"}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			_, err := f.l.SetCookies(f.ctx, tc.choice)
			assertError(t, err, privacy.ErrInvalid)
			assert.Empty(t, f.history(t, "v1"), "nothing recorded")
		})
	}
	t.Run("without a published cookie notice nothing can be given", func(t *testing.T) {
		l, err := consent.New(nil, nil)
		require.NoError(t, err)
		_, err = l.SetCookies(t.Context(), consent.CookieChoice{Subject: "v1", Method: consent.MethodWeb})
		assertError(t, err, privacy.ErrNotFound)
	})
}
