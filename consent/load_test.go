package consent_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

const noticeFile = `{"id": "privacy", "version": 2, "change": "editorial",
 "purposes": ["newsletter"],
 "texts": {"nl": {"title": "Privacyverklaring", "body": "Wij gebruiken uw gegevens voor levering."},
           "en": {"title": "Privacy statement", "body": "We use your data for delivery."}}}`

func TestReadNotice(t *testing.T) {
	n, err := consent.ReadNotice(strings.NewReader(noticeFile))
	require.NoError(t, err)
	assert.Equal(t, consent.NoticeID("privacy"), n.ID)
	assert.Equal(t, 2, n.Version)
	assert.Equal(t, consent.Editorial, n.Change)
	assert.Equal(t, []privacy.Purpose{"newsletter"}, n.Purposes)
	assert.Equal(t, "Privacyverklaring", n.Texts["nl"].Title)

	f := newFixture(t)
	n.Version = 2
	_, err = f.l.Publish(f.ctx, n)
	require.NoError(t, err, "a notice read from a file publishes")
}

func TestReadNoticeRefusesBadInput(t *testing.T) {
	cases := map[string]string{
		"empty":             ``,
		"not JSON":          `notice`,
		"unknown field":     `{"id": "p", "version": 1, "purposes": ["x"], "texts": {"en": {"title": "t", "body": "b"}}, "colour": "red"}`,
		"unknown change":    `{"id": "p", "version": 1, "change": "cosmetic", "purposes": ["x"], "texts": {"en": {"title": "t", "body": "b"}}}`,
		"version zero":      `{"id": "p", "version": 0, "purposes": ["x"], "texts": {"en": {"title": "t", "body": "b"}}}`,
		"no purposes":       `{"id": "p", "version": 1, "texts": {"en": {"title": "t", "body": "b"}}}`,
		"no texts":          `{"id": "p", "version": 1, "purposes": ["x"]}`,
		"bad language":      `{"id": "p", "version": 1, "purposes": ["x"], "texts": {"english": {"title": "t", "body": "b"}}}`,
		"empty body":        `{"id": "p", "version": 1, "purposes": ["x"], "texts": {"en": {"title": "t", "body": ""}}}`,
		"trailing data":     `{"id": "p", "version": 1, "purposes": ["x"], "texts": {"en": {"title": "t", "body": "b"}}} {}`,
		"version as string": `{"id": "p", "version": "1", "purposes": ["x"], "texts": {"en": {"title": "t", "body": "b"}}}`,
		"too large":         `{"id": "p", "version": 1, "purposes": ["x"], "texts": {"en": {"title": "t", "body": "` + strings.Repeat("b", 1<<20) + `"}}}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := consent.ReadNotice(strings.NewReader(in))
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		})
	}
}

// FuzzReadNotice: any input reads into a notice that validates, or gives an
// error wrapping privacy.ErrInvalid; never a panic.
func FuzzReadNotice(f *testing.F) {
	f.Add(noticeFile)
	f.Add(`{"id": "p", "version": 1, "purposes": ["x"], "texts": {"en": {"title": "t", "body": "b"}}}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, in string) {
		n, err := consent.ReadNotice(strings.NewReader(in))
		if err != nil {
			if !assert.ErrorIs(t, err, privacy.ErrInvalid) {
				t.Fatal(err)
			}
			return
		}
		if n.ID == "" || n.Version < 1 || len(n.Texts) == 0 || len(n.Purposes) == 0 {
			t.Fatalf("accepted an incomplete notice: %+v", n)
		}
		if !strings.HasPrefix(n.Sum(), "sha256:") {
			t.Fatal("a read notice hashes")
		}
	})
}
