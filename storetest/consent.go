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

// consentBase is the time of the first event the suite appends. It has
// microsecond precision and is in UTC, as the ledger writes times.
var consentBase = time.Date(2025, 3, 15, 9, 30, 0, 123456000, time.UTC)

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
		Time:         consentBase.Add(time.Duration(i) * time.Minute),
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

// ignoreSeq compares events on everything but the store-assigned Seq.
var ignoreSeq = cmpopts.IgnoreFields(consent.Event{}, "Seq")

// sameEvents treats a nil and an empty slice alike: a store that reads back
// an empty recipient list as nil keeps the contract.
var sameEvents = cmpopts.EquateEmpty()

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
			assert.Empty(t, cmp.Diff(want, got, ignoreSeq, sameEvents), "Append result (-want +got)")
			cur, err := s.Current(ctx, "s1", "newsletter")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(got, cur, sameEvents), "Current (-want +got)")
			assert.Empty(t, cmp.Diff([]consent.Event{got}, history(t, s, "s1"), sameEvents), "History (-want +got)")
		}},
		{"history yields a subject's events in the order appended", func(t *testing.T, s consent.Store) {
			var want []consent.Event
			states := []consent.State{consent.Given, consent.Withdrawn, consent.Refused, consent.Expired}
			for i := range 12 {
				e := appendEvent(t, s, consentEvent("s1", privacy.Purpose(fmt.Sprint("p", i%4)), states[i%4], i))
				want = append(want, e)
				appendEvent(t, s, consentEvent("other", "p0", consent.Given, i))
			}
			assert.Empty(t, cmp.Diff(want, history(t, s, "s1"), sameEvents), "History (-want +got)")
		}},
		{"history never loses or changes an event when more are appended", func(t *testing.T, s consent.Store) {
			var before []consent.Event
			for i := range 30 {
				before = history(t, s, "s1")
				appendEvent(t, s, consentEvent("s1", "newsletter", []consent.State{consent.Given, consent.Withdrawn}[i%2], i))
				after := history(t, s, "s1")
				require.Len(t, after, len(before)+1, "after append %d", i)
				assert.Empty(t, cmp.Diff(before, after[:len(before)], sameEvents), "earlier events changed after append %d (-before +after)", i)
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
			assert.Empty(t, cmp.Diff(want, got, sameEvents), "(-want +got)")
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
				assert.Empty(t, cmp.Diff(last, got, sameEvents), "purpose %s (-history +current)", p)
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
			assert.Empty(t, cmp.Diff(keep, cur, sameEvents), "after changing Append's result (-want +got)")
			cur.Recipients[0] = "changed by the caller"
			cur.Recipients = append(cur.Recipients, "added")
			for e := range s.History(ctx, "s1") {
				e.Recipients[1] = "changed by the caller"
			}
			again, err := s.Current(ctx, "s1", "newsletter")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(keep, again, sameEvents), "after changing Current's and History's results (-want +got)")
			assert.Empty(t, cmp.Diff([]consent.Event{keep}, history(t, s, "s1"), sameEvents), "History (-want +got)")
		}},
		{"changing an appended event afterwards does not change the store", func(t *testing.T, s consent.Store) {
			e := consentEvent("s1", "newsletter", consent.Given, 0)
			got := appendEvent(t, s, e)
			keep := got.Clone()
			e.Recipients[0] = "changed by the caller"
			cur, err := s.Current(ctx, "s1", "newsletter")
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(keep, cur, sameEvents), "(-want +got)")
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
			assert.Empty(t, cmp.Diff(want, history(t, s, "ps:ABC"), sameEvents), "history under the pseudonym (-want +got)")
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
			assert.Empty(t, cmp.Diff([]consent.Event{other}, history(t, s, "s2"), sameEvents), "(-want +got)")
		}},
		{"pseudonymise of an unknown subject changes nothing", func(t *testing.T, s consent.Store) {
			e := appendEvent(t, s, consentEvent("s1", "newsletter", consent.Given, 0))
			n, err := s.Pseudonymise(ctx, "nobody", "ps:ABC")
			require.NoError(t, err)
			assert.Zero(t, n)
			assert.Empty(t, history(t, s, "ps:ABC"))
			assert.Empty(t, cmp.Diff([]consent.Event{e}, history(t, s, "s1"), sameEvents), "(-want +got)")
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
