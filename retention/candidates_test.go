package retention_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// TestCandidatesNeverLeaveOutADueRecord: for random records and instants, a
// record Resolve calls due was always made before its category's bound.
func TestCandidatesNeverLeaveOutADueRecord(t *testing.T) {
	p := policy(t,
		retention.DutchFiscal("invoice", nil),
		retention.DutchOSS("oss", nil),
		retention.DutchFiscal("fy", &retention.PresetOptions{Name: "fy", YearEnd: retention.MonthDay{Month: time.February, Day: 29}}),
		retention.Rule{Name: "lead", Category: "lead", Delete: retention.Months(18), Zone: retention.DutchZone},
		retention.Rule{Name: "lead-keep", Category: "lead", Keep: retention.Months(1), Zone: "UTC"},
		retention.Rule{Name: "ticket", Category: "ticket", Keep: retention.Period{Months: 1, Days: 3}, Zone: "America/New_York"},
		retention.Rule{Name: "ticket-event", Category: "ticket", Keep: retention.Years(1), Anchor: retention.OnEvent("closed")},
	)
	rng := rand.New(rand.NewPCG(1, 2))
	cats := []privacy.Category{"invoice", "oss", "fy", "lead", "ticket"}
	due := 0
	for range 200000 {
		created := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(15 * 365 * 24 * time.Hour))))
		now := created.Add(time.Duration(rng.Int64N(int64(12 * 365 * 24 * time.Hour))))
		r := privacy.Record{Ref: privacy.Ref{Category: cats[rng.IntN(len(cats))], ID: "x"}, Subject: "s", Created: created}
		if rng.IntN(2) == 0 {
			r.Events = map[string]time.Time{"closed": created.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))}
		}
		bounds, ok := p.Candidates(now)
		require.True(t, ok)
		d := p.Resolve(&r, nil, now)
		if d.Outcome != retention.Due {
			continue
		}
		due++
		for _, b := range bounds {
			if b.Category == r.Ref.Category {
				require.True(t, r.Created.Before(b.CreatedBefore), "%s made %v is due at %v but the bound is %v", r.Ref.Category, r.Created, now, b.CreatedBefore)
			}
		}
	}
	assert.Greater(t, due, 10000, "the property was exercised")
}

func TestCandidatesGiveUpWhereCreationSaysNothing(t *testing.T) {
	now := day(2026, 1, 1)
	for name, rules := range map[string][]retention.Rule{
		"a default rule":                {{Name: "d", Category: retention.AnyCategory, Delete: retention.Years(1)}},
		"a rule for one record":         {{Name: "r", Category: "c", Record: "7", Keep: retention.Years(1)}},
		"a storage limit from an event": {{Name: "e", Category: "c", Delete: retention.Years(2), Anchor: retention.OnEvent(privacy.EventContractEnded)}},
		"retention only from an event":  {retention.DutchAML("cdd", nil)},
	} {
		t.Run(name, func(t *testing.T) {
			_, ok := policy(t, rules...).Candidates(now)
			assert.False(t, ok)
		})
	}
	bounds, ok := policy(t, retention.DutchFiscal("invoice", nil)).Candidates(now)
	require.True(t, ok)
	require.Len(t, bounds, 1)
	// Due on 1 January 2026: made in 2018 or before; the bound leaves a margin.
	assert.True(t, bounds[0].CreatedBefore.After(day(2019, 1, 1)))
	assert.True(t, bounds[0].CreatedBefore.Before(day(2019, 1, 10)))
}
