package consent_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/consent"
)

func TestLanguageFromAcceptLanguage(t *testing.T) {
	l, err := consent.New(nil, nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		rule   string
		header string
		want   language.Tag
	}{
		{"Dutch for a Dutch browser", "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", language.Dutch},
		{"Dutch for a Flemish browser", "nl-BE", language.Dutch},
		{"English for a British browser", "en-GB,en;q=0.9", language.English},
		{"the weights decide, not the order", "en;q=0.2, nl;q=0.8", language.Dutch},
		{"a supported language further down is found", "fr-FR,fr;q=0.9,nl;q=0.5", language.Dutch},
		{"English when nothing matches", "ja-JP", language.English},
		{"English without a header", "", language.English},
		{"English for a header that does not parse", "%%%;q=x", language.English},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			assert.Equal(t, tc.want, l.Language(tc.header))
			assert.Equal(t, tc.want, consent.Negotiate(tc.header, language.English, language.Dutch))
		})
	}
	assert.Equal(t, language.Dutch, consent.Negotiate("ja", language.Dutch, language.English), "the first supported is the fallback")
	assert.Equal(t, language.Und, consent.Negotiate("nl"), "nothing supported")
}

func TestExplainGivesEveryReasonInDutchAndEnglish(t *testing.T) {
	l, err := consent.New(nil, nil)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, r := range consent.Reasons() {
		en := l.Explain(r, language.English)
		nl := l.Explain(r, language.Dutch)
		assert.NotEqual(t, string(r), en, "%s has an English text", r)
		assert.NotEqual(t, string(r), nl, "%s has a Dutch text", r)
		assert.NotEqual(t, en, nl, "%s is translated", r)
		assert.False(t, seen[en] || seen[nl], "%s has a text of its own", r)
		seen[en], seen[nl] = true, true
		assert.Equal(t, nl, l.Explain(r, language.MustParse("nl-BE")), "a regional variant gets the language")
		assert.Equal(t, en, l.Explain(r, language.Japanese), "an unsupported language gets the fallback")
	}
	assert.Equal(t, "U hebt uw toestemming voor dit doel ingetrokken.", l.Explain(consent.ReasonWithdrawn, language.Dutch))
	assert.Equal(t, "Your consent for this purpose has expired.", l.Explain(consent.ReasonExpired, language.English))
	assert.Equal(t, "mystery", l.Explain("mystery", language.Dutch), "an unknown reason reads as its code")
}

func TestExplainFollowsTheLedgerFallback(t *testing.T) {
	l, err := consent.New(nil, &consent.Options{Languages: []language.Tag{language.Dutch, language.English}})
	require.NoError(t, err)
	assert.Equal(t, l.Explain(consent.ReasonRefused, language.Dutch), l.Explain(consent.ReasonRefused, language.Japanese))
	assert.Equal(t, language.Dutch, l.Language("ja"))
}

func TestLabelNamesEveryCookieCategory(t *testing.T) {
	l, err := consent.New(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "Strikt noodzakelijk", l.Label(consent.CookieNecessary, language.Dutch))
	assert.Equal(t, "Strictly necessary", l.Label(consent.CookieNecessary, language.English))
	for _, c := range consent.CookieCategories() {
		assert.NotEqual(t, string(c), l.Label(c, language.Dutch), "%s has a Dutch name", c)
	}
	assert.Equal(t, "tracking", l.Label("tracking", language.Dutch))
}
