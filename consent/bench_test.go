package consent_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// benchLedger returns a ledger over a memory store holding total events, of
// which long belong to the subject "long" (alternating given and withdrawn
// across two purposes, ending given) and the rest to other subjects, ten each.
func benchLedger(b *testing.B, total, long int) *consent.Ledger {
	b.Helper()
	ctx := context.Background()
	store := consent.NewMemoryStore()
	l, err := consent.New(store, &consent.Options{
		Clock:    privacy.NewSettableClock(start.AddDate(1, 0, 0)),
		Purposes: purposes,
	})
	if err != nil {
		b.Fatal(err)
	}
	n, err := l.Publish(ctx, notice("privacy", 1, consent.Material, "newsletter", "research"))
	if err != nil {
		b.Fatal(err)
	}
	states := []consent.State{consent.Withdrawn, consent.Given}
	mk := func(subject privacy.SubjectID, i int) consent.Event {
		return consent.Event{
			Subject: subject, Purpose: []privacy.Purpose{"newsletter", "research"}[(i/2)%2], Basis: privacy.Consent,
			State: states[i%2], Notice: n.ID, Version: n.Version, Language: "en", NoticeHash: n.Hash,
			Method: consent.MethodWeb, Actor: "subject", Time: start.Add(time.Duration(i) * time.Second), Jurisdiction: "NL",
		}
	}
	for i := range total - long {
		if _, err := store.Append(ctx, mk(privacy.SubjectID(fmt.Sprint("s", i/10)), i)); err != nil {
			b.Fatal(err)
		}
	}
	for i := range long {
		if _, err := store.Append(ctx, mk("long", i)); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

// BenchmarkCurrent measures the current state of a subject with a long
// history in stores of growing size: the time stays flat because the store
// indexes the newest event per subject and purpose.
func BenchmarkCurrent(b *testing.B) {
	ctx := context.Background()
	for _, size := range []struct{ total, long int }{{20_000, 10_000}, {200_000, 10_000}, {1_000_000, 100_000}} {
		l := benchLedger(b, size.total, size.long)
		b.Run(fmt.Sprintf("events=%d/subject=%d/Current", size.total, size.long), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e, err := l.Current(ctx, "long", "newsletter")
				if err != nil || e.State != consent.Given {
					b.Fatal(e.State, err)
				}
			}
		})
		b.Run(fmt.Sprintf("events=%d/subject=%d/NeedsConsent", size.total, size.long), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				need, err := l.NeedsConsent(ctx, "long", "newsletter")
				if err != nil || need.Reason != consent.ReasonConsented {
					b.Fatal(need.Reason, err)
				}
			}
		})
	}
}
