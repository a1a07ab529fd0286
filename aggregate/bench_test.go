package aggregate_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// The benchmarks group 1M records of 100,000 subjects by 20 sectors, each
// subject in one sector, records in random order, values in [0, 10000):
//
//	go test -run '^$' -bench 'Grouped' -benchmem -count 5 ./aggregate/
//
// BenchmarkGroupedRatio reports the ratios to the map loop measured in the
// same iterations, which is what the targets (≤ 1.5× suppressed, ≤ 2×
// private) are about.

const (
	benchRecords  = 1_000_000
	benchSubjects = 100_000
	benchSectors  = 20
)

type benchRecord struct {
	subject privacy.SubjectID
	sector  string
	value   int64
}

var benchData = sync.OnceValue(func() []benchRecord {
	rng := rand.New(rand.NewPCG(1, 2)) // test data only
	sectors := make([]string, benchSectors)
	for i := range sectors {
		sectors[i] = fmt.Sprintf("sector-%02d", i)
	}
	subjects := make([]privacy.SubjectID, benchSubjects)
	sectorOf := make([]string, benchSubjects)
	for i := range subjects {
		subjects[i] = privacy.SubjectID(fmt.Sprintf("client-%07d", i))
		sectorOf[i] = sectors[rng.IntN(benchSectors)]
	}
	recs := make([]benchRecord, benchRecords)
	for i := range recs {
		s := rng.IntN(benchSubjects)
		recs[i] = benchRecord{subjects[s], sectorOf[s], rng.Int64N(10000)}
	}
	return recs
})

func benchRows(recs []benchRecord) iter.Seq2[aggregate.Row, error] {
	return func(yield func(aggregate.Row, error) bool) {
		for i := range recs {
			r := &recs[i]
			if !yield(aggregate.Row{Subject: r.subject, Key: aggregate.Key{r.sector}, Value: r.value}, nil) {
				return
			}
		}
	}
}

// mapLoop is the baseline: the plain map loop a host would write, with no
// overflow checks, no record counts, no dominance rule and no totals.
func mapLoop(recs []benchRecord) int {
	type cell struct {
		subjects map[privacy.SubjectID]struct{}
		sum      int64
	}
	m := make(map[string]*cell)
	for i := range recs {
		r := &recs[i]
		c := m[r.sector]
		if c == nil {
			c = &cell{subjects: make(map[privacy.SubjectID]struct{})}
			m[r.sector] = c
		}
		c.subjects[r.subject] = struct{}{}
		c.sum += r.value
	}
	published := 0
	for _, c := range m {
		if len(c.subjects) >= 10 {
			published++
		}
	}
	return published
}

var benchSectorKeys = func() []string {
	s := make([]string, benchSectors)
	for i := range s {
		s[i] = fmt.Sprintf("sector-%02d", i)
	}
	return s
}()

// suppressed groups with the exact release's rules: subjects, records and
// sums, threshold, dominance, secondary suppression and the grand total.
func suppressed(recs []benchRecord) (*aggregate.Release, error) {
	return aggregate.Build(context.Background(), []aggregate.Dim{{Name: "sector"}}, benchRows(recs),
		&aggregate.Options{Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum})
}

// private groups with discrete Laplace noise from crypto/rand on all three
// measures, contribution bounds and a budget.
func private(recs []benchRecord, b *aggregate.Budget) (*aggregate.Release, error) {
	return aggregate.Build(context.Background(), []aggregate.Dim{{Name: "sector", Keys: benchSectorKeys}}, benchRows(recs),
		&aggregate.Options{
			Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum,
			Private:  &aggregate.Private{Epsilon: 1, Budget: b, Lower: 0, Upper: 10000, MaxRecords: 20},
		})
}

func BenchmarkGrouped(b *testing.B) {
	recs := benchData()
	budget, err := aggregate.NewBudget(1e9, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		run  func() int
	}{
		{"map-loop", func() int { return mapLoop(recs) }},
		{"suppressed", func() int {
			rel, err := suppressed(recs)
			if err != nil {
				b.Fatal(err)
			}
			return len(rel.Cells)
		}},
		{"private", func() int {
			rel, err := private(recs, budget)
			if err != nil {
				b.Fatal(err)
			}
			return len(rel.Cells)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if n := bc.run(); n != benchSectors {
					b.Fatalf("%d cells", n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRecords, "ns/record")
		})
	}
}

// BenchmarkGroupedRatio runs the map loop, the suppressed release and the
// private release one after another in every iteration, each after a
// garbage collection, and reports the median over the iterations of each
// release's time divided by the map loop's: other load on a shared machine
// then affects both sides of a ratio alike.
func BenchmarkGroupedRatio(b *testing.B) {
	recs := benchData()
	budget, err := aggregate.NewBudget(1e9, 0)
	if err != nil {
		b.Fatal(err)
	}
	timed := func(f func()) float64 {
		runtime.GC()
		t0 := time.Now()
		f()
		return float64(time.Since(t0))
	}
	var supp, priv []float64
	for b.Loop() {
		base := timed(func() { mapLoop(recs) })
		supp = append(supp, timed(func() {
			if _, err := suppressed(recs); err != nil {
				b.Fatal(err)
			}
		})/base)
		priv = append(priv, timed(func() {
			if _, err := private(recs, budget); err != nil {
				b.Fatal(err)
			}
		})/base)
	}
	median := func(x []float64) float64 {
		slices.Sort(x)
		return x[len(x)/2]
	}
	b.ReportMetric(median(supp), "suppressed/map")
	b.ReportMetric(median(priv), "private/map")
}
