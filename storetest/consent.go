package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// RunConsentStore checks that the stores newStore makes keep the contract of
// consent.Store. Each case gets a fresh, empty store from newStore and is a
// subtest named after the rule it checks.
func RunConsentStore(t *testing.T, newStore func(t *testing.T) consent.Store) {
	t.Helper()
	for _, c := range consentCases() {
		t.Run(c.rule, func(t *testing.T) {
			c.check(t, newStore(t))
		})
	}
}

type consentCase struct {
	rule  string
	check func(t *testing.T, s consent.Store)
}

// consentBase() returns the time of the first event the suite appends. It has
// microsecond precision and is in UTC, as the ledger writes times.
func consentBase() time.Time { return time.Date(2025, 3, 15, 9, 30, 0, 123456000, time.UTC) }

// consentEvent returns the i-th test event of subject for purpose, with every
// field set so that a store that drops one is caught.
func consentEvent(subject privacy.SubjectID, purpose privacy.Purpose, state consent.State, i int) consent.Event {
	e := consent.Event{
		Subject:      subject,
		Purpose:      purpose,
		Basis:        privacy.Consent,
		State:        state,
		Notice:       "privacy",
		Version:      1 + i%3,
		Language:     []string{"nl", "en"}[i%2],
		NoticeHash:   fmt.Sprintf("sha256:%064x", i),
		Method:       consent.MethodWeb,
		Actor:        "subject",
		Time:         consentBase().Add(time.Duration(i) * time.Minute),
		Jurisdiction: "NL",
	}
	if state == consent.Given {
		e.Expires = e.Time.AddDate(1, 0, 0)
		e.Recipients = []string{"courier", fmt.Sprintf("partner-%d", i)}
	}
	return e
}

func appendEvent(t *testing.T, s consent.Store, e consent.Event) consent.Event {
	t.Helper()
	got, err := s.Append(context.Background(), e)
	require.NoError(t, err, "Append")
	return got
}

func history(t *testing.T, s consent.Store, subject privacy.SubjectID) []consent.Event {
	t.Helper()
	var out []consent.Event
	for e, err := range s.History(context.Background(), subject) {
		require.NoError(t, err, "History")
		out = append(out, e)
	}
	return out
}

// ignoreSeq() compares events on everything but the store-assigned Seq.
func ignoreSeq() cmp.Option { return cmpopts.IgnoreFields(consent.Event{}, "Seq") }

// sameEvents() treats a nil and an empty slice alike: a store that reads back
// an empty recipient list as nil keeps the contract.
func sameEvents() cmp.Option { return cmpopts.EquateEmpty() }

func consentCases() []consentCase {
	ctx := context.Background()
	return []consentCase{
		{"append assigns each event a higher sequence number than every event before it", func(t *testing.T, s consent.Store) {
			var last uint64
			for i := range 20 {
				e := appendEvent(t, s, consentEvent(privacy.SubjectID(fmt.Sprint("s", i%3)), "newsletter", consent.Given, i))
				assert.Greater(t, e.Seq, last, "event %d", i)
				last = e.Seq
			}
		}},
		{"append ignores the sequence number the caller set", func(t *testing.T, s consent.Store) {
			first := appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			e := consentEvent("s1", "newsletter", consent.Withdrawn, 1)
			e.Seq = first.Seq // a store that trusted this would have two events with one Seq
			second := appendEvent(t, s, e)
			assert.Greater(t, second.Seq, first.Seq)
		}},
		{"every field reads back as appended", func(t *testing.T, s consent.Store) {
			want := consentEvent("s1", "newsletter", consent.Given, 7)
			got := appendEvent(t, s, want)
			assert.Empty(t, cmp.Diff(want, got, ignoreSeq(), sameEvents()), "Append result (-want +got)")
			cur, err := s.Current(ctx, "s1", "newsletter")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(got, cur, sameEvents()), "Current (-want +got)")
			assert.Empty(t, cmp.Diff([]consent.Event{got}, history(t, s, "s1"), sameEvents()), "History (-want +got)")
		}},
		{"history yields a subject's events in the order appended", func(t *testing.T, s consent.Store) {
			var want []consent.Event
			states := []consent.State{consent.Given, consent.Withdrawn, consent.Refused, consent.Expired}
			for i := range 12 {
				e := appendEvent(t, s, consentEvent("s1", privacy.Purpose(fmt.Sprint("p", i%4)), states[i%4], i))
				want = append(want, e)
				appendEvent(t, s, consentEvent("other", "p0", consent.Given, i))
			}
			assert.Empty(t, cmp.Diff(want, history(t, s, "s1"), sameEvents()), "History (-want +got)")
		}},
		{"history never loses or changes an event when more are appended", func(t *testing.T, s consent.Store) {
			var before []consent.Event
			for i := range 30 {
				before = history(t, s, "s1")
				appendEvent(t, s, consentEvent("s1", "newsletter", []consent.State{consent.Given, consent.Withdrawn}[i%2], i))
				after := history(t, s, "s1")
				require.Len(t, after, len(before)+1, "after append %d", i)
				assert.Empty(t, cmp.Diff(before, after[:len(before)], sameEvents()), "earlier events changed after append %d (-before +after)", i)
			}
		}},
		{"history holds only the subject's own events", func(t *testing.T, s consent.Store) {
			appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			appendEvent(t, s, consentEvent("s2", "newsletter", consent.Given, 1))
			appendEvent(t, s, consentEvent("s10", "newsletter", consent.Given, 2))
			for _, e := range history(t, s, "s1") {
				assert.Equal(t, privacy.SubjectID("s1"), e.Subject)
			}
			assert.Len(t, history(t, s, "s1"), 1)
		}},
		{"history of an unknown subject is empty, not an error", func(t *testing.T, s consent.Store) {
			appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			assert.Empty(t, history(t, s, "nobody"))
		}},
		{"current is the newest event for the subject and purpose", func(t *testing.T, s consent.Store) {
			appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			appendEvent(t, s, consentEvent("s1", "newsletter", consent.Withdrawn, 1))
			want := appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 2))
			appendEvent(t, s, consentEvent("s1", "analytics", consent.Refused, 3))
			appendEvent(t, s, consentEvent("s2", "newsletter", consent.Withdrawn, 4))
			got, err := s.Current(ctx, "s1", "newsletter")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(want, got, sameEvents()), "(-want +got)")
		}},
		{"current equals the last event of the purpose in history", func(t *testing.T, s consent.Store) {
			purposes := []privacy.Purpose{"newsletter", "analytics", "marketing"}
			states := []consent.State{consent.Given, consent.Withdrawn, consent.Refused, consent.Expired, consent.Given}
			for i := range 40 {
				appendEvent(t, s, consentEvent("s1", purposes[i%3], states[i%5], i))
			}
			h := history(t, s, "s1")
			for _, p := range purposes {
				var last consent.Event
				for _, e := range h {
					if e.Purpose == p {
						last = e
					}
				}
				got, err := s.Current(ctx, "s1", p)
				require.NoError(t, err, "purpose %s", p)
				assert.Empty(t, cmp.Diff(last, got, sameEvents()), "purpose %s (-history +current)", p)
			}
		}},
		{"current of an unknown subject wraps ErrNotFound", func(t *testing.T, s consent.Store) {
			appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			_, err := s.Current(ctx, "nobody", "newsletter")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
		}},
		{"current of a purpose the subject was never asked about wraps ErrNotFound", func(t *testing.T, s consent.Store) {
			appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			appendEvent(t, s, consentEvent("s2", "analytics", consent.Given, 1))
			_, err := s.Current(ctx, "s1", "analytics")
			assert.ErrorIs(t, err, privacy.ErrNotFound)
		}},
		{"changing a returned event does not change the store", func(t *testing.T, s consent.Store) {
			want := appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			keep := want.Clone()
			want.Recipients[0] = "changed by the caller"
			cur, err := s.Current(ctx, "s1", "newsletter")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(keep, cur, sameEvents()), "after changing Append's result (-want +got)")
			cur.Recipients[0] = "changed by the caller"
			cur.Recipients = append(cur.Recipients, "added")
			for e := range s.History(ctx, "s1") {
				e.Recipients[1] = "changed by the caller"
			}
			again, err := s.Current(ctx, "s1", "newsletter")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(keep, again, sameEvents()), "after changing Current's and History's results (-want +got)")
			assert.Empty(t, cmp.Diff([]consent.Event{keep}, history(t, s, "s1"), sameEvents()), "History (-want +got)")
		}},
		{"changing an appended event afterwards does not change the store", func(t *testing.T, s consent.Store) {
			e := consentEvent("s1", "newsletter", consent.Given, 0)
			got := appendEvent(t, s, e)
			keep := got.Clone()
			e.Recipients[0] = "changed by the caller"
			cur, err := s.Current(ctx, "s1", "newsletter")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(keep, cur, sameEvents()), "(-want +got)")
		}},
		{"history stops when the loop breaks early", func(t *testing.T, s consent.Store) {
			for i := range 10 {
				appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, i))
			}
			n := 0
			for _, err := range s.History(ctx, "s1") {
				require.NoError(t, err)
				n++
				if n == 3 {
					break
				}
			}
			assert.Equal(t, 3, n)
			// A store that kept a lock or a cursor open after the break
			// would block or fail here.
			done := make(chan error, 1)
			go func() {
				_, err := s.Append(ctx, consentEvent("s1", "newsletter", consent.Withdrawn, 10))
				done <- err
			}()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("Append blocked after an iteration stopped early")
			}
			assert.Len(t, history(t, s, "s1"), 11)
		}},
		{"concurrent appends lose nothing", func(t *testing.T, s consent.Store) {
			const writers, each = 8, 40
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						subject := privacy.SubjectID(fmt.Sprint("s", (w+i)%3))
						if _, err := s.Append(ctx, consentEvent(subject, privacy.Purpose(fmt.Sprint("p", w)), consent.Given, w*each+i)); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			seen := make(map[uint64]bool)
			total := 0
			for _, sub := range []privacy.SubjectID{"s0", "s1", "s2"} {
				var last uint64
				for _, e := range history(t, s, sub) {
					assert.False(t, seen[e.Seq], "Seq %d given twice", e.Seq)
					assert.Greater(t, e.Seq, last, "history of %s out of order", sub)
					seen[e.Seq], last = true, e.Seq
					total++
				}
			}
			assert.Equal(t, writers*each, total)
			for w := range writers {
				for _, sub := range []privacy.SubjectID{"s0", "s1", "s2"} {
					var newest uint64
					for _, e := range history(t, s, sub) {
						if e.Purpose == privacy.Purpose(fmt.Sprint("p", w)) {
							newest = e.Seq
						}
					}
					cur, err := s.Current(ctx, sub, privacy.Purpose(fmt.Sprint("p", w)))
					require.NoError(t, err)
					assert.Equal(t, newest, cur.Seq, "current of %s p%d", sub, w)
				}
			}
		}},
		{"pseudonymise moves every event to the pseudonym, keeping its fields and order", func(t *testing.T, s consent.Store) {
			for i := range 6 {
				appendEvent(t, s, consentEvent("s1", []privacy.Purpose{"newsletter", "analytics"}[i%2], consent.Given, i))
			}
			before := history(t, s, "s1")
			n, err := s.Pseudonymise(ctx, "s1", "ps:ABC")
			require.NoError(t, err)
			assert.Equal(t, 6, n)
			assert.Empty(t, history(t, s, "s1"), "history under the subject")
			want := make([]consent.Event, len(before))
			for i, e := range before {
				e.Subject = "ps:ABC"
				want[i] = e
			}
			assert.Empty(t, cmp.Diff(want, history(t, s, "ps:ABC"), sameEvents()), "history under the pseudonym (-want +got)")
			_, err = s.Current(ctx, "s1", "newsletter")
			assert.ErrorIs(t, err, privacy.ErrNotFound, "current under the subject")
			cur, err := s.Current(ctx, "ps:ABC", "newsletter")
			require.NoError(t, err)
			assert.Equal(t, want[4].Seq, cur.Seq, "current under the pseudonym")
		}},
		{"pseudonymise leaves other subjects alone", func(t *testing.T, s consent.Store) {
			appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			other := appendEvent(t, s, consentEvent("s2", "newsletter", consent.Given, 1))
			_, err := s.Pseudonymise(ctx, "s1", "ps:ABC")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff([]consent.Event{other}, history(t, s, "s2"), sameEvents()), "(-want +got)")
		}},
		{"pseudonymise of an unknown subject changes nothing", func(t *testing.T, s consent.Store) {
			e := appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			n, err := s.Pseudonymise(ctx, "nobody", "ps:ABC")
			require.NoError(t, err)
			assert.Zero(t, n)
			assert.Empty(t, history(t, s, "ps:ABC"))
			assert.Empty(t, cmp.Diff([]consent.Event{e}, history(t, s, "s1"), sameEvents()), "(-want +got)")
		}},
		{"pseudonymise into a pseudonym that has events keeps one history in sequence order", func(t *testing.T, s consent.Store) {
			a0 := appendEvent(t, s, consentEvent("a", "newsletter", consent.Given, 0))
			b1 := appendEvent(t, s, consentEvent("b", "newsletter", consent.Given, 1))
			a2 := appendEvent(t, s, consentEvent("a", "newsletter", consent.Withdrawn, 2))
			_, err := s.Pseudonymise(ctx, "b", "ps:X")
			require.NoError(t, err)
			_, err = s.Pseudonymise(ctx, "a", "ps:X")
			require.NoError(t, err)
			got := history(t, s, "ps:X")
			seqs := make([]uint64, len(got))
			for i, e := range got {
				seqs[i] = e.Seq
			}
			assert.Equal(t, []uint64{a0.Seq, b1.Seq, a2.Seq}, seqs)
			cur, err := s.Current(ctx, "ps:X", "newsletter")
			require.NoError(t, err)
			assert.Equal(t, a2.Seq, cur.Seq, "current is the newest of both histories")
		}},
		{"a cancelled context stops every method with the context's error", func(t *testing.T, s consent.Store) {
			appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := s.Append(cctx, consentEvent("s1", "newsletter", consent.Withdrawn, 1))
			assert.ErrorIs(t, err, context.Canceled, "Append")
			_, err = s.Current(cctx, "s1", "newsletter")
			assert.ErrorIs(t, err, context.Canceled, "Current")
			_, err = s.Pseudonymise(cctx, "s1", "ps:ABC")
			assert.ErrorIs(t, err, context.Canceled, "Pseudonymise")
			var iterErr error
			n := 0
			for _, err := range s.History(cctx, "s1") {
				n++
				if err != nil {
					iterErr = err
				}
			}
			assert.True(t, errors.Is(iterErr, context.Canceled) && n == 1, "History yields the context error once, got %d items, error %v", n, iterErr)
			assert.Len(t, history(t, s, "s1"), 1, "nothing was appended under the cancelled context")
		}},
	}
}

// RunNoticeStore checks that the stores newStore makes keep the contract of
// consent.NoticeStore. Each case gets a fresh, empty store.
func RunNoticeStore(t *testing.T, newStore func(t *testing.T) consent.NoticeStore) {
	t.Helper()
	ctx := context.Background()
	mk := func(id consent.NoticeID, version int, change consent.Change) consent.Notice {
		n := consent.Notice{
			ID: id, Version: version, Change: change, Published: consentBase().AddDate(0, version, 0),
			Purposes: []privacy.Purpose{"newsletter", "research"},
			Texts: map[string]consent.Text{
				"en": {Title: "Privacy statement", Body: fmt.Sprint("Version ", version)},
				"nl": {Title: "Privacyverklaring", Body: fmt.Sprint("Versie ", version)},
			},
		}
		n.Hash = n.Sum()
		return n
	}
	publish := func(t *testing.T, s consent.NoticeStore, n consent.Notice) {
		t.Helper()
		require.NoError(t, s.Publish(ctx, n), "Publish")
	}
	versions := func(t *testing.T, s consent.NoticeStore, id consent.NoticeID, after int) []consent.Notice {
		t.Helper()
		var out []consent.Notice
		for n, err := range s.Versions(ctx, id, after) {
			require.NoError(t, err, "Versions")
			out = append(out, n)
		}
		return out
	}
	for _, c := range []struct {
		rule  string
		check func(t *testing.T, s consent.NoticeStore)
	}{
		{"every field of a published notice reads back", func(t *testing.T, s consent.NoticeStore) {
			want := mk("privacy", 1, consent.Material)
			publish(t, s, want)
			got, err := s.Notice(ctx, "privacy", 1)
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(want, got, sameEvents()), "(-want +got)")
		}},
		{"version 0 reads the newest version", func(t *testing.T, s consent.NoticeStore) {
			publish(t, s, mk("privacy", 1, consent.Material))
			publish(t, s, mk("privacy", 4, consent.Editorial))
			publish(t, s, mk("cookies", 7, consent.Material))
			got, err := s.Notice(ctx, "privacy", 0)
			require.NoError(t, err)
			assert.Equal(t, 4, got.Version)
		}},
		{"an unknown notice or version wraps ErrNotFound", func(t *testing.T, s consent.NoticeStore) {
			publish(t, s, mk("privacy", 2, consent.Material))
			_, err := s.Notice(ctx, "privacy", 1)
			assert.ErrorIs(t, err, privacy.ErrNotFound, "unknown version")
			_, err = s.Notice(ctx, "cookies", 0)
			assert.ErrorIs(t, err, privacy.ErrNotFound, "unknown notice")
		}},
		{"publishing an equal or older version wraps ErrConflict and changes nothing", func(t *testing.T, s consent.NoticeStore) {
			first := mk("privacy", 2, consent.Material)
			publish(t, s, first)
			again := mk("privacy", 2, consent.Editorial)
			again.Texts["en"] = consent.Text{Title: "Changed", Body: "Changed"}
			assert.ErrorIs(t, s.Publish(ctx, again), privacy.ErrConflict, "the same version")
			assert.ErrorIs(t, s.Publish(ctx, mk("privacy", 1, consent.Material)), privacy.ErrConflict, "an older version")
			got, err := s.Notice(ctx, "privacy", 0)
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(first, got, sameEvents()), "(-want +got)")
		}},
		{"of concurrent publications of one version exactly one succeeds", func(t *testing.T, s consent.NoticeStore) {
			var wg sync.WaitGroup
			results := make(chan error, 8)
			for range 8 {
				wg.Go(func() { results <- s.Publish(ctx, mk("privacy", 1, consent.Material)) })
			}
			wg.Wait()
			close(results)
			ok := 0
			for err := range results {
				if err == nil {
					ok++
				} else {
					assert.ErrorIs(t, err, privacy.ErrConflict)
				}
			}
			assert.Equal(t, 1, ok)
		}},
		{"versions yields the later versions in ascending order", func(t *testing.T, s consent.NoticeStore) {
			for _, v := range []int{1, 2, 5, 9} {
				publish(t, s, mk("privacy", v, consent.Editorial))
			}
			publish(t, s, mk("cookies", 3, consent.Material))
			var got []int
			for _, n := range versions(t, s, "privacy", 2) {
				got = append(got, n.Version)
				assert.Equal(t, consent.NoticeID("privacy"), n.ID)
			}
			assert.Equal(t, []int{5, 9}, got)
			assert.Empty(t, versions(t, s, "privacy", 9), "nothing after the newest")
			assert.Empty(t, versions(t, s, "unknown", 0), "an unknown notice yields nothing")
		}},
		{"versions stops when the loop breaks early", func(t *testing.T, s consent.NoticeStore) {
			for v := range 5 {
				publish(t, s, mk("privacy", v+1, consent.Editorial))
			}
			n := 0
			for _, err := range s.Versions(ctx, "privacy", 0) {
				require.NoError(t, err)
				n++
				break
			}
			assert.Equal(t, 1, n)
			publish(t, s, mk("privacy", 6, consent.Editorial))
		}},
		{"changing a published or returned notice does not change the store", func(t *testing.T, s consent.NoticeStore) {
			n := mk("privacy", 1, consent.Material)
			keep := n.Clone()
			publish(t, s, n)
			n.Texts["en"] = consent.Text{Title: "changed", Body: "changed"}
			n.Purposes[0] = "changed"
			got, err := s.Notice(ctx, "privacy", 1)
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(keep, got, sameEvents()), "after changing the published value (-want +got)")
			got.Texts["nl"] = consent.Text{Title: "changed", Body: "changed"}
			got.Purposes[1] = "changed"
			for v := range s.Versions(ctx, "privacy", 0) {
				v.Purposes[0] = "changed"
			}
			again, err := s.Notice(ctx, "privacy", 0)
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(keep, again, sameEvents()), "after changing returned values (-want +got)")
		}},
	} {
		t.Run(c.rule, func(t *testing.T) { c.check(t, newStore(t)) })
	}
}

// RunDisclosureStore checks that the stores newStore makes keep the contract
// of consent.DisclosureStore. Each case gets a fresh, empty store.
func RunDisclosureStore(t *testing.T, newStore func(t *testing.T) consent.DisclosureStore) {
	t.Helper()
	ctx := context.Background()
	mkOrder := func(ref string, subjects ...privacy.SubjectID) consent.LegalOrder {
		return consent.LegalOrder{
			Authority: "Rechtbank Amsterdam", Reference: ref, Date: consentBase(), Basis: privacy.LegalObligation,
			Scope: consent.OrderScope{
				Subjects: subjects, Purposes: []privacy.Purpose{"court"},
				Recipients: []string{"Openbaar Ministerie"}, Until: consentBase().AddDate(1, 0, 0),
			},
			Recorded: consentBase(), Actor: "legal-officer",
		}
	}
	mkDisclosure := func(subject privacy.SubjectID, i int) consent.Disclosure {
		return consent.Disclosure{
			Subject: subject, Recipient: fmt.Sprint("recipient-", i), Purpose: "research", Basis: privacy.Consent,
			Time: consentBase().Add(time.Duration(i) * time.Minute), Consent: uint64(i + 1),
		}
	}
	orders := func(t *testing.T, s consent.DisclosureStore, subject privacy.SubjectID) []consent.LegalOrder {
		t.Helper()
		var out []consent.LegalOrder
		for o, err := range s.Orders(ctx, subject) {
			require.NoError(t, err, "Orders")
			out = append(out, o)
		}
		return out
	}
	disclosures := func(t *testing.T, s consent.DisclosureStore, subject privacy.SubjectID) []consent.Disclosure {
		t.Helper()
		var out []consent.Disclosure
		for d, err := range s.Disclosures(ctx, subject) {
			require.NoError(t, err, "Disclosures")
			out = append(out, d)
		}
		return out
	}
	addOrder := func(t *testing.T, s consent.DisclosureStore, o consent.LegalOrder) consent.LegalOrder {
		t.Helper()
		got, err := s.AddOrder(ctx, o)
		require.NoError(t, err, "AddOrder")
		return got
	}
	addDisclosure := func(t *testing.T, s consent.DisclosureStore, d consent.Disclosure) consent.Disclosure {
		t.Helper()
		got, err := s.AddDisclosure(ctx, d)
		require.NoError(t, err, "AddDisclosure")
		return got
	}
	ignoreID := cmp.Options{cmpopts.IgnoreFields(consent.LegalOrder{}, "ID"), cmpopts.IgnoreFields(consent.Disclosure{}, "ID"), sameEvents()}
	for _, c := range []struct {
		rule  string
		check func(t *testing.T, s consent.DisclosureStore)
	}{
		{"every field of an order and a disclosure reads back", func(t *testing.T, s consent.DisclosureStore) {
			o := mkOrder("C/1", "s1")
			got := addOrder(t, s, o)
			assert.Empty(t, cmp.Diff(o, got, ignoreID), "AddOrder (-want +got)")
			assert.Empty(t, cmp.Diff([]consent.LegalOrder{got}, orders(t, s, "s1"), sameEvents()), "Orders (-want +got)")
			d := mkDisclosure("s1", 0)
			gotD := addDisclosure(t, s, d)
			assert.Empty(t, cmp.Diff(d, gotD, ignoreID), "AddDisclosure (-want +got)")
			assert.Empty(t, cmp.Diff([]consent.Disclosure{gotD}, disclosures(t, s, "s1"), sameEvents()), "Disclosures (-want +got)")
		}},
		{"IDs increase and the caller's ID is ignored", func(t *testing.T, s consent.DisclosureStore) {
			a := addOrder(t, s, mkOrder("C/1", "s1"))
			o := mkOrder("C/2", "s1")
			o.ID = a.ID
			b := addOrder(t, s, o)
			assert.Greater(t, b.ID, a.ID)
			d1 := addDisclosure(t, s, mkDisclosure("s1", 0))
			d := mkDisclosure("s1", 1)
			d.ID = d1.ID
			d2 := addDisclosure(t, s, d)
			assert.Greater(t, d2.ID, d1.ID)
		}},
		{"an order with the same authority and reference wraps ErrConflict", func(t *testing.T, s consent.DisclosureStore) {
			addOrder(t, s, mkOrder("C/1", "s1"))
			_, err := s.AddOrder(ctx, mkOrder("C/1", "s2"))
			assert.ErrorIs(t, err, privacy.ErrConflict)
			assert.Empty(t, orders(t, s, "s2"), "nothing stored")
		}},
		{"orders and disclosures yield the subject's own in ID order", func(t *testing.T, s consent.DisclosureStore) {
			o1 := addOrder(t, s, mkOrder("C/1", "s1", "s2"))
			addOrder(t, s, mkOrder("C/2", "s2"))
			o3 := addOrder(t, s, mkOrder("C/3", "s1"))
			assert.Empty(t, cmp.Diff([]consent.LegalOrder{o1, o3}, orders(t, s, "s1"), sameEvents()), "(-want +got)")
			var want []consent.Disclosure
			for i := range 6 {
				d := addDisclosure(t, s, mkDisclosure(privacy.SubjectID(fmt.Sprint("s", 1+i%2)), i))
				if d.Subject == "s1" {
					want = append(want, d)
				}
			}
			assert.Empty(t, cmp.Diff(want, disclosures(t, s, "s1"), sameEvents()), "(-want +got)")
		}},
		{"an unknown subject has no orders and no disclosures, and no error", func(t *testing.T, s consent.DisclosureStore) {
			addOrder(t, s, mkOrder("C/1", "s1"))
			addDisclosure(t, s, mkDisclosure("s1", 0))
			assert.Empty(t, orders(t, s, "nobody"))
			assert.Empty(t, disclosures(t, s, "nobody"))
		}},
		{"changing an added or returned order does not change the store", func(t *testing.T, s consent.DisclosureStore) {
			o := mkOrder("C/1", "s1")
			got := addOrder(t, s, o)
			keep := got.Clone()
			o.Scope.Subjects[0] = "changed"
			got.Scope.Purposes[0] = "changed"
			for x := range s.Orders(ctx, "s1") {
				x.Scope.Recipients[0] = "changed"
			}
			assert.Empty(t, cmp.Diff([]consent.LegalOrder{keep}, orders(t, s, "s1"), sameEvents()), "(-want +got)")
		}},
		{"iterators stop when the loop breaks early", func(t *testing.T, s consent.DisclosureStore) {
			for i := range 4 {
				addOrder(t, s, mkOrder(fmt.Sprint("C/", i), "s1"))
				addDisclosure(t, s, mkDisclosure("s1", i))
			}
			n := 0
			for range s.Orders(ctx, "s1") {
				n++
				break
			}
			for range s.Disclosures(ctx, "s1") {
				n++
				break
			}
			assert.Equal(t, 2, n)
			addDisclosure(t, s, mkDisclosure("s1", 9))
			assert.Len(t, disclosures(t, s, "s1"), 5)
		}},
		{"concurrent disclosures lose nothing", func(t *testing.T, s consent.DisclosureStore) {
			const writers, each = 8, 25
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						if _, err := s.AddDisclosure(ctx, mkDisclosure(privacy.SubjectID(fmt.Sprint("s", w%2)), w*each+i)); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			ids := make(map[uint64]bool)
			for _, sub := range []privacy.SubjectID{"s0", "s1"} {
				for _, d := range disclosures(t, s, sub) {
					assert.False(t, ids[d.ID], "ID %d given twice", d.ID)
					ids[d.ID] = true
				}
			}
			assert.Len(t, ids, writers*each)
		}},
		{"pseudonymise moves disclosures and order scopes and leaves others alone", func(t *testing.T, s consent.DisclosureStore) {
			o := addOrder(t, s, mkOrder("C/1", "s1", "s2"))
			d := addDisclosure(t, s, mkDisclosure("s1", 0))
			other := addDisclosure(t, s, mkDisclosure("s2", 1))
			n, err := s.Pseudonymise(ctx, "s1", "ps:ABC")
			require.NoError(t, err)
			assert.Equal(t, 2, n, "one disclosure and one order")
			assert.Empty(t, orders(t, s, "s1"))
			assert.Empty(t, disclosures(t, s, "s1"))
			o.Scope.Subjects = []privacy.SubjectID{"ps:ABC", "s2"}
			d.Subject = "ps:ABC"
			assert.Empty(t, cmp.Diff([]consent.LegalOrder{o}, orders(t, s, "ps:ABC"), sameEvents()), "(-want +got)")
			assert.Empty(t, cmp.Diff([]consent.LegalOrder{o}, orders(t, s, "s2"), sameEvents()), "the other subject keeps the order (-want +got)")
			assert.Empty(t, cmp.Diff([]consent.Disclosure{d}, disclosures(t, s, "ps:ABC"), sameEvents()), "(-want +got)")
			assert.Empty(t, cmp.Diff([]consent.Disclosure{other}, disclosures(t, s, "s2"), sameEvents()), "(-want +got)")
			n, err = s.Pseudonymise(ctx, "nobody", "ps:XYZ")
			require.NoError(t, err)
			assert.Zero(t, n)
		}},
	} {
		t.Run(c.rule, func(t *testing.T) { c.check(t, newStore(t)) })
	}
}
