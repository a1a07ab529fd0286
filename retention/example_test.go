package retention_test

import (
	"context"
	"fmt"
	"time"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

func ExamplePolicy_Resolve() {
	policy, err := retention.NewPolicy(
		retention.DutchFiscal("invoice", &retention.PresetOptions{Fields: []string{"number", "amount"}}),
	)
	if err != nil {
		panic(err)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	invoice := &privacy.Record{
		Ref:     privacy.Ref{Category: "invoice", ID: "2019-17"},
		Subject: "client-42",
		Created: time.Date(2019, 3, 15, 9, 30, 0, 0, ams),
	}

	for _, now := range []time.Time{
		time.Date(2026, 12, 31, 23, 59, 59, 0, ams),
		time.Date(2027, 1, 1, 0, 0, 0, 0, ams),
	} {
		d := policy.Resolve(invoice, nil, now)
		fmt.Printf("%s: %s", now.Format("2006-01-02 15:04:05"), d.Outcome)
		if d.Outcome == retention.Retain {
			fmt.Printf(" until %s", d.Until.Format(time.RFC3339))
		}
		fmt.Println()
		for _, r := range d.Reasons() {
			fmt.Println("  ", r)
		}
	}

	hold := retention.Hold{ID: "h1", Matter: "FIOD 2026-8", Scope: retention.SubjectScope("client-42")}
	d := policy.Resolve(invoice, []retention.Hold{hold}, time.Date(2030, 1, 1, 0, 0, 0, 0, ams))
	fmt.Println("with a hold in 2030:", d.Outcome, d.Matters())
	// Output:
	// 2026-12-31 23:59:59: retain until 2027-01-01T00:00:00+01:00
	//    retention: rule nl-fiscal:invoice (AWR art. 52 lid 4), through 2026-12-31
	// 2027-01-01 00:00:00: due
	//    retention ended: rule nl-fiscal:invoice (AWR art. 52 lid 4), through 2026-12-31
	// with a hold in 2030: held [FIOD 2026-8]
}

func ExampleSweeper() {
	ctx := context.Background()
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	clock := privacy.NewSettableClock(time.Date(2020, 1, 1, 0, 0, 0, 0, ams))
	audit := privacy.NewMemoryAuditLog()
	store := retention.NewMemoryStore(audit)
	holds := retention.NewHolds(store, &retention.HoldsOptions{Audit: audit, Clock: clock})
	policy, _ := retention.NewPolicy(retention.DutchFiscal("invoice", nil))
	sweeper, _ := retention.NewSweeper(store, store, policy, &retention.SweeperOptions{Clock: clock, Audit: audit})

	for i, year := range []int{2018, 2019, 2019, 2022} {
		_ = store.PutRecord(ctx, privacy.Record{
			Ref:     privacy.Ref{Category: "invoice", ID: fmt.Sprintf("%d-%d", year, i)},
			Subject: privacy.SubjectID(fmt.Sprintf("client-%d", i)),
			Created: time.Date(year, 6, 1, 12, 0, 0, 0, ams),
		})
	}
	_, _ = holds.Place(ctx, retention.Hold{
		ID: "h1", Matter: "claim 2026-3", Ground: retention.GroundLegalClaim,
		Scope: retention.SubjectScope("client-2"), PlacedBy: "legal",
	})

	clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, ams))
	fmt.Println("plan:")
	for c, err := range sweeper.Plan(ctx) {
		if err != nil {
			panic(err)
		}
		fmt.Println("  ", c.Ref, c.Decision.Outcome, "since", c.Decision.Until.Format("2006-01-02"))
	}
	rep, err := sweeper.Execute(ctx, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("looked at %d, disposed of %d, %d left\n", rep.Scanned, rep.Disposed, store.Len())
	head, err := privacy.Verify(ctx, audit)
	fmt.Println("audit entries:", head.Seq, "verified:", err == nil)
	// Output:
	// plan:
	//    invoice/2018-0 due since 2026-01-01
	//    invoice/2019-1 due since 2027-01-01
	// looked at 3, disposed of 2, 2 left
	// audit entries: 3 verified: true
}
