package aggregate_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// The benchmarks group 1M records of 100,000 subjects by 20 sectors, each
// subject in one sector, records in random order, values in [0, 10000).
// Compare:
//
//	go test -run '^$' -bench 'Grouped' -benchmem -count 5 ./aggregate/
//
// BenchmarkGroupedMapLoop is the baseline: the plain map loop a host would
// write, with no overflow checks, no dominance rule and no totals.

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

func BenchmarkGroupedMapLoop(b *testing.B) {
	recs := benchData()
	b.ReportAllocs()
	for b.Loop() {
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
		if published != benchSectors {
			b.Fatalf("published %d sectors", published)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRecords, "ns/record")
}

func BenchmarkGroupedSuppressed(b *testing.B) {
	recs := benchData()
	ctx := context.Background()
	opts := &aggregate.Options{Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum}
	b.ReportAllocs()
	for b.Loop() {
		rel, err := aggregate.Build(ctx, []aggregate.Dim{{Name: "sector"}}, benchRows(recs), opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(rel.Cells) != benchSectors {
			b.Fatalf("%d cells", len(rel.Cells))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRecords, "ns/record")
}

func BenchmarkGroupedPrivate(b *testing.B) {
	recs := benchData()
	ctx := context.Background()
	budget, err := aggregate.NewBudget(1e9, 0)
	if err != nil {
		b.Fatal(err)
	}
	opts := &aggregate.Options{
		Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum,
		Private: &aggregate.Private{
			Epsilon: 1, Budget: budget, Lower: 0, Upper: 10000, MaxRecords: 20,
		},
	}
	sectors := make([]string, benchSectors)
	for i := range sectors {
		sectors[i] = fmt.Sprintf("sector-%02d", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		rel, err := aggregate.Build(ctx, []aggregate.Dim{{Name: "sector", Keys: sectors}}, benchRows(recs), opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(rel.Cells) != benchSectors {
			b.Fatalf("%d cells", len(rel.Cells))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRecords, "ns/record")
}
