package main

import (
	"context"
	"fmt"

	"github.com/smartbooqing/steward/bench/internal/invoices"
	"github.com/smartbooqing/steward/retention"
)

// setupResolve measures Policy.Resolve per record: the Dutch fiscal rule on
// invoices at 1 January 2027, a tenth of the records due. It has no
// baseline; its target is absolute. "held" passes each record a subject
// hold that covers it, which is the path a sweep takes for a held record.
func setupResolve(ctx context.Context, cfg *config) (*workRun, error) {
	policy, err := retention.NewPolicy(retention.DutchFiscal("invoice", nil))
	if err != nil {
		return nil, err
	}
	recs := invoices.Records()
	n := cfg.n
	resolve := func(held bool) contender {
		name := "steward"
		if held {
			name = "steward, held"
		}
		return contender{name: name, prepare: func(ctx context.Context) (func(context.Context) (outcome, error), error) {
			return func(ctx context.Context) (outcome, error) {
				var holds []retention.Hold
				var due int64
				for r, err := range invoices.Cycle(recs, n) {
					if err != nil {
						return outcome{}, err
					}
					if held {
						holds = append(holds[:0], retention.Hold{ID: "h", Matter: "matter", Ground: retention.GroundLegalClaim,
							Scope: retention.SubjectScope(r.Subject), PlacedBy: "legal", PlacedAt: sweepDay})
					}
					d := policy.Resolve(&r, holds, sweepDay)
					if d.Outcome == retention.Due {
						due++
					}
				}
				if !held && due == 0 {
					return outcome{}, fmt.Errorf("no record due: the data does not exercise disposal")
				}
				return outcome{records: int64(n), done: int64(n)}, nil
			}, nil
		}}
	}
	return &workRun{
		contenders: []contender{resolve(false), resolve(true)},
		targets: []target{
			{What: "steward ≤ 200 ns and 0 allocations per record without holds", check: func(rows map[string]*row) (string, bool) {
				r := rows["steward"]
				if r == nil {
					return "n/a", false
				}
				return fmt.Sprintf("%.0f ns, %.2f allocs", r.NsPerRecord, r.AllocsPerRec), r.NsPerRecord <= 200 && r.AllocsPerRec < 0.005
			}},
		},
	}, nil
}
