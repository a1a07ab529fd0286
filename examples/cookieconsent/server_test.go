package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
)

func TestBeforeConsentOnlyTheNecessaryCookieIsSet(t *testing.T) {
	s := newSite(t)
	p := s.get(t, "/", "en")
	require.Equal(t, http.StatusOK, p.StatusCode)
	assert.True(t, p.banner(), "a new visitor sees the banner")
	assert.Equal(t, []string{visitorCookie}, p.set())

	v := p.cookie(visitorCookie)
	require.NotNil(t, v)
	assert.True(t, validID(v.Value), "the visitor ID is random and opaque: %q", v.Value)
	assert.True(t, v.HttpOnly, "HttpOnly")
	assert.Equal(t, http.SameSiteLaxMode, v.SameSite)
	assert.Equal(t, "/", v.Path)
	assert.Greater(t, v.MaxAge, 365*24*60*60, "the visitor cookie outlives the consent it keys")

	again := s.get(t, "/", "en")
	assert.True(t, again.banner(), "the banner stays until the visitor chooses")
	assert.Empty(t, again.set(), "a known visitor gets no new cookie")
	assert.Equal(t, []string{visitorCookie}, s.held(t))
	assert.Empty(t, s.history(t, s.subject(t)), "looking is not choosing: nothing is recorded")

	st := s.status(t)
	assert.True(t, st.Ask)
	for _, c := range consent.CookieCategories() {
		assert.Equal(t, !c.NeedsConsent(), st.Categories[c].Allowed, "%s before any choice", c)
	}
	assert.Equal(t, consent.ReasonNeverAsked, st.Categories[consent.CookieAnalytics].Reason)
}

func TestAcceptingAnalyticsRecordsAnalyticsOnly(t *testing.T) {
	s := newSite(t)
	r := s.choose(t, "save", consent.CookieAnalytics)
	assert.Equal(t, []string{"analytics_id"}, r.set(), "only the analytics cookie is placed")
	a := r.cookie("analytics_id")
	require.NotNil(t, a)
	assert.True(t, a.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, a.SameSite)
	assert.Equal(t, int((365 * 24 * time.Hour).Seconds()), a.MaxAge, "the cookie ends when the consent does")
	assert.Equal(t, []string{"analytics_id", visitorCookie}, s.held(t))

	subject := s.subject(t)
	notice, err := s.ledger.Notice(t.Context(), "cookies", 1)
	require.NoError(t, err)
	now := s.clock.Now()
	want := map[consent.CookieCategory]consent.State{
		consent.CookieFunctional: consent.Refused,
		consent.CookieAnalytics:  consent.Given,
		consent.CookieMarketing:  consent.Refused,
	}
	for c, state := range want {
		e, err := s.ledger.Current(t.Context(), subject, c.Purpose())
		require.NoError(t, err, c)
		assert.Equal(t, state, e.State, c)
		assert.Equal(t, consent.NoticeID("cookies"), e.Notice, c)
		assert.Equal(t, 1, e.Version, "%s is bound to the notice version shown", c)
		assert.Equal(t, notice.Hash, e.NoticeHash, c)
		assert.Equal(t, "en", e.Language, c)
		assert.Equal(t, consent.MethodWeb, e.Method, c)
		if state == consent.Given {
			assert.Equal(t, now.AddDate(1, 0, 0), e.Expires, "a cookie consent lasts twelve months")
		}
	}

	cc, err := s.ledger.Cookies(t.Context(), subject)
	require.NoError(t, err)
	assert.False(t, cc.Ask)
	allowed := map[consent.CookieCategory]bool{}
	for _, c := range consent.CookieCategories() {
		allowed[c] = cc.Allows(c)
	}
	assert.Empty(t, cmp.Diff(map[consent.CookieCategory]bool{
		consent.CookieNecessary: true, consent.CookieFunctional: false,
		consent.CookieAnalytics: true, consent.CookieMarketing: false,
	}, allowed))

	st := s.status(t)
	assert.False(t, st.Ask)
	assert.Equal(t, string(subject), st.Visitor)
	assert.Equal(t, 1, st.Notice.Version)
	an := st.Categories[consent.CookieAnalytics]
	assert.True(t, an.Allowed)
	assert.Equal(t, consent.Given, an.State)
	assert.Equal(t, 1, an.Version)
	assert.Equal(t, now.AddDate(1, 0, 0), an.Expires)
	assert.False(t, st.Categories[consent.CookieMarketing].Allowed)
	assert.Equal(t, consent.ReasonRefused, st.Categories[consent.CookieMarketing].Reason)

	p := s.get(t, "/", "en")
	assert.False(t, p.banner(), "a visitor who chose is not asked again")
	assert.Empty(t, p.set(), "the analytics ID is kept, not renewed")
	assert.Contains(t, p.body, `data-category="analytics" data-allowed="true"`)
}

func TestRefusingPlacesNoCookie(t *testing.T) {
	for _, tc := range []struct {
		name   string
		button string
		ticked []consent.CookieCategory
	}{
		{"only necessary", "necessary", nil},
		{"only necessary with boxes ticked ignores the boxes", "necessary", []consent.CookieCategory{consent.CookieAnalytics}},
		{"saving with no box ticked", "save", nil},
		{"ticking strictly necessary asks for nothing more", "save", []consent.CookieCategory{consent.CookieNecessary}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			r := s.choose(t, tc.button, tc.ticked...)
			assert.Empty(t, r.set())
			assert.Equal(t, []string{visitorCookie}, s.held(t))
			events := s.history(t, s.subject(t))
			require.Len(t, events, 3, "one refusal per category that needs consent")
			for _, e := range events {
				assert.Equal(t, consent.Refused, e.State, e.Purpose)
				assert.Equal(t, 1, e.Version, e.Purpose)
			}
			p := s.get(t, "/", "")
			assert.False(t, p.banner(), "a refusal stands: the banner does not nag")
			assert.Empty(t, p.set())
		})
	}
}

func TestWithdrawingDeletesTheCookies(t *testing.T) {
	s := newSite(t)
	r := s.choose(t, "all")
	assert.Equal(t, []string{"analytics_id", "lang", "marketing_id"}, r.set())

	r = s.choose(t, "save", consent.CookieFunctional)
	assert.Empty(t, r.set())
	assert.Equal(t, []string{"analytics_id", "marketing_id"}, r.deleted())
	assert.Equal(t, []string{"lang", visitorCookie}, s.held(t))
	e, err := s.ledger.Current(t.Context(), s.subject(t), consent.CookieAnalytics.Purpose())
	require.NoError(t, err)
	assert.Equal(t, consent.Withdrawn, e.State)
}

func TestLanguageFollowsAcceptLanguage(t *testing.T) {
	for _, tc := range []struct {
		name, accept, want, title, button string
	}{
		{"Dutch", "nl-NL,nl;q=0.9,en;q=0.8", "nl", "Cookies op deze site", "Alles accepteren"},
		{"Belgian Dutch", "nl-BE", "nl", "Cookies op deze site", "Alles accepteren"},
		{"English", "en-GB,en;q=0.9", "en", "Cookies on this site", "Accept all"},
		{"Dutch second to an unsupported language", "de-DE,de;q=0.9,nl;q=0.5", "nl", "Cookies op deze site", "Alles accepteren"},
		{"unsupported language falls back to English", "fr-FR", "en", "Cookies on this site", "Accept all"},
		{"no header falls back to English", "", "en", "Cookies on this site", "Accept all"},
		{"malformed header falls back to English", ";;q=x", "en", "Cookies on this site", "Accept all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			p := s.get(t, "/", tc.accept)
			require.Equal(t, http.StatusOK, p.StatusCode)
			assert.Equal(t, tc.want, p.Header.Get("Content-Language"))
			assert.Contains(t, p.Header.Get("Vary"), "Accept-Language")
			assert.Contains(t, p.body, `<html lang="`+tc.want+`">`)
			assert.Contains(t, p.body, tc.title)
			assert.Contains(t, p.body, tc.button)
			assert.Equal(t, tc.want, formValue(t, p.body, "lang"), "the choice records the language shown")

			j := s.get(t, "/consent", tc.accept)
			assert.Equal(t, tc.want, j.Header.Get("Content-Language"))
		})
	}
}

func TestChoiceRecordsTheLanguageShown(t *testing.T) {
	s := newSite(t)
	p := s.get(t, "/", "nl")
	r := s.post(t, url.Values{"choice": {"all"}, "version": {formValue(t, p.body, "version")}, "lang": {formValue(t, p.body, "lang")}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	assert.Equal(t, "nl", r.Header.Get("Content-Language"))
	for _, e := range s.history(t, s.subject(t)) {
		assert.Equal(t, "nl", e.Language, e.Purpose)
	}
}

func TestFunctionalCookieRemembersTheLanguageOnlyWithConsent(t *testing.T) {
	s := newSite(t)
	p := s.get(t, "/?lang=nl", "en")
	assert.Equal(t, "nl", p.Header.Get("Content-Language"), "a clicked language wins over the header")
	assert.NotContains(t, p.set(), "lang", "without consent the choice is not remembered")
	assert.Equal(t, "en", s.get(t, "/", "en").Header.Get("Content-Language"))

	r := s.post(t, url.Values{"choice": {"save"}, "category": {"functional"}, "version": {"1"}, "lang": {"nl"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	assert.Equal(t, []string{"lang"}, r.set())
	assert.Equal(t, "nl", r.cookie("lang").Value)
	assert.Equal(t, "nl", s.get(t, "/", "en").Header.Get("Content-Language"), "with consent the language is remembered")
}

func TestBadFormIsRefused(t *testing.T) {
	good := func() url.Values {
		return url.Values{"choice": {"save"}, "category": {"analytics"}, "version": {"1"}, "lang": {"en"}}
	}
	for _, tc := range []struct {
		name   string
		change func(url.Values)
	}{
		{"unknown choice", func(f url.Values) { f.Set("choice", "yes") }},
		{"no choice", func(f url.Values) { f.Del("choice") }},
		{"two choices", func(f url.Values) { f.Add("choice", "all") }},
		{"unknown category", func(f url.Values) { f.Add("category", "tracking") }},
		{"unknown category with accept all", func(f url.Values) { f.Set("choice", "all"); f.Set("category", "Analytics") }},
		{"version not a number", func(f url.Values) { f.Set("version", "one") }},
		{"version zero", func(f url.Values) { f.Set("version", "0") }},
		{"version not published", func(f url.Values) { f.Set("version", "2") }},
		{"no version", func(f url.Values) { f.Del("version") }},
		{"unsupported language", func(f url.Values) { f.Set("lang", "de") }},
		{"malformed language", func(f url.Values) { f.Set("lang", "!!") }},
		{"no language", func(f url.Values) { f.Del("lang") }},
		{"oversized form", func(f url.Values) { f.Set("pad", strings.Repeat("x", maxForm)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			s.get(t, "/", "")
			f := good()
			tc.change(f)
			r := s.post(t, f)
			assert.Equal(t, http.StatusBadRequest, r.StatusCode, r.body)
			assert.Empty(t, r.set())
			assert.Empty(t, s.history(t, s.subject(t)), "nothing is recorded")
		})
	}

	t.Run("the good form passes", func(t *testing.T) {
		s := newSite(t)
		s.get(t, "/", "")
		assert.Equal(t, http.StatusSeeOther, s.post(t, good()).StatusCode)
	})
}

func TestChoicePostedFromAnotherSiteIsRefused(t *testing.T) {
	s := newSite(t)
	s.get(t, "/", "")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.srv.URL+"/consent",
		strings.NewReader("choice=all&version=1&lang=en"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r := s.do(t, req)
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
	assert.Empty(t, s.history(t, s.subject(t)))
}

func TestForeignVisitorCookieGetsANewVisitor(t *testing.T) {
	s := newSite(t)
	for _, value := range []string{"admin", "visitor-1", strings.Repeat("a", 26), strings.Repeat("A", 27)} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.srv.URL+"/", nil)
		require.NoError(t, err)
		req.AddCookie(&http.Cookie{Name: visitorCookie, Value: value})
		p := page{}
		resp, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		p.Response = resp
		v := p.cookie(visitorCookie)
		require.NotNil(t, v, "cookie %q is replaced", value)
		assert.True(t, validID(v.Value))
	}
}

func TestConsentExpiresAfterTwelveMonths(t *testing.T) {
	s := newSite(t)
	s.choose(t, "save", consent.CookieAnalytics)

	s.clock.AddDate(0, 12, -1)
	p := s.get(t, "/", "")
	assert.False(t, p.banner(), "a day before twelve months the consent holds")
	assert.Empty(t, p.deleted())

	s.clock.AddDate(0, 0, 1)
	p = s.get(t, "/", "")
	assert.True(t, p.banner(), "after twelve months the banner asks again")
	assert.Equal(t, []string{"analytics_id"}, p.deleted(), "the analytics cookie goes with its consent")
	assert.Empty(t, p.set())
	assert.Equal(t, []string{visitorCookie}, s.held(t))

	st := s.status(t)
	assert.True(t, st.Ask)
	assert.False(t, st.Categories[consent.CookieAnalytics].Allowed)
	assert.Equal(t, consent.ReasonExpired, st.Categories[consent.CookieAnalytics].Reason)

	r := s.choose(t, "save", consent.CookieAnalytics)
	assert.Equal(t, []string{"analytics_id"}, r.set(), "consent given again places the cookie again")
	assert.False(t, s.get(t, "/", "").banner())
}

func TestMaterialNoticeChangeAsksAgain(t *testing.T) {
	s := newSite(t)
	s.choose(t, "save", consent.CookieAnalytics)

	publish := func(version int, change consent.Change) {
		t.Helper()
		n := cookieNotice()
		n.Version, n.Change = version, change
		for tag, text := range n.Texts {
			text.Body += fmt.Sprintf(" (version %d)", version)
			n.Texts[tag] = text
		}
		s.clock.AddDate(0, 1, 0)
		_, err := s.ledger.Publish(t.Context(), n)
		require.NoError(t, err)
	}

	publish(2, consent.Editorial)
	p := s.get(t, "/", "")
	assert.False(t, p.banner(), "an editorial change leaves consent in force")
	assert.Empty(t, p.deleted())

	publish(3, consent.Material)
	p = s.get(t, "/", "")
	assert.True(t, p.banner(), "a material change asks again")
	assert.Equal(t, "3", formValue(t, p.body, "version"), "the banner shows the newest notice")
	assert.Equal(t, []string{"analytics_id"}, p.deleted())
	st := s.status(t)
	assert.Equal(t, consent.ReasonNoticeChanged, st.Categories[consent.CookieAnalytics].Reason)

	s.choose(t, "save", consent.CookieAnalytics)
	e, err := s.ledger.Current(t.Context(), s.subject(t), consent.CookieAnalytics.Purpose())
	require.NoError(t, err)
	assert.Equal(t, 3, e.Version, "the new consent is bound to the new version")
	assert.False(t, s.get(t, "/", "").banner())
}
