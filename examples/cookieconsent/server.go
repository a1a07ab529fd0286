package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

const (
	// visitorCookie holds the visitor's random ID, the key to their choice
	// in the ledger. It is strictly necessary: without it the site could not
	// remember a refusal and would ask on every page.
	visitorCookie = "visitor"
	// visitorPrefix marks visitor subjects in the ledger, apart from the
	// accounts a host may keep there too.
	visitorPrefix = "visitor-"
	// visitorMaxAge keeps the visitor cookie a month longer than a cookie
	// consent lasts, so that the choice is found until it expires and the
	// banner then asks again instead of meeting a stranger.
	visitorMaxAge = 396 * 24 * 60 * 60
	// maxForm bounds the banner form; the real one is well under 200 bytes.
	maxForm = 4 << 10
)

// cookieName returns the cookie the site places for category c, or "" for
// strictly necessary, whose one cookie is the visitor cookie.
func cookieName(c consent.CookieCategory) string {
	switch c {
	case consent.CookieFunctional:
		return "lang"
	case consent.CookieAnalytics:
		return "analytics_id"
	case consent.CookieMarketing:
		return "marketing_id"
	}
	return ""
}

// server is the web handler of a site with a cookie banner. Every cookie
// decision goes through the consent ledger; the handler keeps no state of
// its own.
type server struct {
	ledger *consent.Ledger
	clock  privacy.Clock
	log    *log.Logger
	page   *template.Template
}

// newServer returns the site's handler: the page with the banner at "/",
// the banner's form at "POST /consent" and the visitor's recorded choice as
// JSON at "GET /consent". clock must be the ledger's clock, so that cookies
// end when their consent does; errlog receives errors, which never carry a
// visitor's ID.
func newServer(ledger *consent.Ledger, clock privacy.Clock, errlog *log.Logger) http.Handler {
	s := &server{ledger: ledger, clock: clock, log: errlog, page: pageTemplate()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("POST /consent", s.choose)
	mux.HandleFunc("GET /consent", s.status)
	// A choice posted from another site is not the visitor's own: refuse
	// cross-origin form posts.
	return http.NewCrossOriginProtection().Handler(mux)
}

// visitor is whoever holds a visitor cookie, or is about to get one.
type visitor struct {
	id    string
	fresh bool // the request carried no valid visitor cookie
}

// visitorOf returns the visitor of r: the ID in its visitor cookie, or a new
// random one when it carries none or one this site did not make.
func visitorOf(r *http.Request) visitor {
	if c, err := r.Cookie(visitorCookie); err == nil && validID(c.Value) {
		return visitor{id: c.Value}
	}
	return visitor{id: rand.Text(), fresh: true}
}

// validID reports whether s has the shape of rand.Text: 26 characters of the
// base32 alphabet. Anything else is refused before it reaches the ledger.
func validID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

func (v visitor) subject() privacy.SubjectID { return privacy.SubjectID(visitorPrefix + v.id) }

// remember sets the visitor cookie when the request did not carry it.
func (s *server) remember(w http.ResponseWriter, r *http.Request, v visitor) {
	if v.fresh {
		http.SetCookie(w, cookie(r, visitorCookie, v.id, visitorMaxAge))
	}
}

// cookie returns a first-party cookie for the whole site. Every cookie here
// is read only by the server, so none is visible to scripts; Secure is set
// when the site is served over TLS.
func cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	}
}

// place sets the cookie of each category the visitor allows and the request
// lacks, and deletes the cookie of each category the visitor does not allow
// (never asked, refused, withdrawn or expired) that the request still
// carries. A cookie ends when its consent does.
func (s *server) place(w http.ResponseWriter, r *http.Request, cc consent.CookieConsent, lang language.Tag) {
	now := s.clock.Now()
	for _, c := range consent.CookieCategories() {
		name := cookieName(c)
		if name == "" {
			continue
		}
		have, err := r.Cookie(name)
		if !cc.Allows(c) {
			if err == nil {
				http.SetCookie(w, cookie(r, name, "", -1))
			}
			continue
		}
		var value string
		switch c {
		case consent.CookieFunctional:
			value = lang.String()
			if err == nil && have.Value == value {
				continue
			}
		default:
			if err == nil {
				continue // keep the ID the visitor already has
			}
			value = rand.Text()
		}
		maxAge := 0 // a session cookie for a consent without an end
		if end := cc.Categories[c].Event.Expires; !end.IsZero() {
			maxAge = int(end.Sub(now) / time.Second)
			if maxAge <= 0 {
				continue
			}
		}
		http.SetCookie(w, cookie(r, name, value, maxAge))
	}
}

// language picks the language of a response: the one the visitor clicked
// (?lang=), else the one a functional cookie remembers when the visitor
// allows it, else the best match of Accept-Language.
func (s *server) language(r *http.Request, cc consent.CookieConsent) language.Tag {
	if t, ok := s.supported(r.URL.Query().Get("lang")); ok {
		return t
	}
	if cc.Allows(consent.CookieFunctional) {
		if c, err := r.Cookie(cookieName(consent.CookieFunctional)); err == nil {
			if t, ok := s.supported(c.Value); ok {
				return t
			}
		}
	}
	return s.ledger.Language(r.Header.Get("Accept-Language"))
}

// supported returns the ledger language tag names exactly.
func (s *server) supported(tag string) (language.Tag, bool) {
	if tag == "" {
		return language.Und, false
	}
	t, err := language.Parse(tag)
	if err != nil {
		return language.Und, false
	}
	for _, l := range s.ledger.Languages() {
		if l == t {
			return l, true
		}
	}
	return language.Und, false
}

// headers sets what every response of the site shares: its language, and
// that it differs per visitor and must not be cached.
func headers(w http.ResponseWriter, lang language.Tag) {
	h := w.Header()
	h.Set("Content-Language", lang.String())
	h.Set("Vary", "Accept-Language, Cookie")
	h.Set("Cache-Control", "no-store")
}

// choose records the choice posted from the banner and sends the visitor
// back to the page, whose cookies then follow the choice.
func (s *server) choose(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	allow, err := choiceOf(r.PostForm)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	version, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || version < 1 {
		http.Error(w, "bad notice version", http.StatusBadRequest)
		return
	}
	lang, ok := s.supported(r.PostForm.Get("lang"))
	if !ok {
		http.Error(w, "unsupported language", http.StatusBadRequest)
		return
	}
	v := visitorOf(r)
	_, err = s.ledger.SetCookies(r.Context(), consent.CookieChoice{
		Subject: v.subject(), Allow: allow, Version: version, Language: lang, Method: consent.MethodWeb,
	})
	switch {
	case errors.Is(err, privacy.ErrNotFound):
		http.Error(w, "unknown notice version", http.StatusBadRequest)
		return
	case errors.Is(err, privacy.ErrInvalid):
		http.Error(w, "invalid choice", http.StatusBadRequest)
		return
	case err != nil:
		s.fail(w, err)
		return
	}
	cc, err := s.ledger.Cookies(r.Context(), v.subject())
	if err != nil {
		s.fail(w, err)
		return
	}
	s.remember(w, r, v)
	s.place(w, r, cc, lang)
	headers(w, lang)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// choiceOf reads the banner form: the button pressed ("all", "necessary" or
// "save") and, for "save", the categories ticked. Every category value must
// be known, whichever button was pressed.
func choiceOf(form url.Values) ([]consent.CookieCategory, error) {
	var ticked []consent.CookieCategory
	for _, v := range form["category"] {
		c := consent.CookieCategory(v)
		if !slices.Contains(consent.CookieCategories(), c) {
			return nil, errors.New("unknown cookie category")
		}
		ticked = append(ticked, c)
	}
	if len(form["choice"]) != 1 {
		return nil, errors.New("want one choice")
	}
	switch form.Get("choice") {
	case "all":
		var all []consent.CookieCategory
		for _, c := range consent.CookieCategories() {
			if c.NeedsConsent() {
				all = append(all, c)
			}
		}
		return all, nil
	case "necessary":
		return nil, nil
	case "save":
		return ticked, nil
	}
	return nil, errors.New("unknown choice")
}

// fail answers 500 and logs err. Ledger errors name operations and
// categories, never a subject.
func (s *server) fail(w http.ResponseWriter, err error) {
	s.log.Print(fmt.Errorf("cookieconsent: %w", err))
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}
