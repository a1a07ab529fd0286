package consent

import (
	"context"
	"slices"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/privacy"
)

// CookieCategory is a category of cookies and similar storage on a device.
// The string forms are stable.
type CookieCategory string

const (
	// CookieNecessary: needed for the service the visitor asked for (a
	// session, a load balancer, the consent choice itself). Needs no consent
	// (ePrivacy Directive art. 5(3), Telecommunicatiewet art. 11.7a).
	CookieNecessary CookieCategory = "necessary"
	// CookieFunctional: remembers preferences such as language.
	CookieFunctional CookieCategory = "functional"
	// CookieAnalytics: measures use of the service.
	CookieAnalytics CookieCategory = "analytics"
	// CookieMarketing: follows the visitor for advertising.
	CookieMarketing CookieCategory = "marketing"
)

// CookieCategories lists the four categories, strictly necessary first.
func CookieCategories() []CookieCategory {
	return []CookieCategory{CookieNecessary, CookieFunctional, CookieAnalytics, CookieMarketing}
}

func (c CookieCategory) valid() bool { return slices.Contains(CookieCategories(), c) }

// Purpose returns the purpose the ledger records consent for the category
// under: "cookies." followed by the category.
func (c CookieCategory) Purpose() privacy.Purpose { return privacy.Purpose("cookies." + string(c)) }

// NeedsConsent reports whether placing cookies of the category needs consent:
// every category but strictly necessary.
func (c CookieCategory) NeedsConsent() bool { return c != CookieNecessary }

// cookiePurposes declares the purposes of the cookie categories. Strictly
// necessary cookies rest on the legitimate interest of running the service
// the visitor asked for; the others on consent under the cookie notice.
func cookiePurposes(notice NoticeID) []Purpose {
	out := make([]Purpose, 0, 4)
	for _, c := range CookieCategories() {
		p := Purpose{Name: c.Purpose(), Basis: privacy.Consent, Notice: notice}
		if !c.NeedsConsent() {
			p.Basis = privacy.LegitimateInterests
		}
		out = append(out, p)
	}
	return out
}

// CookieChoice is what a visitor chose in a cookie banner.
type CookieChoice struct {
	// Subject identifies the visitor: an account, or a random ID kept in a
	// strictly necessary cookie.
	Subject privacy.SubjectID
	// Allow lists the categories accepted. Every other category that needs
	// consent is refused, or withdrawn when it was given. Strictly necessary
	// may be listed and is ignored.
	Allow []CookieCategory
	// Version is the cookie notice version shown; 0 means the newest.
	Version  int
	Language language.Tag // language of the banner; default the ledger's first
	Method   Method       // required, usually MethodWeb or MethodApp
	Actor    string       // default "subject"
}

// SetCookies records a cookie choice: one event per category that needs
// consent, bound to the cookie notice version shown. A consent lasts
// Options.CookieMonths (default 12) calendar months, after which [Ledger.Cookies]
// asks again. It returns the events recorded, in category order.
func (l *Ledger) SetCookies(ctx context.Context, c CookieChoice) ([]Event, error) {
	const op = "consent.Ledger.SetCookies"
	for _, a := range c.Allow {
		if !a.valid() {
			return nil, invalidf(op, "unknown cookie category %q", string(a))
		}
	}
	if err := checkName("subject", string(c.Subject)); err != nil {
		return nil, invalid(op, err)
	}
	if err := checkName("method", string(c.Method)); err != nil {
		return nil, invalid(op, err)
	}
	now, err := l.now(op)
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, cat := range CookieCategories() {
		if !cat.NeedsConsent() {
			continue
		}
		ch := Choice{
			Subject: c.Subject, Purpose: cat.Purpose(), Notice: l.cookieNotice, Version: c.Version,
			Language: c.Language, Method: c.Method, Actor: c.Actor,
		}
		var e Event
		switch {
		case slices.Contains(c.Allow, cat):
			e, err = l.give(ctx, op, ch, l.cookieMonths)
		default:
			cur, cerr := l.store.Current(ctx, c.Subject, cat.Purpose())
			switch {
			case cerr == nil && cur.State == Given && !cur.ExpiredAt(now):
				e, err = l.Withdraw(ctx, ch)
			case cerr == nil || isNotFound(cerr):
				e, err = l.Refuse(ctx, ch)
			default:
				err = wrap(op, cerr)
			}
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// CookieConsent is a visitor's cookie consent per category.
type CookieConsent struct {
	// Categories holds the answer of NeedsConsent for each category.
	Categories map[CookieCategory]Need
	// Ask reports that the banner must be shown: a category was never asked,
	// its consent expired, or the cookie notice changed materially since. A
	// refusal or withdrawal stands until the visitor changes it.
	Ask bool
}

// Allows reports whether cookies of category c may be placed.
func (cc CookieConsent) Allows(c CookieCategory) bool {
	n, ok := cc.Categories[c]
	return ok && !n.Needed()
}

// Cookies returns subject's cookie consent as it stands now.
func (l *Ledger) Cookies(ctx context.Context, subject privacy.SubjectID) (CookieConsent, error) {
	cc := CookieConsent{Categories: make(map[CookieCategory]Need, 4)}
	for _, cat := range CookieCategories() {
		n, err := l.NeedsConsent(ctx, subject, cat.Purpose())
		if err != nil {
			return CookieConsent{}, err
		}
		cc.Categories[cat] = n
		switch n.Reason {
		case ReasonNeverAsked, ReasonExpired, ReasonNoticeChanged:
			cc.Ask = true
		}
	}
	return cc, nil
}
