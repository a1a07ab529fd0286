package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

func invalidInput(reason string) error { return &apiError{typ: ProblemInvalid, reason: reason} }

// purpose returns the ledger's declaration of the purpose a path names; an
// unknown purpose is a resource that does not exist.
func (h *Handler) purpose(name string) (consent.Purpose, error) {
	for _, p := range h.s.Consent().Purposes() {
		if string(p.Name) == name {
			return p, nil
		}
	}
	return consent.Purpose{}, notFound()
}

// collection returns the collection method a request names, or the default.
// A client may say only how it collected the decision itself: on the web,
// in an app or through an API.
func (h *Handler) collection(m consent.Method) (consent.Method, error) {
	switch m {
	case "":
		return h.method, nil
	case consent.MethodWeb, consent.MethodApp, consent.MethodAPI:
		return m, nil
	}
	return "", invalidInput("method must be web, app or api")
}

// shownLanguage is the language of the text the subject was shown: the one
// the request names or else the one Accept-Language gets from the ledger.
func (h *Handler) shownLanguage(r *http.Request, tag string) (language.Tag, error) {
	if tag == "" {
		return h.s.Consent().Language(r.Header.Get("Accept-Language")), nil
	}
	t, err := language.Parse(tag)
	if err != nil || t == language.Und {
		return language.Und, invalidInput("language is not a BCP 47 tag")
	}
	return t, nil
}

type noticeView struct {
	ID        consent.NoticeID  `json:"id"`
	Version   int               `json:"version"`
	Change    string            `json:"change"`
	Published time.Time         `json:"published"`
	Purposes  []privacy.Purpose `json:"purposes"`
	Hash      string            `json:"hash"`
	Language  string            `json:"language"`
	Title     string            `json:"title"`
	Body      string            `json:"body"`
}

// getNotice answers a published notice in the language Accept-Language
// prefers: the newest version, or ?version=N.
func (h *Handler) getNotice(w http.ResponseWriter, r *http.Request, _ identity) error {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return malformed("version must be a positive integer")
		}
		version = n
	}
	ledger := h.s.Consent()
	n, err := ledger.Notice(r.Context(), consent.NoticeID(r.PathValue("notice")), version)
	if err != nil {
		return err
	}
	t, tag, _ := n.Text(ledger.Language(r.Header.Get("Accept-Language")))
	return writeJSON(w, http.StatusOK, noticeView{
		ID: n.ID, Version: n.Version, Change: n.Change.String(), Published: n.Published.UTC(),
		Purposes: nonNil(n.Purposes), Hash: n.Hash, Language: tag, Title: t.Title, Body: t.Body,
	}, language.Make(tag))
}

func (h *Handler) consentView(r *http.Request, subject privacy.SubjectID, p consent.Purpose, lang language.Tag) (consentView, error) {
	ledger := h.s.Consent()
	need, err := ledger.NeedsConsent(r.Context(), subject, p.Name)
	if err != nil {
		return consentView{}, err
	}
	return viewNeed(p, need, ledger.Explain(need.Reason, lang)), nil
}

// listConsents answers where every purpose stands for the subject, with the
// notice to show where consent is needed.
func (h *Handler) listConsents(w http.ResponseWriter, r *http.Request, who identity) error {
	ledger := h.s.Consent()
	lang := ledger.Language(r.Header.Get("Accept-Language"))
	out := []consentView{}
	for _, p := range ledger.Purposes() {
		v, err := h.consentView(r, who.subject, p, lang)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return writeJSON(w, http.StatusOK, struct {
		Consents []consentView `json:"consents"`
	}{out}, lang)
}

func (h *Handler) getConsent(w http.ResponseWriter, r *http.Request, who identity) error {
	p, err := h.purpose(r.PathValue("purpose"))
	if err != nil {
		return err
	}
	lang := h.s.Consent().Language(r.Header.Get("Accept-Language"))
	v, err := h.consentView(r, who.subject, p, lang)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v, lang)
}

// decisionBody is the body of PUT /v1/consents/{purpose}. Every member is
// optional.
type decisionBody struct {
	// State is "given" (the default) or "refused".
	State consent.State `json:"state"`
	// Notice and Version name the notice shown; default the purpose's
	// notice in its newest version.
	Notice  consent.NoticeID `json:"notice"`
	Version int              `json:"version"`
	// Language is the language of the text shown; default the one
	// Accept-Language gets.
	Language   string         `json:"language"`
	Method     consent.Method `json:"method"`
	Recipients []string       `json:"recipients"`
}

// decideConsent records the subject's decision about a purpose: given or
// refused, under the notice shown.
func (h *Handler) decideConsent(w http.ResponseWriter, r *http.Request, who identity) error {
	p, err := h.purpose(r.PathValue("purpose"))
	if err != nil {
		return err
	}
	var b decisionBody
	if err := decode(r, &b, true); err != nil {
		return err
	}
	method, err := h.collection(b.Method)
	if err != nil {
		return err
	}
	lang, err := h.shownLanguage(r, b.Language)
	if err != nil {
		return err
	}
	c := consent.Choice{
		Subject: who.subject, Purpose: p.Name, Notice: b.Notice, Version: b.Version,
		Language: lang, Method: method, Recipients: b.Recipients,
	}
	var e consent.Event
	switch b.State {
	case "", consent.Given:
		e, err = h.s.Consent().Give(r.Context(), c)
	case consent.Refused:
		if len(b.Recipients) > 0 {
			return invalidInput("a refusal names no recipients")
		}
		e, err = h.s.Consent().Refuse(r.Context(), c)
	default:
		return invalidInput("state must be given or refused")
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewEvent(e), language.Und)
}

type withdrawalBody struct {
	Method consent.Method `json:"method"`
}

// withdrawConsent ends the subject's consent to a purpose: one call, as easy
// as giving it. Withdrawing what is not in force changes nothing and answers
// the decision that stands.
func (h *Handler) withdrawConsent(w http.ResponseWriter, r *http.Request, who identity) error {
	p, err := h.purpose(r.PathValue("purpose"))
	if err != nil {
		return err
	}
	var b withdrawalBody
	if err := decode(r, &b, true); err != nil {
		return err
	}
	method, err := h.collection(b.Method)
	if err != nil {
		return err
	}
	e, err := h.s.Consent().Withdraw(r.Context(), consent.Choice{Subject: who.subject, Purpose: p.Name, Method: method})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewEvent(e), language.Und)
}

type cookieCategoryView struct {
	Category     consent.CookieCategory `json:"category"`
	Label        string                 `json:"label"`
	NeedsConsent bool                   `json:"needs_consent"`
	Allowed      bool                   `json:"allowed"`
	Reason       consent.Reason         `json:"reason"`
	Explanation  string                 `json:"explanation"`
	State        consent.State          `json:"state,omitempty"`
	Decided      time.Time              `json:"decided,omitzero"`
	Expires      time.Time              `json:"expires,omitzero"`
}

type cookiesView struct {
	// Ask says the banner must be shown.
	Ask        bool                 `json:"ask"`
	Notice     *noticeRef           `json:"notice,omitempty"`
	Categories []cookieCategoryView `json:"categories"`
}

func (h *Handler) cookies(r *http.Request, subject privacy.SubjectID) (cookiesView, language.Tag, error) {
	ledger := h.s.Consent()
	lang := ledger.Language(r.Header.Get("Accept-Language"))
	cc, err := ledger.Cookies(r.Context(), subject)
	if err != nil {
		return cookiesView{}, lang, err
	}
	v := cookiesView{Ask: cc.Ask, Categories: []cookieCategoryView{}}
	for _, c := range consent.CookieCategories() {
		n := cc.Categories[c]
		v.Categories = append(v.Categories, cookieCategoryView{
			Category: c, Label: ledger.Label(c, lang), NeedsConsent: c.NeedsConsent(), Allowed: cc.Allows(c),
			Reason: n.Reason, Explanation: ledger.Explain(n.Reason, lang),
			State: n.Event.State, Decided: n.Event.Time.UTC(), Expires: n.Event.Expires.UTC(),
		})
		if v.Notice == nil && n.Notice != "" {
			v.Notice = &noticeRef{ID: n.Notice, Version: n.Version}
		}
	}
	return v, lang, nil
}

// getCookies answers the subject's cookie consent per category and whether
// to show the banner.
func (h *Handler) getCookies(w http.ResponseWriter, r *http.Request, who identity) error {
	v, lang, err := h.cookies(r, who.subject)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v, lang)
}

// cookieBody is the body of PUT /v1/cookies: the categories accepted. Every
// other category that needs consent is refused, or withdrawn when it was
// given.
type cookieBody struct {
	Allow    []consent.CookieCategory `json:"allow"`
	Version  int                      `json:"version"`
	Language string                   `json:"language"`
	Method   consent.Method           `json:"method"`
}

func (h *Handler) setCookies(w http.ResponseWriter, r *http.Request, who identity) error {
	var b cookieBody
	if err := decode(r, &b, false); err != nil {
		return err
	}
	for _, c := range b.Allow {
		if !slices.Contains(consent.CookieCategories(), c) {
			return invalidInput("allow lists an unknown cookie category")
		}
	}
	method, err := h.collection(b.Method)
	if err != nil {
		return err
	}
	lang, err := h.shownLanguage(r, b.Language)
	if err != nil {
		return err
	}
	if _, err := h.s.Consent().SetCookies(r.Context(), consent.CookieChoice{
		Subject: who.subject, Allow: b.Allow, Version: b.Version, Language: lang, Method: method,
	}); err != nil {
		return err
	}
	return h.getCookies(w, r, who)
}
