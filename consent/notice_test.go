package consent_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

func TestPublishSetsHashAndTime(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(time.Hour)
	n, err := f.l.Publish(f.ctx, notice("terms", 1, consent.Material, "newsletter"))
	require.NoError(t, err)
	assert.Equal(t, n.Sum(), n.Hash)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, n.Hash)
	assert.Equal(t, start.Add(time.Hour).Truncate(time.Microsecond), n.Published)
	got, err := f.l.Notice(f.ctx, "terms", 1)
	require.NoError(t, err)
	assert.Empty(t, cmp.Diff(n, got), "(-published +read)")
	a := f.lastAudit(t)
	assert.Equal(t, consent.ActionNoticePublished, a.Action)
	assert.Equal(t, "terms", a.Object)
	assert.Equal(t, int64(1), a.Count)
}

func TestNoticeHashCoversTheContent(t *testing.T) {
	base := notice("privacy", 1, consent.Material, "newsletter")
	for _, tc := range []struct {
		rule   string
		change func(*consent.Notice)
		same   bool
	}{
		{"another text changes the hash", func(n *consent.Notice) { n.Texts["nl"] = consent.Text{Title: "Privacyverklaring", Body: "Anders."} }, false},
		{"another title changes the hash", func(n *consent.Notice) { n.Texts["en"] = consent.Text{Title: "Other", Body: n.Texts["en"].Body} }, false},
		{"another version changes the hash", func(n *consent.Notice) { n.Version = 2 }, false},
		{"another purpose changes the hash", func(n *consent.Notice) { n.Purposes = []privacy.Purpose{"research"} }, false},
		{"another language changes the hash", func(n *consent.Notice) { n.Texts["de"] = consent.Text{Title: "Datenschutz", Body: "Text."} }, false},
		{"moving text between title and body changes the hash", func(n *consent.Notice) {
			n.Texts["en"] = consent.Text{Title: "Privacy statementWe", Body: " use your data for delivery and quality control."}
		}, false},
		{"the change kind is not content", func(n *consent.Notice) { n.Change = consent.Editorial }, true},
		{"the publication time is not content", func(n *consent.Notice) { n.Published = start }, true},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			n := base.Clone()
			tc.change(&n)
			assert.Equal(t, tc.same, n.Sum() == base.Sum())
		})
	}
}

func TestPublishedVersionsAreImmutable(t *testing.T) {
	f := newFixture(t)
	_, err := f.l.Publish(f.ctx, notice("privacy", 1, consent.Editorial, "newsletter"))
	assertError(t, err, privacy.ErrConflict, "the same version again")
	f.publish(t, "privacy", 3, consent.Material, "newsletter")
	_, err = f.l.Publish(f.ctx, notice("privacy", 2, consent.Material, "newsletter"))
	assertError(t, err, privacy.ErrConflict, "an older version")

	n, err := f.l.Notice(f.ctx, "privacy", 3)
	require.NoError(t, err)
	keep := n.Clone()
	n.Texts["en"] = consent.Text{Title: "changed", Body: "changed"}
	n.Purposes[0] = "changed"
	again, err := f.l.Notice(f.ctx, "privacy", 3)
	require.NoError(t, err)
	assert.Empty(t, cmp.Diff(keep, again), "changing a returned notice changed the store (-want +got)")

	latest, err := f.l.Notice(f.ctx, "privacy", 0)
	require.NoError(t, err)
	assert.Equal(t, 3, latest.Version)
	_, err = f.l.Notice(f.ctx, "privacy", 2)
	assertError(t, err, privacy.ErrNotFound)
	_, err = f.l.Notice(f.ctx, "unknown", 0)
	assertError(t, err, privacy.ErrNotFound)
}

func TestPublishRejectsBadNotices(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		rule   string
		change func(*consent.Notice)
	}{
		{"a notice needs an ID", func(n *consent.Notice) { n.ID = "" }},
		{"a notice ID is valid UTF-8", func(n *consent.Notice) { n.ID = "\xff" }},
		{"versions start at 1", func(n *consent.Notice) { n.Version = 0 }},
		{"a change is material or editorial", func(n *consent.Notice) { n.Change = 7 }},
		{"a notice covers a purpose", func(n *consent.Notice) { n.Purposes = nil }},
		{"a notice covers known purposes only", func(n *consent.Notice) { n.Purposes = []privacy.Purpose{"profiling"} }},
		{"a purpose is listed once", func(n *consent.Notice) { n.Purposes = []privacy.Purpose{"newsletter", "newsletter"} }},
		{"a notice needs a Dutch text", func(n *consent.Notice) { delete(n.Texts, "nl") }},
		{"a notice needs an English text", func(n *consent.Notice) { delete(n.Texts, "en") }},
		{"a text language is a BCP 47 tag", func(n *consent.Notice) { n.Texts["not a tag!"] = consent.Text{Title: "x", Body: "y"} }},
		{"a text language is in canonical form", func(n *consent.Notice) { n.Texts["NL-nl"] = consent.Text{Title: "x", Body: "y"} }},
		{"a text has a title", func(n *consent.Notice) { n.Texts["en"] = consent.Text{Body: "y"} }},
		{"a text is valid UTF-8", func(n *consent.Notice) { n.Texts["en"] = consent.Text{Title: "x", Body: "\xff"} }},
		{"a hash set by the caller matches the content", func(n *consent.Notice) { n.Hash = "sha256:00" }},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			n := notice("terms", 1, consent.Material, "newsletter")
			tc.change(&n)
			_, err := f.l.Publish(f.ctx, n)
			assertError(t, err, privacy.ErrInvalid)
		})
	}
	_, err := f.l.Notice(f.ctx, "terms", 0)
	assertError(t, err, privacy.ErrNotFound, "no bad notice was stored")
}

func TestNoticeTextFollowsThePreferredLanguage(t *testing.T) {
	n := notice("privacy", 1, consent.Material, "newsletter")
	for _, tc := range []struct {
		rule   string
		prefer []language.Tag
		want   string
	}{
		{"Dutch for a Dutch reader", []language.Tag{language.Dutch}, "nl"},
		{"Dutch for a Belgian Dutch reader", []language.Tag{language.MustParse("nl-BE")}, "nl"},
		{"English for a British reader", []language.Tag{language.BritishEnglish}, "en"},
		{"the first language by tag for a reader of neither", []language.Tag{language.Japanese}, "en"},
		{"the first language by tag without a preference", nil, "en"},
		{"the first match in order of preference", []language.Tag{language.German, language.Dutch, language.English}, "nl"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			text, lang, ok := n.Text(tc.prefer...)
			require.True(t, ok)
			assert.Equal(t, tc.want, lang)
			assert.Equal(t, n.Texts[tc.want], text)
		})
	}
	_, _, ok := (&consent.Notice{}).Text(language.Dutch)
	assert.False(t, ok, "a notice without texts")
}
