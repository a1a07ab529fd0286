package consent

import (
	"slices"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Negotiate returns the tag among supported that best matches an HTTP
// Accept-Language header, or supported[0] when nothing matches or the header
// cannot be parsed. It returns language.Und when supported is empty.
func Negotiate(acceptLanguage string, supported ...language.Tag) language.Tag {
	if len(supported) == 0 {
		return language.Und
	}
	return negotiate(language.NewMatcher(supported), supported, acceptLanguage)
}

func negotiate(m language.Matcher, supported []language.Tag, accept string) language.Tag {
	// MatchStrings returns the matched tag with the user's region and other
	// extensions added; the index names the supported tag itself, which is
	// what texts are keyed by.
	_, i := language.MatchStrings(m, accept)
	return supported[i]
}

// Language returns the ledger language that best matches an HTTP
// Accept-Language header, falling back to the first of Options.Languages.
func (l *Ledger) Language(acceptLanguage string) language.Tag {
	return negotiate(l.matcher, l.languages, acceptLanguage)
}

// Languages returns the ledger's languages, the fallback first.
func (l *Ledger) Languages() []language.Tag {
	return append([]language.Tag(nil), l.languages...)
}

// reasonTexts returns the texts of the reasons, English then Dutch. It is a
// function, not a variable, so that nothing in the package can be changed.
func reasonTexts() map[Reason][2]string {
	return map[Reason][2]string{
		ReasonConsented: {
			"You have given consent for this purpose.",
			"U hebt toestemming gegeven voor dit doel.",
		},
		ReasonOtherBasis: {
			"No consent is needed: this purpose rests on another legal basis.",
			"Er is geen toestemming nodig: dit doel berust op een andere rechtsgrond.",
		},
		ReasonNeverAsked: {
			"You have not yet been asked for consent for this purpose.",
			"U bent nog niet om toestemming gevraagd voor dit doel.",
		},
		ReasonRefused: {
			"You refused consent for this purpose.",
			"U hebt toestemming voor dit doel geweigerd.",
		},
		ReasonWithdrawn: {
			"You withdrew your consent for this purpose.",
			"U hebt uw toestemming voor dit doel ingetrokken.",
		},
		ReasonExpired: {
			"Your consent for this purpose has expired.",
			"Uw toestemming voor dit doel is verlopen.",
		},
		ReasonNoticeChanged: {
			"The privacy notice has changed materially since you gave consent.",
			"De privacyverklaring is na uw toestemming inhoudelijk gewijzigd.",
		},
	}
}

// cookieTexts returns the names of the cookie categories, English then Dutch.
func cookieTexts() map[CookieCategory][2]string {
	return map[CookieCategory][2]string{
		CookieNecessary:  {"Strictly necessary", "Strikt noodzakelijk"},
		CookieFunctional: {"Functional", "Functioneel"},
		CookieAnalytics:  {"Analytics", "Analytisch"},
		CookieMarketing:  {"Marketing", "Marketing"},
	}
}

// newCatalog builds the message catalog of the texts a person reads. Each
// ledger has its own; nothing is registered globally.
func newCatalog() catalog.Catalog {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	set := func(key string, text [2]string) {
		// SetString fails only for a malformed message, and these are
		// plain strings.
		_ = b.SetString(language.English, key, text[0])
		_ = b.SetString(language.Dutch, key, text[1])
	}
	for r, t := range reasonTexts() {
		set("reason."+string(r), t)
	}
	for c, t := range cookieTexts() {
		set("cookie."+string(c), t)
	}
	return b
}

// printer returns a printer for the ledger language closest to lang.
func (l *Ledger) printer(lang language.Tag) *message.Printer {
	_, i, _ := l.matcher.Match(lang)
	return message.NewPrinter(l.languages[i], message.Catalog(l.messages))
}

// Explain returns the text of r in the language closest to lang, for a
// person to read. An unknown reason returns its code.
func (l *Ledger) Explain(r Reason, lang language.Tag) string {
	if !slices.Contains(Reasons(), r) {
		return string(r)
	}
	return l.printer(lang).Sprintf("reason." + string(r))
}

// Label returns the name of cookie category c in the language closest to
// lang. An unknown category returns its code.
func (l *Ledger) Label(c CookieCategory, lang language.Tag) string {
	if !c.valid() {
		return string(c)
	}
	return l.printer(lang).Sprintf("cookie." + string(c))
}
