package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/big"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// users returns a stream of invoice records of clients: 40 in retail, 15 in
// construction, 9 in healthcare, 12 in mining and none in fishing, each
// client with one to four invoices.
func users() iter.Seq2[privacy.Record, error] {
	sizes := []struct {
		sector string
		n      int
	}{{"retail", 40}, {"construction", 15}, {"healthcare", 9}, {"mining", 12}}
	return func(yield func(privacy.Record, error) bool) {
		id := 0
		for _, s := range sizes {
			for i := range s.n {
				for inv := range 1 + i%4 {
					id++
					r := privacy.Record{
						Ref:     privacy.Ref{Category: "invoice", ID: fmt.Sprint(id)},
						Subject: privacy.SubjectID(fmt.Sprintf("%s-%d", s.sector, i)),
						Fields:  []privacy.Field{{Name: "sector", Value: s.sector}, {Name: "amount", Value: int64(100 * (inv + 1))}},
					}
					if !yield(r, nil) {
						return
					}
				}
			}
		}
	}
}

// sectorRow maps an invoice record to a row of a table by sector.
func sectorRow(r privacy.Record) (aggregate.Row, bool) {
	f, ok := r.Field("sector")
	if !ok {
		return aggregate.Row{}, false
	}
	return aggregate.Row{Subject: r.Subject, Key: aggregate.Key{f.Value.(string)}}, true
}

var sectors = []string{"retail", "construction", "healthcare", "mining", "fishing"}

// Users per sector, published with suppression: healthcare has 9 users,
// below the minimum of 10, so it is withheld. The total is published, so
// healthcare would follow from it by subtraction; secondary suppression
// therefore withholds the next smallest sector, mining, too. Fishing has no
// users and is published as zero.
func Example() {
	rel, err := aggregate.Build(context.Background(),
		[]aggregate.Dim{{Name: "sector", Keys: sectors}},
		aggregate.Rows(users(), sectorRow),
		nil) // defaults: distinct users, at least 10 per cell
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range rel.Cells {
		if c.Status.Suppressed() {
			fmt.Printf("%-12s %s\n", c.Key[0], c.Status)
			continue
		}
		fmt.Printf("%-12s %d\n", c.Key[0], c.Subjects)
	}
	total := rel.Totals[0]
	fmt.Printf("%-12s %d\n", "total", total.Subjects)
	// Output:
	// retail       40
	// construction 15
	// healthcare   suppressed (threshold)
	// mining       suppressed (secondary)
	// fishing      0
	// total        76
}

// fixedNoise is a NoiseSource for examples and tests: every draw is the same
// number, so that a release can be checked exactly. Never use one outside
// tests.
type fixedNoise struct{ x int64 }

func (n fixedNoise) Laplace(*big.Rat) (int64, error)  { return n.x, nil }
func (n fixedNoise) Gaussian(*big.Rat) (int64, error) { return n.x, nil }
func (n fixedNoise) Intn(int64) (int64, error)        { return 0, nil }

// Users per sector with differential privacy: every sector of the public key
// set is published, fishing's zero included, each with noise (here a fixed
// +2 from an injected source; in production CryptoNoise draws it), and the
// budget is charged for the release.
func Example_private() {
	budget, err := aggregate.NewBudget(1, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	rel, err := aggregate.Build(context.Background(),
		[]aggregate.Dim{{Name: "sector", Keys: sectors}},
		aggregate.Rows(users(), sectorRow),
		&aggregate.Options{Private: &aggregate.Private{
			Epsilon: 0.5,
			Budget:  budget,
			Noise:   fixedNoise{2},
		}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range rel.Cells {
		fmt.Printf("%-12s %d\n", c.Key[0], c.Subjects)
	}
	n := rel.Noise[0]
	fmt.Printf("%v: epsilon %v, scale %v, 95%% of draws within ±%d\n", n.Mechanism, n.Epsilon, n.Scale, n.CI95)
	eps, _ := budget.Remaining()
	fmt.Println("budget left: epsilon", eps)
	// Output:
	// retail       42
	// construction 17
	// healthcare   11
	// mining       14
	// fishing      2
	// discrete Laplace: epsilon 0.5, scale 2, 95% of draws within ±6
	// budget left: epsilon 0.5
}

// A budget kept in a store outlives the process: opened again by its name,
// here as a restarted host would, it starts from what it spent. A host keeps
// it in its database with sqlstore's Budgets.
func ExampleOpenBudget() {
	ctx := context.Background()
	store := aggregate.NewMemoryBudgets() // sqlstore.Store.Budgets() in production
	budget, err := aggregate.OpenBudget(ctx, store, "clients by sector", 1, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := budget.ChargeContext(ctx, 0.75, 0); err != nil {
		fmt.Println(err)
		return
	}
	restarted, err := aggregate.OpenBudget(ctx, store, "clients by sector", 1, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	eps, _ := restarted.Remaining()
	fmt.Println("left after a restart: epsilon", eps)
	err = restarted.ChargeContext(ctx, 0.5, 0)
	fmt.Println(errors.Is(err, privacy.ErrConflict))
	// Output:
	// left after a restart: epsilon 0.25
	// true
}
