package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// site is the example served over HTTP to a client that keeps cookies like a
// browser and does not follow redirects, so each response can be read.
type site struct {
	clock  *privacy.SettableClock
	ledger *consent.Ledger
	srv    *httptest.Server
	jar    http.CookieJar
	client *http.Client
}

func newSite(t *testing.T) *site {
	t.Helper()
	clock := privacy.NewSettableClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	ledger, err := newLedger(t.Context(), clock)
	require.NoError(t, err)
	srv := httptest.NewServer(newServer(ledger, clock, log.New(t.Output(), "", 0)))
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &site{clock: clock, ledger: ledger, srv: srv, jar: jar, client: client}
}

// page is a response with its body read.
type page struct {
	*http.Response
	body string
}

// banner reports whether the page shows the cookie banner.
func (p page) banner() bool { return strings.Contains(p.body, `id="cookie-banner"`) }

// set returns the names of the cookies the response sets, leaving out those
// it deletes.
func (p page) set() []string {
	var out []string
	for _, c := range p.Cookies() {
		if c.MaxAge >= 0 && c.Value != "" {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out
}

// deleted returns the names of the cookies the response deletes.
func (p page) deleted() []string {
	var out []string
	for _, c := range p.Cookies() {
		if c.MaxAge < 0 {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out
}

func (p page) cookie(name string) *http.Cookie {
	for _, c := range p.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (s *site) do(t *testing.T, req *http.Request) page {
	t.Helper()
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return page{Response: resp, body: string(body)}
}

// get fetches path with the Accept-Language header acceptLang, if any.
func (s *site) get(t *testing.T, path, acceptLang string) page {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.srv.URL+path, nil)
	require.NoError(t, err)
	if acceptLang != "" {
		req.Header.Set("Accept-Language", acceptLang)
	}
	return s.do(t, req)
}

// post submits the banner form.
func (s *site) post(t *testing.T, form url.Values) page {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.srv.URL+"/consent", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(t, req)
}

// choose submits the banner as the page at "/" shows it, with the button
// pressed and the boxes ticked.
func (s *site) choose(t *testing.T, button string, ticked ...consent.CookieCategory) page {
	t.Helper()
	p := s.get(t, "/?settings=1", "")
	require.Equal(t, http.StatusOK, p.StatusCode)
	form := url.Values{"choice": {button}, "version": {formValue(t, p.body, "version")}, "lang": {formValue(t, p.body, "lang")}}
	for _, c := range ticked {
		form.Add("category", string(c))
	}
	r := s.post(t, form)
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.body)
	require.Equal(t, "/", r.Header.Get("Location"))
	return r
}

// formValue returns the value of the banner's hidden field name.
func formValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(body)
	require.NotNil(t, m, "the page has no %s field", name)
	return m[1]
}

// held returns the names of the cookies the client holds for the site.
func (s *site) held(t *testing.T) []string {
	t.Helper()
	u, err := url.Parse(s.srv.URL)
	require.NoError(t, err)
	var out []string
	for _, c := range s.jar.Cookies(u) {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}

// subject returns the ledger subject of the visitor the client is.
func (s *site) subject(t *testing.T) privacy.SubjectID {
	t.Helper()
	u, err := url.Parse(s.srv.URL)
	require.NoError(t, err)
	for _, c := range s.jar.Cookies(u) {
		if c.Name == visitorCookie {
			return privacy.SubjectID(visitorPrefix + c.Value)
		}
	}
	require.FailNow(t, "the client holds no visitor cookie")
	return ""
}

// status reads GET /consent.
func (s *site) status(t *testing.T) status {
	t.Helper()
	p := s.get(t, "/consent", "")
	require.Equal(t, http.StatusOK, p.StatusCode)
	require.Equal(t, "application/json", p.Header.Get("Content-Type"))
	var st status
	require.NoError(t, json.Unmarshal([]byte(p.body), &st))
	return st
}

// history returns the visitor's consent events.
func (s *site) history(t *testing.T, subject privacy.SubjectID) []consent.Event {
	t.Helper()
	var out []consent.Event
	for e, err := range s.ledger.History(t.Context(), subject) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}
