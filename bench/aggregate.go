package main

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"

	"github.com/google/differential-privacy/go/v3/dpagg"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// The aggregation works group n sales of n/10 subjects by 20 sectors, each
// subject in one sector, values in [0, 10000), in random order: how many
// distinct subjects per sector, and the sum of their values.

const (
	sectors     = 20
	maxValue    = 10000
	dpEpsilon   = 1.0   // per release, split evenly over count and sum
	dpUpper     = 50000 // a subject's sum in a cell is clamped to [0, dpUpper]
	minSubjects = 10    // the suppression threshold k
)

type sale struct {
	subject privacy.SubjectID
	sector  string
	value   int64
}

// salesData holds what the generator draws from: the subjects and their
// sectors (n/10 of them), never the n sales.
type salesData struct {
	n        int
	subjects []privacy.SubjectID
	sectorOf []uint8
	keys     []string
}

func newSalesData(n int) *salesData {
	d := &salesData{n: n, keys: make([]string, sectors)}
	for i := range d.keys {
		d.keys[i] = fmt.Sprintf("sector-%02d", i)
	}
	rng := rand.New(rand.NewPCG(1, 2)) // bench data, the same every run
	d.subjects = make([]privacy.SubjectID, max(1, n/10))
	d.sectorOf = make([]uint8, len(d.subjects))
	for i := range d.subjects {
		d.subjects[i] = privacy.SubjectID("client-" + pad7(i))
		d.sectorOf[i] = uint8(rng.IntN(sectors))
	}
	return d
}

// sales yields the n sales, the same ones at every call.
func (d *salesData) sales() iter.Seq2[sale, error] {
	return func(yield func(sale, error) bool) {
		rng := rand.New(rand.NewPCG(3, 4))
		for range d.n {
			s := rng.IntN(len(d.subjects))
			if !yield(sale{d.subjects[s], d.keys[d.sectorOf[s]], rng.Int64N(maxValue)}, nil) {
				return
			}
		}
	}
}

func (d *salesData) rows() iter.Seq2[aggregate.Row, error] {
	return aggregate.Rows(d.sales(), func(s sale) (aggregate.Row, bool) {
		return aggregate.Row{Subject: s.subject, Key: aggregate.Key{s.sector}, Value: s.value}, true
	})
}

// mapLoop is the baseline: the plain map loop a host would write — distinct
// subjects, rows and the sum per sector, then cells of fewer than k subjects
// left out — with no overflow checks, no dominance rule, no secondary
// suppression and no totals.
func mapLoop(d *salesData) (published int, err error) {
	type cell struct {
		subjects map[privacy.SubjectID]struct{}
		rows     int64
		sum      int64
	}
	m := make(map[string]*cell)
	for s, err := range d.sales() {
		if err != nil {
			return 0, err
		}
		c := m[s.sector]
		if c == nil {
			c = &cell{subjects: make(map[privacy.SubjectID]struct{})}
			m[s.sector] = c
		}
		c.subjects[s.subject] = struct{}{}
		c.rows++
		c.sum += s.value
	}
	for _, c := range m {
		if len(c.subjects) >= minSubjects {
			published++
		}
	}
	return published, nil
}

func aggregateContender(name string, baseline bool, d *salesData, run func() (int, error)) contender {
	return contender{name: name, baseline: baseline, prepare: func(ctx context.Context) (func(context.Context) (outcome, error), error) {
		return func(ctx context.Context) (outcome, error) {
			cells, err := run()
			if err != nil {
				return outcome{}, err
			}
			if cells == 0 {
				return outcome{}, fmt.Errorf("no cell published")
			}
			return outcome{records: int64(d.n), done: int64(d.n)}, nil
		}, nil
	}}
}

// generatorContender only ranges over the sales: the part of every
// contender's time that is making the data.
func generatorContender(d *salesData) contender {
	return aggregateContender("(generator alone)", false, d, func() (int, error) {
		var sum int64
		for s, err := range d.sales() {
			if err != nil {
				return 0, err
			}
			sum += s.value
		}
		return int(min(sum, 1)), nil
	})
}

func mapLoopContender(d *salesData) contender {
	return aggregateContender("map loop", true, d, func() (int, error) { return mapLoop(d) })
}

// setupAggregate measures an exact release with suppression: distinct
// subjects, rows and sums per sector, threshold k = 10, the dominance rules,
// secondary suppression and the grand total, against the map loop.
func setupAggregate(ctx context.Context, cfg *config) (*workRun, error) {
	d := newSalesData(cfg.n)
	dims := []aggregate.Dim{{Name: "sector", Keys: d.keys}}
	steward := aggregateContender("steward Build", false, d, func() (int, error) {
		rel, err := aggregate.Build(ctx, dims, d.rows(), &aggregate.Options{
			Measures:    aggregate.Subjects | aggregate.Records | aggregate.Sum,
			MinSubjects: minSubjects,
		})
		if err != nil {
			return 0, err
		}
		return len(rel.Cells) - rel.Suppressed(), nil
	})
	return &workRun{
		contenders: []contender{mapLoopContender(d), steward, generatorContender(d)},
		targets:    []target{timeAtMost("steward Build", "map loop", 1.5, "Build with suppression ≤ 1.5× the time of the map loop")},
	}, nil
}

// setupAggregateDP measures a differentially private release: the number
// of distinct subjects and the bounded sum per sector with discrete Laplace
// noise, ε = 1 split evenly over the two, each subject in at most one cell
// with its sum clamped to [0, 50000], against the map loop; and the same
// release made with Google's DP library, which leaves bounding a subject's
// contribution to its caller: one pass sums each subject's sales, then each
// subject adds 1 to its sector's dpagg.Count and its sum to the sector's
// dpagg.BoundedSumInt64 (which clamps it), with the same ε and bounds.
func setupAggregateDP(ctx context.Context, cfg *config) (*workRun, error) {
	d := newSalesData(cfg.n)
	dims := []aggregate.Dim{{Name: "sector", Keys: d.keys}}
	budget, err := aggregate.NewBudget(1e9, 0)
	if err != nil {
		return nil, err
	}
	steward := aggregateContender("steward Build, DP", false, d, func() (int, error) {
		rel, err := aggregate.Build(ctx, dims, d.rows(), &aggregate.Options{
			Measures: aggregate.Subjects | aggregate.Sum,
			Private:  &aggregate.Private{Mechanism: aggregate.Laplace, Epsilon: dpEpsilon, Budget: budget, MaxCells: 1, Lower: 0, Upper: dpUpper},
		})
		if err != nil {
			return 0, err
		}
		return len(rel.Cells), nil
	})
	google := aggregateContender("google dpagg", false, d, func() (int, error) { return googleDP(d) })
	return &workRun{
		contenders: []contender{mapLoopContender(d), steward, google, generatorContender(d)},
		targets: []target{
			timeAtMost("steward Build, DP", "map loop", 2, "Build with DP noise ≤ 2× the time of the map loop"),
			info(timeAtMost("google dpagg", "map loop", 0, "Google DP Go v3, time against the map loop (for comparison; DESIGN.md measured 5.4×)")),
		},
	}, nil
}

func googleDP(d *salesData) (int, error) {
	sectorIndex := make(map[string]int, len(d.keys))
	for i, k := range d.keys {
		sectorIndex[k] = i
	}
	type contribution struct {
		sector int
		sum    int64
	}
	bySubject := make(map[privacy.SubjectID]*contribution)
	for s, err := range d.sales() {
		if err != nil {
			return 0, err
		}
		c := bySubject[s.subject]
		if c == nil {
			// A subject counts in one sector: its first (MaxPartitionsContributed 1).
			c = &contribution{sector: sectorIndex[s.sector]}
			bySubject[s.subject] = c
		}
		if sectorIndex[s.sector] == c.sector {
			c.sum += s.value
		}
	}
	counts := make([]*dpagg.Count, len(d.keys))
	sums := make([]*dpagg.BoundedSumInt64, len(d.keys))
	for i := range d.keys {
		var err error
		counts[i], err = dpagg.NewCount(&dpagg.CountOptions{Epsilon: dpEpsilon / 2, MaxPartitionsContributed: 1})
		if err != nil {
			return 0, err
		}
		sums[i], err = dpagg.NewBoundedSumInt64(&dpagg.BoundedSumInt64Options{Epsilon: dpEpsilon / 2, MaxPartitionsContributed: 1, Lower: 0, Upper: dpUpper})
		if err != nil {
			return 0, err
		}
	}
	for _, c := range bySubject {
		if err := counts[c.sector].Increment(); err != nil {
			return 0, err
		}
		if err := sums[c.sector].Add(c.sum); err != nil {
			return 0, err
		}
	}
	published := 0
	for i := range d.keys {
		if _, err := counts[i].Result(); err != nil {
			return 0, err
		}
		if _, err := sums[i].Result(); err != nil {
			return 0, err
		}
		published++
	}
	return published, nil
}
