package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/httpapi"
)

type noticeJSON struct {
	ID        string   `json:"id"`
	Version   int      `json:"version"`
	Change    string   `json:"change"`
	Purposes  []string `json:"purposes"`
	Hash      string   `json:"hash"`
	Language  string   `json:"language"`
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Published string   `json:"published"`
}

func TestNoticeIsPublicAndFollowsAcceptLanguage(t *testing.T) {
	w := newWorld(t, nil)
	a := w.do(t, call{method: "GET", path: "/v1/notices/privacy", header: lang("nl-NL, en;q=0.5")})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, "nl", a.header.Get("Content-Language"))
	var n noticeJSON
	a.json(t, &n)
	assert.Equal(t, "Privacyverklaring", n.Title)
	assert.Equal(t, "nl", n.Language)
	assert.Equal(t, 1, n.Version)
	assert.Equal(t, []string{"newsletter"}, n.Purposes)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, n.Hash)

	a = w.do(t, call{method: "GET", path: "/v1/notices/privacy?version=1", header: lang("fr")})
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "en", a.header.Get("Content-Language"), "a language neither nl nor en gets English")
	a.json(t, &n)
	assert.Equal(t, "Privacy statement", n.Title)

	for _, c := range []struct {
		name, path string
		status     int
		typ        string
	}{
		{"a version that is not a number is malformed", "/v1/notices/privacy?version=x", 400, httpapi.ProblemMalformed},
		{"version zero is malformed", "/v1/notices/privacy?version=0", 400, httpapi.ProblemMalformed},
		{"an unpublished version is not found", "/v1/notices/privacy?version=9", 404, httpapi.ProblemNotFound},
		{"an unknown notice is not found", "/v1/notices/terms", 404, httpapi.ProblemNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := w.do(t, call{method: "GET", path: c.path})
			require.Equal(t, c.status, a.status)
			assert.Equal(t, c.typ, a.problem(t).Type)
		})
	}
}

type consentJSON struct {
	Purpose     string `json:"purpose"`
	Basis       string `json:"basis"`
	Article     string `json:"article"`
	Needed      bool   `json:"needed"`
	Reason      string `json:"reason"`
	Explanation string `json:"explanation"`
	State       string `json:"state"`
	Notice      *struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	} `json:"notice"`
	Recipients []string `json:"recipients"`
}

type eventJSON struct {
	Seq        uint64   `json:"seq"`
	Purpose    string   `json:"purpose"`
	State      string   `json:"state"`
	Notice     string   `json:"notice"`
	Version    int      `json:"version"`
	Language   string   `json:"language"`
	NoticeHash string   `json:"notice_hash"`
	Method     string   `json:"method"`
	Actor      string   `json:"actor"`
	Recipients []string `json:"recipients"`
}

func TestConsentGiveWithdrawRefuse(t *testing.T) {
	w := newWorld(t, nil)

	var list struct{ Consents []consentJSON }
	a := w.do(t, call{method: "GET", path: "/v1/consents", as: "alice", header: lang("nl")})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, "nl", a.header.Get("Content-Language"))
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	a.json(t, &list)
	byPurpose := map[string]consentJSON{}
	for _, c := range list.Consents {
		byPurpose[c.Purpose] = c
	}
	require.Contains(t, byPurpose, "newsletter")
	nl := byPurpose["newsletter"]
	assert.True(t, nl.Needed)
	assert.Equal(t, "never_asked", nl.Reason)
	assert.Equal(t, "U bent nog niet om toestemming gevraagd voor dit doel.", nl.Explanation)
	require.NotNil(t, nl.Notice, "the notice to consent to")
	assert.Equal(t, "privacy", nl.Notice.ID)
	assert.Equal(t, 1, nl.Notice.Version)
	assert.False(t, byPurpose["delivery"].Needed, "a purpose on a contract needs no consent")
	assert.Equal(t, "other_basis", byPurpose["delivery"].Reason)
	assert.Contains(t, byPurpose, "cookies.analytics", "cookie purposes are purposes too")

	var e eventJSON
	a = w.do(t, call{method: "PUT", path: "/v1/consents/newsletter", as: "alice", body: `{"method":"app","recipients":["mailer"]}`, header: lang("nl")})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &e)
	assert.Equal(t, "given", e.State)
	assert.Equal(t, "privacy", e.Notice)
	assert.Equal(t, 1, e.Version)
	assert.Equal(t, "nl", e.Language, "the text shown follows Accept-Language when the body names none")
	assert.Equal(t, "app", e.Method)
	assert.Equal(t, "subject", e.Actor)
	assert.Equal(t, []string{"mailer"}, e.Recipients)
	given := e.Seq

	var one consentJSON
	a = w.do(t, call{method: "GET", path: "/v1/consents/newsletter", as: "alice"})
	require.Equal(t, http.StatusOK, a.status)
	a.json(t, &one)
	assert.False(t, one.Needed)
	assert.Equal(t, "consented", one.Reason)
	assert.Equal(t, "given", one.State)
	assert.Equal(t, "en", a.header.Get("Content-Language"))

	a = w.do(t, call{method: "DELETE", path: "/v1/consents/newsletter", as: "alice"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &e)
	assert.Equal(t, "withdrawn", e.State)
	assert.Equal(t, "api", e.Method, "the default collection method")
	assert.Greater(t, e.Seq, given)
	withdrawn := e.Seq

	a = w.do(t, call{method: "DELETE", path: "/v1/consents/newsletter", as: "alice"})
	require.Equal(t, http.StatusOK, a.status)
	a.json(t, &e)
	assert.Equal(t, withdrawn, e.Seq, "withdrawing twice records nothing")

	a = w.do(t, call{method: "PUT", path: "/v1/consents/newsletter", as: "alice", body: `{"state":"refused","language":"en"}`})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &e)
	assert.Equal(t, "refused", e.State)
	assert.Equal(t, "en", e.Language)

	states := []consent.State{}
	for _, ev := range w.history(t, "alice") {
		states = append(states, ev.State)
	}
	assert.Empty(t, cmp.Diff([]consent.State{consent.Given, consent.Withdrawn, consent.Refused}, states))

	for _, c := range []struct {
		name   string
		call   call
		status int
		typ    string
	}{
		{"an unknown purpose is not found", call{method: "PUT", path: "/v1/consents/lottery"}, 404, httpapi.ProblemNotFound},
		{"withdrawing what was never asked is not found", call{method: "DELETE", path: "/v1/consents/cookies.marketing"}, 404, httpapi.ProblemNotFound},
		{"consent to a purpose on a contract is invalid", call{method: "PUT", path: "/v1/consents/delivery"}, 422, httpapi.ProblemInvalid},
		{"a method the client cannot have used is invalid", call{method: "PUT", path: "/v1/consents/newsletter", body: `{"method":"paper"}`}, 422, httpapi.ProblemInvalid},
		{"a state other than given or refused is invalid", call{method: "PUT", path: "/v1/consents/newsletter", body: `{"state":"withdrawn"}`}, 422, httpapi.ProblemInvalid},
		{"a language that is no tag is invalid", call{method: "PUT", path: "/v1/consents/newsletter", body: `{"language":"??"}`}, 422, httpapi.ProblemInvalid},
		{"a notice version never published is not found", call{method: "PUT", path: "/v1/consents/newsletter", body: `{"version":7}`}, 404, httpapi.ProblemNotFound},
		{"a refusal with recipients is invalid", call{method: "PUT", path: "/v1/consents/newsletter", body: `{"state":"refused","recipients":["x"]}`}, 422, httpapi.ProblemInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.call.as = "alice"
			a := w.do(t, c.call)
			require.Equal(t, c.status, a.status, "%s", a.body)
			assert.Equal(t, c.typ, a.problem(t).Type)
		})
	}
	assert.Len(t, w.history(t, "alice"), 3, "refused requests record nothing")
}

type cookiesJSON struct {
	Ask    bool `json:"ask"`
	Notice *struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	} `json:"notice"`
	Categories []struct {
		Category     string `json:"category"`
		Label        string `json:"label"`
		NeedsConsent bool   `json:"needs_consent"`
		Allowed      bool   `json:"allowed"`
		Reason       string `json:"reason"`
		State        string `json:"state"`
	} `json:"categories"`
}

func TestCookieConsentByCategory(t *testing.T) {
	w := newWorld(t, nil)
	var c cookiesJSON
	a := w.do(t, call{method: "GET", path: "/v1/cookies", as: "alice", header: lang("nl")})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &c)
	assert.True(t, c.Ask, "never asked: show the banner")
	require.NotNil(t, c.Notice)
	assert.Equal(t, "cookies", c.Notice.ID)
	require.Len(t, c.Categories, 4)
	assert.Equal(t, "necessary", c.Categories[0].Category)
	assert.Equal(t, "Strikt noodzakelijk", c.Categories[0].Label)
	assert.True(t, c.Categories[0].Allowed, "strictly necessary cookies need no consent")
	assert.False(t, c.Categories[0].NeedsConsent)
	assert.False(t, c.Categories[2].Allowed)

	a = w.do(t, call{method: "PUT", path: "/v1/cookies", as: "alice", body: `{"allow":["analytics"],"method":"web"}`})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &c)
	assert.False(t, c.Ask)
	allowed := map[string]bool{}
	for _, cat := range c.Categories {
		allowed[cat.Category] = cat.Allowed
	}
	assert.Equal(t, map[string]bool{"necessary": true, "functional": false, "analytics": true, "marketing": false}, allowed)
	assert.Equal(t, "Analytics", c.Categories[2].Label)

	a = w.do(t, call{method: "PUT", path: "/v1/cookies", as: "alice", body: `{"allow":[]}`})
	require.Equal(t, http.StatusOK, a.status)
	a.json(t, &c)
	assert.False(t, c.Categories[2].Allowed)
	assert.Equal(t, "withdrawn", c.Categories[2].State)

	a = w.do(t, call{method: "PUT", path: "/v1/cookies", as: "alice", body: `{"allow":["tracking-pixels"]}`})
	require.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.NotContains(t, string(a.body), "tracking-pixels", "the body is never echoed")
	a = w.do(t, call{method: "PUT", path: "/v1/cookies", as: "alice"})
	require.Equal(t, http.StatusBadRequest, a.status, "a banner choice needs a body")
}
