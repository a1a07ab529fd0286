package consent_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

func TestNeedsConsentReasons(t *testing.T) {
	for _, tc := range []struct {
		rule    string
		purpose privacy.Purpose
		setup   func(t *testing.T, f *fixture)
		want    consent.Reason
		version int // the notice version NeedsConsent says to show
	}{
		{"a purpose on a contract needs no consent", "delivery", nil, consent.ReasonOtherBasis, 0},
		{"a purpose on a legal obligation needs no consent", "bookkeeping", nil, consent.ReasonOtherBasis, 0},
		{"strictly necessary cookies need no consent", consent.CookieNecessary.Purpose(), nil, consent.ReasonOtherBasis, 0},
		{"a subject never asked must be asked", "newsletter", nil, consent.ReasonNeverAsked, 1},
		{"a decision about another purpose does not count", "newsletter", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "research")
		}, consent.ReasonNeverAsked, 1},
		{"a decision of another subject does not count", "newsletter", func(t *testing.T, f *fixture) {
			f.give(t, "s2", "newsletter")
		}, consent.ReasonNeverAsked, 1},
		{"a refusal must be respected", "newsletter", func(t *testing.T, f *fixture) {
			_, err := f.l.Refuse(f.ctx, choice("s1", "newsletter"))
			require.NoError(t, err)
		}, consent.ReasonRefused, 1},
		{"a given consent is in force", "newsletter", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "newsletter")
		}, consent.ReasonConsented, 1},
		{"a withdrawn consent is no consent", "newsletter", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "newsletter")
			_, err := f.l.Withdraw(f.ctx, choice("s1", "newsletter"))
			require.NoError(t, err)
		}, consent.ReasonWithdrawn, 1},
		{"consent given again after a withdrawal is in force", "newsletter", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "newsletter")
			_, err := f.l.Withdraw(f.ctx, choice("s1", "newsletter"))
			require.NoError(t, err)
			f.give(t, "s1", "newsletter")
		}, consent.ReasonConsented, 1},
		{"a consent past its validity has expired", "newsletter", func(t *testing.T, f *fixture) {
			c := choice("s1", "newsletter")
			c.Validity = 365 * 24 * time.Hour
			_, err := f.l.Give(f.ctx, c)
			require.NoError(t, err)
			f.clock.AddDate(1, 0, 0)
		}, consent.ReasonExpired, 1},
		{"a consent one microsecond before the end of its validity is in force", "newsletter", func(t *testing.T, f *fixture) {
			c := choice("s1", "newsletter")
			c.Validity = 365 * 24 * time.Hour
			_, err := f.l.Give(f.ctx, c)
			require.NoError(t, err)
			f.clock.Advance(365*24*time.Hour - time.Microsecond)
		}, consent.ReasonConsented, 1},
		{"a recorded expiry is expired", "newsletter", func(t *testing.T, f *fixture) {
			c := choice("s1", "newsletter")
			c.Validity = time.Hour
			_, err := f.l.Give(f.ctx, c)
			require.NoError(t, err)
			f.clock.AddDate(0, 0, 1)
			_, err = f.l.Expire(f.ctx, "s1")
			require.NoError(t, err)
		}, consent.ReasonExpired, 1},
		{"a material notice change asks again", "newsletter", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "newsletter")
			f.publish(t, "privacy", 2, consent.Material, "newsletter", "research")
		}, consent.ReasonNoticeChanged, 2},
		{"an editorial notice change does not ask again", "newsletter", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "newsletter")
			f.publish(t, "privacy", 2, consent.Editorial, "newsletter", "research")
		}, consent.ReasonConsented, 2},
		{"a material change followed by editorial ones still asks again", "newsletter", func(t *testing.T, f *fixture) {
			f.give(t, "s1", "newsletter")
			f.publish(t, "privacy", 2, consent.Material, "newsletter", "research")
			f.publish(t, "privacy", 3, consent.Editorial, "newsletter", "research")
			f.publish(t, "privacy", 5, consent.Editorial, "newsletter", "research")
		}, consent.ReasonNoticeChanged, 5},
		{"a material change before the consent does not ask again", "newsletter", func(t *testing.T, f *fixture) {
			f.publish(t, "privacy", 2, consent.Material, "newsletter", "research")
			f.give(t, "s1", "newsletter")
			f.publish(t, "privacy", 3, consent.Editorial, "newsletter", "research")
		}, consent.ReasonConsented, 3},
		{"consent to an old version is overtaken by a material version already out", "newsletter", func(t *testing.T, f *fixture) {
			f.publish(t, "privacy", 2, consent.Material, "newsletter", "research")
			c := choice("s1", "newsletter")
			c.Version = 1 // the page was loaded before version 2 came out
			_, err := f.l.Give(f.ctx, c)
			require.NoError(t, err)
		}, consent.ReasonNoticeChanged, 2},
		{"a refusal stands through a material notice change", "newsletter", func(t *testing.T, f *fixture) {
			_, err := f.l.Refuse(f.ctx, choice("s1", "newsletter"))
			require.NoError(t, err)
			f.publish(t, "privacy", 2, consent.Material, "newsletter", "research")
		}, consent.ReasonRefused, 2},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			need, err := f.l.NeedsConsent(f.ctx, "s1", tc.purpose)
			require.NoError(t, err)
			assert.Equal(t, tc.want, need.Reason)
			assert.Equal(t, tc.want.Needed(), need.Needed())
			assert.Equal(t, tc.version, need.Version, "notice version to show")
		})
	}
}

func TestNeedsConsentNamesTheFirstMaterialVersion(t *testing.T) {
	f := newFixture(t)
	f.give(t, "s1", "newsletter")
	f.publish(t, "privacy", 2, consent.Editorial, "newsletter", "research")
	f.publish(t, "privacy", 3, consent.Material, "newsletter", "research")
	f.publish(t, "privacy", 4, consent.Material, "newsletter", "research")
	need, err := f.l.NeedsConsent(f.ctx, "s1", "newsletter")
	require.NoError(t, err)
	assert.Equal(t, consent.ReasonNoticeChanged, need.Reason)
	assert.Equal(t, 3, need.Changed)
	assert.Equal(t, consent.NoticeID("privacy"), need.Notice)
	assert.Equal(t, 4, need.Version)
	assert.Equal(t, 1, need.Event.Version, "the event is the consent to version 1")
}

func TestNeedsConsentRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		rule    string
		subject privacy.SubjectID
		purpose privacy.Purpose
	}{
		{"an unknown purpose is an error, not a pass", "s1", "profiling"},
		{"an empty purpose is an error", "s1", ""},
		{"an empty subject is an error", "", "newsletter"},
		{"a subject that is not UTF-8 is an error", "\xc3", "newsletter"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			_, err := f.l.NeedsConsent(f.ctx, tc.subject, tc.purpose)
			assertError(t, err, privacy.ErrInvalid)
		})
	}
}

func TestReasonsNeeded(t *testing.T) {
	var needed []consent.Reason
	for _, r := range consent.Reasons() {
		if r.Needed() {
			needed = append(needed, r)
		}
	}
	assert.Equal(t, []consent.Reason{consent.ReasonNeverAsked, consent.ReasonRefused, consent.ReasonWithdrawn, consent.ReasonExpired, consent.ReasonNoticeChanged}, needed)
}
