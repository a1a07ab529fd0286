package consent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// A subject gives consent to a newsletter, the host checks it before
// sending, the subject withdraws in one call, and the host checks again.
func Example() {
	ctx := context.Background()
	clock := privacy.NewSettableClock(time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC))
	l, err := consent.New(nil, &consent.Options{
		Clock: clock,
		Purposes: []consent.Purpose{
			{Name: "delivery", Basis: privacy.Contract},
			{Name: "newsletter", Basis: privacy.Consent, Notice: "privacy"},
		},
	})
	if err != nil {
		panic(err)
	}
	_, err = l.Publish(ctx, consent.Notice{
		ID: "privacy", Version: 1, Purposes: []privacy.Purpose{"newsletter"},
		Texts: map[string]consent.Text{
			"en": {Title: "Privacy statement", Body: "With your consent we send you our newsletter."},
			"nl": {Title: "Privacyverklaring", Body: "Met uw toestemming sturen wij u onze nieuwsbrief."},
		},
	})
	if err != nil {
		panic(err)
	}

	check := func() {
		need, err := l.NeedsConsent(ctx, "client-42", "newsletter")
		if err != nil {
			panic(err)
		}
		fmt.Printf("may send: %v (%s)\n", !need.Needed(), l.Explain(need.Reason, language.Dutch))
	}

	check()
	e, err := l.Give(ctx, consent.Choice{Subject: "client-42", Purpose: "newsletter", Method: consent.MethodWeb, Language: language.Dutch})
	if err != nil {
		panic(err)
	}
	fmt.Println(e.State, "under notice", e.Notice, "version", e.Version, "in", e.Language)
	check()

	clock.AddDate(0, 2, 0)
	e, err = l.Withdraw(ctx, consent.Choice{Subject: "client-42", Purpose: "newsletter", Method: consent.MethodWeb})
	if err != nil {
		panic(err)
	}
	fmt.Println(e.State, "on", e.Time.Format(time.DateOnly))
	check()

	need, err := l.NeedsConsent(ctx, "client-42", "delivery")
	if err != nil {
		panic(err)
	}
	fmt.Println("delivery:", need.Reason)
	// Output:
	// may send: false (U bent nog niet om toestemming gevraagd voor dit doel.)
	// given under notice privacy version 1 in nl
	// may send: true (U hebt toestemming gegeven voor dit doel.)
	// withdrawn on 2025-03-06
	// may send: false (U hebt uw toestemming voor dit doel ingetrokken.)
	// delivery: other_basis
}

// A cookie banner records one choice per category; strictly necessary
// cookies need none.
func ExampleLedger_SetCookies() {
	ctx := context.Background()
	l, err := consent.New(nil, &consent.Options{Clock: privacy.NewSettableClock(time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		panic(err)
	}
	var ps []privacy.Purpose
	for _, c := range consent.CookieCategories() {
		ps = append(ps, c.Purpose())
	}
	_, err = l.Publish(ctx, consent.Notice{
		ID: "cookies", Version: 1, Purposes: ps,
		Texts: map[string]consent.Text{
			"en": {Title: "Cookies", Body: "We use cookies you choose."},
			"nl": {Title: "Cookies", Body: "Wij gebruiken de cookies die u kiest."},
		},
	})
	if err != nil {
		panic(err)
	}
	lang := l.Language("nl-NL,nl;q=0.9,en;q=0.8")
	_, err = l.SetCookies(ctx, consent.CookieChoice{
		Subject: "visitor-7f3a", Allow: []consent.CookieCategory{consent.CookieAnalytics},
		Method: consent.MethodWeb, Language: lang,
	})
	if err != nil {
		panic(err)
	}
	cc, err := l.Cookies(ctx, "visitor-7f3a")
	if err != nil {
		panic(err)
	}
	for _, c := range consent.CookieCategories() {
		fmt.Printf("%s: %v\n", l.Label(c, lang), cc.Allows(c))
	}
	fmt.Println("show banner:", cc.Ask)
	// Output:
	// Strikt noodzakelijk: true
	// Functioneel: false
	// Analytisch: true
	// Marketing: false
	// show banner: false
}

// Disclosure passes on a recorded legal order, and is refused without
// consent or order.
func ExampleLedger_Disclose() {
	ctx := context.Background()
	l, err := consent.New(nil, &consent.Options{
		Clock:    privacy.NewSettableClock(time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)),
		Purposes: []consent.Purpose{{Name: "investigation", Basis: privacy.LegalObligation}},
	})
	if err != nil {
		panic(err)
	}
	_, err = l.Disclose(ctx, "client-42", "FIOD", "investigation", privacy.LegalObligation)
	fmt.Println("before the order:", errors.Is(err, privacy.ErrNoConsent))

	_, err = l.RecordOrder(ctx, "legal-officer", consent.LegalOrder{
		Authority: "FIOD", Reference: "2025/0042", Date: time.Date(2025, 4, 28, 0, 0, 0, 0, time.UTC),
		Scope: consent.OrderScope{Subjects: []privacy.SubjectID{"client-42"}, Purposes: []privacy.Purpose{"investigation"}},
	})
	if err != nil {
		panic(err)
	}
	d, err := l.Disclose(ctx, "client-42", "FIOD", "investigation", privacy.LegalObligation)
	if err != nil {
		panic(err)
	}
	fmt.Println("disclosed on order", d.Order)
	rs, err := l.Recipients(ctx, "client-42")
	if err != nil {
		panic(err)
	}
	fmt.Println("recipients:", rs)
	// Output:
	// before the order: true
	// disclosed on order 1
	// recipients: [FIOD]
}
