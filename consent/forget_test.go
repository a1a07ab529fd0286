package consent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

func TestForget(t *testing.T) {
	f := newFixture(t)
	f.give(t, "s1", "newsletter")
	f.give(t, "s1", "research", "university", "hospital")
	_, err := f.l.Refuse(f.ctx, choice("s1", consent.CookieMarketing.Purpose()))
	require.NoError(t, err)
	f.give(t, "s2", "newsletter")
	for _, r := range []string{"university", "hospital"} {
		_, err := f.l.Disclose(f.ctx, "s1", r, "research", privacy.Consent)
		require.NoError(t, err)
	}
	f.record(t, order())
	before := f.history(t, "s1")
	f.clock.Advance(time.Hour)

	got, err := f.l.Forget(f.ctx, "s1")
	require.NoError(t, err)

	mask, err := privacy.Pseudonym(f.key)
	require.NoError(t, err)
	ps, err := mask.Apply("s1")
	require.NoError(t, err)
	want := consent.Forgotten{
		Pseudonym:   privacy.SubjectID(ps.(string)),
		Withdrawn:   []privacy.Purpose{"newsletter", "research"},
		Events:      len(before) + 2,
		Disclosures: 2,
		Orders:      1,
		Recipients:  []string{"hospital", "university"},
	}
	assert.Empty(t, cmp.Diff(want, got), "(-want +got)")

	t.Run("the subject reads as never asked", func(t *testing.T) {
		assert.Empty(t, f.history(t, "s1"))
		need, err := f.l.NeedsConsent(f.ctx, "s1", "newsletter")
		require.NoError(t, err)
		assert.Equal(t, consent.ReasonNeverAsked, need.Reason)
		rs, err := f.l.Recipients(f.ctx, "s1")
		require.NoError(t, err)
		assert.Empty(t, rs)
	})
	t.Run("the history keeps its proof value under the pseudonym", func(t *testing.T) {
		kept := f.history(t, got.Pseudonym)
		require.Len(t, kept, len(before)+2)
		for i, e := range before {
			e.Subject = got.Pseudonym
			assert.Empty(t, cmp.Diff(e, kept[i]), "event %d (-want +got)", i)
		}
		for _, e := range kept[len(before):] {
			assert.Equal(t, consent.Withdrawn, e.State)
			assert.Equal(t, consent.MethodSystem, e.Method)
			assert.NotEmpty(t, e.NoticeHash, "the withdrawal names the notice consented to")
		}
	})
	t.Run("disclosures and orders name the pseudonym", func(t *testing.T) {
		assert.Len(t, f.disclosures(t, got.Pseudonym), 2)
		f.clock.AddDate(0, 0, 1)
		_, err := f.l.Disclose(f.ctx, "s1", "Openbaar Ministerie", "court", privacy.LegalObligation)
		assert.ErrorIs(t, err, privacy.ErrNoConsent, "the order no longer names the subject")
		_, err = f.l.Disclose(f.ctx, "s9", "Openbaar Ministerie", "court", privacy.LegalObligation)
		assert.NoError(t, err, "the order still names the other subject")
	})
	t.Run("other subjects are untouched", func(t *testing.T) {
		need, err := f.l.NeedsConsent(f.ctx, "s2", "newsletter")
		require.NoError(t, err)
		assert.Equal(t, consent.ReasonConsented, need.Reason)
	})
	t.Run("the audit entry names the pseudonym and counts", func(t *testing.T) {
		var a privacy.Event
		for _, e := range f.auditEvents(t) {
			if e.Action == privacy.ActionConsentForgotten {
				a = e
			}
		}
		assert.Equal(t, got.Pseudonym, a.Subject)
		assert.Equal(t, int64(got.Events), a.Count)
	})
	t.Run("forgetting again finds nothing", func(t *testing.T) {
		again, err := f.l.Forget(f.ctx, "s1")
		require.NoError(t, err)
		assert.Empty(t, cmp.Diff(consent.Forgotten{Pseudonym: got.Pseudonym}, again), "(-want +got)")
	})
}

func TestForgetNeedsAKey(t *testing.T) {
	l, err := consent.New(nil, nil)
	require.NoError(t, err)
	_, err = l.Forget(t.Context(), "s1")
	assertError(t, err, privacy.ErrInvalid)
	assert.Contains(t, err.Error(), "PseudonymKey")
}

func TestAuditEventsCarryNoPersonalValues(t *testing.T) {
	f := newFixture(t)
	c := choice("s1", "research", "university")
	c.Actor = "guardian-7"
	_, err := f.l.Give(f.ctx, c)
	require.NoError(t, err)
	_, err = f.l.Disclose(f.ctx, "s1", "university", "research", privacy.Consent)
	require.NoError(t, err)
	_, err = f.l.Disclose(f.ctx, "s1", "insurer", "research", privacy.Consent)
	require.Error(t, err)
	_, err = f.l.Withdraw(f.ctx, choice("s1", "research"))
	require.NoError(t, err)
	f.setCookies(t, "s1", consent.CookieAnalytics)
	f.record(t, order())
	_, err = f.l.Forget(f.ctx, "s1")
	require.NoError(t, err)

	_, err = privacy.Verify(f.ctx, f.audit)
	require.NoError(t, err, "the audit chain holds")
	n, err := f.l.Notice(f.ctx, "privacy", 0)
	require.NoError(t, err)
	var actions []privacy.Action
	for _, e := range f.auditEvents(t) {
		actions = append(actions, e.Action)
		for _, text := range n.Texts {
			for _, field := range []string{e.Object, e.Reason, e.Actor} {
				assert.NotContains(t, field, text.Title, "%s", e.Action)
				assert.NotContains(t, field, text.Body, "%s", e.Action)
			}
		}
		if e.Action == privacy.ActionConsentForgotten {
			assert.NotEqual(t, privacy.SubjectID("s1"), e.Subject)
		}
		assert.False(t, strings.Contains(e.Reason, "s1") || strings.Contains(e.Object, "s1"), "%s names the subject outside Subject", e.Action)
	}
	for _, a := range []privacy.Action{
		consent.ActionNoticePublished, privacy.ActionConsentGiven, privacy.ActionDisclosed, privacy.ActionDisclosureDenied,
		privacy.ActionConsentWithdrawn, privacy.ActionConsentRefused, consent.ActionOrderRecorded, privacy.ActionConsentForgotten,
	} {
		assert.Contains(t, actions, a)
	}
}
