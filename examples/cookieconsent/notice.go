package main

import (
	"context"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// cookieNotice is the first version of the site's cookie statement, in
// Dutch and English. It covers every category, strictly necessary included,
// so that the visitor reads what is placed without asking too.
func cookieNotice() consent.Notice {
	var purposes []privacy.Purpose
	for _, c := range consent.CookieCategories() {
		purposes = append(purposes, c.Purpose())
	}
	return consent.Notice{
		ID: "cookies", Version: 1, Purposes: purposes,
		Texts: map[string]consent.Text{
			"en": {
				Title: "Cookies on this site",
				Body: "We always place one strictly necessary cookie: a random number that remembers your choice. " +
					"With your consent we also place a functional cookie that remembers your language, an analytics " +
					"cookie that counts visits, and a marketing cookie for advertising. You choose per category; your " +
					"choice lasts twelve months and you can change it at any time under Cookie settings.",
			},
			"nl": {
				Title: "Cookies op deze site",
				Body: "Wij plaatsen altijd één strikt noodzakelijke cookie: een willekeurig nummer dat uw keuze onthoudt. " +
					"Met uw toestemming plaatsen wij ook een functionele cookie die uw taal onthoudt, een analytische " +
					"cookie die bezoeken telt en een marketingcookie voor advertenties. U kiest per categorie; uw keuze " +
					"geldt twaalf maanden en u kunt haar altijd wijzigen onder Cookie-instellingen.",
			},
		},
	}
}

// newLedger returns an in-memory consent ledger reading clock, with the
// cookie notice published.
func newLedger(ctx context.Context, clock privacy.Clock) (*consent.Ledger, error) {
	l, err := consent.New(nil, &consent.Options{Clock: clock})
	if err != nil {
		return nil, err
	}
	if _, err := l.Publish(ctx, cookieNotice()); err != nil {
		return nil, err
	}
	return l, nil
}
