package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// group describes rows for tests: n subjects named prefix-0 … prefix-(n-1),
// each with perSubject rows of value in the cell key.
type group struct {
	key        aggregate.Key
	prefix     string
	n          int
	perSubject int
	value      int64
}

func rowsOf(groups ...group) []aggregate.Row {
	var rows []aggregate.Row
	for _, g := range groups {
		per := max(g.perSubject, 1)
		for i := range g.n {
			for range per {
				rows = append(rows, aggregate.Row{
					Subject: privacy.SubjectID(fmt.Sprintf("%s-%d", g.prefix, i)),
					Key:     g.key,
					Value:   g.value,
				})
			}
		}
	}
	return rows
}

func seqOf(rows []aggregate.Row) iter.Seq2[aggregate.Row, error] {
	return func(yield func(aggregate.Row, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

var sectorDim = []aggregate.Dim{{Name: "sector"}}

func build(t *testing.T, dims []aggregate.Dim, opts *aggregate.Options, rows []aggregate.Row) *aggregate.Release {
	t.Helper()
	rel, err := aggregate.Build(context.Background(), dims, seqOf(rows), opts)
	require.NoError(t, err)
	return rel
}

func cell(t *testing.T, rel *aggregate.Release, k aggregate.Key) aggregate.Cell {
	t.Helper()
	c, ok := rel.Cell(k)
	require.True(t, ok, "no cell %q", k)
	return c
}

func TestThreshold(t *testing.T) {
	for _, tc := range []struct {
		name    string
		k       int
		rows    []aggregate.Row
		want    aggregate.Status
		subject int64
	}{
		{"a 9-subject cell is suppressed at k=10", 10,
			rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 9}), aggregate.SuppressedThreshold, 0},
		{"a 10-subject cell is published at k=10", 10,
			rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 10}), aggregate.Published, 10},
		{"a subject with 1000 records counts once", 10,
			rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 9, perSubject: 1000}), aggregate.SuppressedThreshold, 0},
		{"1000 records of 10 subjects make 10 subjects", 10,
			rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 10, perSubject: 100}), aggregate.Published, 10},
		{"a 2-subject cell is published at k=2", 2,
			rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 2}), aggregate.Published, 2},
		{"a 1-subject cell is suppressed at k=2", 2,
			rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 1}), aggregate.SuppressedThreshold, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rel := build(t, sectorDim, &aggregate.Options{MinSubjects: tc.k}, tc.rows)
			c := cell(t, rel, aggregate.Key{"a"})
			assert.Equal(t, tc.want, c.Status)
			assert.Equal(t, tc.subject, c.Subjects)
		})
	}
}

func TestDistinctSubjectsAndRecords(t *testing.T) {
	rows := rowsOf(
		group{key: aggregate.Key{"a"}, prefix: "heavy", n: 1, perSubject: 1000, value: 1},
		group{key: aggregate.Key{"a"}, prefix: "light", n: 11, perSubject: 1, value: 1},
	)
	// The heavy subject's records would dominate; check the counts with
	// dominance out of the way.
	rel := build(t, sectorDim, &aggregate.Options{
		Measures:  aggregate.Subjects | aggregate.Records | aggregate.Sum,
		Dominance: []aggregate.Dominance{{N: 1, K: 90}},
	}, rows)
	c := cell(t, rel, aggregate.Key{"a"})
	require.Equal(t, aggregate.SuppressedDominance, c.Status, "1000 of 1011 records belong to one subject")

	rel = build(t, sectorDim, nil, rows)
	c = cell(t, rel, aggregate.Key{"a"})
	assert.Equal(t, aggregate.Cell{Key: aggregate.Key{"a"}, Subjects: 12}, c, "12 distinct subjects, records not published by default")
}

func TestExactFigures(t *testing.T) {
	sectors := []string{"retail", "mining", "fishing"}
	rows := rowsOf(
		group{key: aggregate.Key{"retail"}, prefix: "r", n: 20, perSubject: 3, value: 5},
		group{key: aggregate.Key{"mining"}, prefix: "m", n: 30, perSubject: 2, value: -7},
	)
	clock := privacy.NewSettableClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	rel := build(t, []aggregate.Dim{{Name: "sector", Keys: sectors}}, &aggregate.Options{
		Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum,
		Clock:    clock,
	}, rows)
	want := &aggregate.Release{
		Dims:     []string{"sector"},
		Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum,
		Cells: []aggregate.Cell{
			{Key: aggregate.Key{"retail"}, Subjects: 20, Records: 60, Sum: 300},
			{Key: aggregate.Key{"mining"}, Subjects: 30, Records: 60, Sum: -420},
			{Key: aggregate.Key{"fishing"}},
		},
		Totals:      []aggregate.Cell{{Key: aggregate.Key{}, Total: true, Subjects: 50, Records: 120, Sum: -120}},
		MinSubjects: 10,
		Dominance:   aggregate.DefaultDominance(),
		Created:     clock.Now(),
	}
	if diff := cmp.Diff(want, rel); diff != "" {
		t.Errorf("release (-want +got):\n%s", diff)
	}
}

func TestKeysOrder(t *testing.T) {
	rows := rowsOf(
		group{key: aggregate.Key{"b"}, prefix: "x", n: 10},
		group{key: aggregate.Key{"c"}, prefix: "y", n: 10},
		group{key: aggregate.Key{"a"}, prefix: "z", n: 10},
	)
	t.Run("data-dependent keys are published in ascending order", func(t *testing.T) {
		rel := build(t, sectorDim, nil, rows)
		var keys []string
		for _, c := range rel.Cells {
			keys = append(keys, c.Key[0])
		}
		assert.Equal(t, []string{"a", "b", "c"}, keys)
	})
	t.Run("a public key set is published in its own order with empty cells", func(t *testing.T) {
		rel := build(t, []aggregate.Dim{{Name: "sector", Keys: []string{"c", "d", "a", "b"}}}, nil, rows)
		var keys []string
		for _, c := range rel.Cells {
			keys = append(keys, c.Key[0])
		}
		assert.Equal(t, []string{"c", "d", "a", "b"}, keys)
		assert.Equal(t, aggregate.Cell{Key: aggregate.Key{"d"}}, cell(t, rel, aggregate.Key{"d"}))
	})
}

func TestWithoutDimensionsOneCell(t *testing.T) {
	rel := build(t, nil, nil, rowsOf(group{prefix: "u", n: 25, perSubject: 2}))
	assert.Equal(t, []aggregate.Cell{{Subjects: 25}}, rel.Cells, "total users is a one-cell table")
	assert.Empty(t, rel.Totals)

	rel = build(t, nil, nil, rowsOf(group{prefix: "u", n: 3}))
	assert.Equal(t, []aggregate.Cell{{Status: aggregate.SuppressedThreshold}}, rel.Cells)
}

func TestOverflow(t *testing.T) {
	big := int64(math.MaxInt64 - 10)
	for _, tc := range []struct {
		name string
		dims []aggregate.Dim
		rows []aggregate.Row
		// bad is the index of the row whose Add fails, or -1 if Publish fails.
		bad int
	}{
		{"a cell sum past MaxInt64 is reported", sectorDim, []aggregate.Row{
			{Subject: "a", Key: aggregate.Key{"x"}, Value: big},
			{Subject: "b", Key: aggregate.Key{"x"}, Value: 11},
		}, 1},
		{"a cell sum below MinInt64 is reported", sectorDim, []aggregate.Row{
			{Subject: "a", Key: aggregate.Key{"x"}, Value: -big},
			{Subject: "b", Key: aggregate.Key{"x"}, Value: -big},
		}, 1},
		{"one subject's sum past MaxInt64 is reported", sectorDim, []aggregate.Row{
			{Subject: "a", Key: aggregate.Key{"x"}, Value: big},
			{Subject: "a", Key: aggregate.Key{"x"}, Value: 100},
		}, 1},
		{"a grand total past MaxInt64 is reported at Publish", sectorDim, []aggregate.Row{
			{Subject: "a", Key: aggregate.Key{"x"}, Value: big},
			{Subject: "b", Key: aggregate.Key{"y"}, Value: big},
		}, -1},
		{"a row total past MaxInt64 is reported at Publish", []aggregate.Dim{{Name: "sector"}, {Name: "month"}}, []aggregate.Row{
			{Subject: "a", Key: aggregate.Key{"x", "jan"}, Value: big},
			{Subject: "b", Key: aggregate.Key{"x", "feb"}, Value: big},
			{Subject: "c", Key: aggregate.Key{"y", "feb"}, Value: -big},
		}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := aggregate.New(tc.dims, &aggregate.Options{Measures: aggregate.Sum})
			require.NoError(t, err)
			for i, r := range tc.rows {
				err := tab.Add(r)
				if i == tc.bad {
					require.ErrorIs(t, err, privacy.ErrInvalid)
					assert.Contains(t, err.Error(), "overflow")
					return
				}
				require.NoError(t, err)
			}
			_, err = tab.Publish()
			require.ErrorIs(t, err, privacy.ErrInvalid)
			assert.Contains(t, err.Error(), "overflow")
		})
	}

	t.Run("the row that overflows is not counted", func(t *testing.T) {
		tab, err := aggregate.New(sectorDim, &aggregate.Options{Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum, MinSubjects: 2, Dominance: []aggregate.Dominance{{N: 1, K: 99}}})
		require.NoError(t, err)
		require.NoError(t, tab.Add(aggregate.Row{Subject: "a", Key: aggregate.Key{"x"}, Value: big}))
		require.NoError(t, tab.Add(aggregate.Row{Subject: "b", Key: aggregate.Key{"x"}, Value: 1}))
		require.ErrorIs(t, tab.Add(aggregate.Row{Subject: "c", Key: aggregate.Key{"x"}, Value: 100}), privacy.ErrInvalid)
		require.ErrorIs(t, tab.Add(aggregate.Row{Subject: "b", Key: aggregate.Key{"x"}, Value: 100}), privacy.ErrInvalid)
		rel, err := tab.Publish()
		require.NoError(t, err)
		c := cell(t, rel, aggregate.Key{"x"})
		assert.Equal(t, aggregate.SuppressedDominance, c.Status, "a holds nearly all of the sum")
		assert.Equal(t, aggregate.Cell{Key: aggregate.Key{}, Total: true, Status: aggregate.SuppressedDominance}, rel.Totals[0])
	})

	t.Run("values are not summed when Sum is not published", func(t *testing.T) {
		rel := build(t, sectorDim, &aggregate.Options{MinSubjects: 2}, []aggregate.Row{
			{Subject: "a", Key: aggregate.Key{"x"}, Value: big},
			{Subject: "b", Key: aggregate.Key{"x"}, Value: big},
		})
		assert.Equal(t, int64(2), cell(t, rel, aggregate.Key{"x"}).Subjects)
	})
}

func TestAddRejectsBadRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		dims []aggregate.Dim
		row  aggregate.Row
	}{
		{"a row needs a subject", sectorDim, aggregate.Row{Key: aggregate.Key{"x"}}},
		{"a key needs a value in every dimension", sectorDim, aggregate.Row{Subject: "a"}},
		{"a key has no value past the dimensions", sectorDim, aggregate.Row{Subject: "a", Key: aggregate.Key{"x", "y"}}},
		{"a table without dimensions takes no key", nil, aggregate.Row{Subject: "a", Key: aggregate.Key{"x"}}},
		{"a key must be in the public key set", []aggregate.Dim{{Name: "sector", Keys: []string{"x"}}}, aggregate.Row{Subject: "a", Key: aggregate.Key{"y"}}},
		{"a key must be in the public key set of the second dimension", []aggregate.Dim{{Name: "sector"}, {Name: "month", Keys: []string{"jan"}}}, aggregate.Row{Subject: "a", Key: aggregate.Key{"x", "feb"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := aggregate.New(tc.dims, nil)
			require.NoError(t, err)
			err = tab.Add(tc.row)
			require.ErrorIs(t, err, privacy.ErrInvalid)
			var perr *privacy.Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, "aggregate.Table.Add", perr.Op)
			for _, v := range tc.row.Key {
				if v != "" {
					assert.NotContains(t, err.Error(), `"`+v+`"`, "error names a key value")
				}
			}
		})
	}
}

func TestAddAll(t *testing.T) {
	boom := errors.New("boom")
	t.Run("an error of the stream is returned as it is", func(t *testing.T) {
		tab, err := aggregate.New(sectorDim, nil)
		require.NoError(t, err)
		rows := func(yield func(aggregate.Row, error) bool) {
			if yield(aggregate.Row{Subject: "a", Key: aggregate.Key{"x"}}, nil) {
				yield(aggregate.Row{}, boom)
			}
		}
		assert.Same(t, boom, tab.AddAll(context.Background(), rows))
	})
	t.Run("a cancelled context stops the rows", func(t *testing.T) {
		tab, err := aggregate.New(sectorDim, nil)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = tab.AddAll(ctx, seqOf(rowsOf(group{key: aggregate.Key{"x"}, prefix: "s", n: 100_000})))
		assert.Same(t, context.Canceled, err)
	})
	t.Run("a bad row stops the rows and the rows before it count", func(t *testing.T) {
		tab, err := aggregate.New(sectorDim, &aggregate.Options{MinSubjects: 2})
		require.NoError(t, err)
		rows := rowsOf(group{key: aggregate.Key{"x"}, prefix: "s", n: 40})
		rows = slices.Insert(rows, 35, aggregate.Row{Key: aggregate.Key{"x"}}) // no subject
		err = tab.AddAll(context.Background(), seqOf(rows))
		require.ErrorIs(t, err, privacy.ErrInvalid)
		rel, err := tab.Publish()
		require.NoError(t, err)
		assert.Equal(t, int64(35), cell(t, rel, aggregate.Key{"x"}).Subjects)
	})
	t.Run("Rows maps and filters the host's values", func(t *testing.T) {
		type invoice struct {
			client string
			sector string
			void   bool
		}
		var invoices []invoice
		for i := range 30 {
			invoices = append(invoices, invoice{fmt.Sprint("c", i%12), "retail", i%5 == 0})
		}
		seq := func(yield func(invoice, error) bool) {
			for _, v := range invoices {
				if !yield(v, nil) {
					return
				}
			}
		}
		rows := aggregate.Rows(seq, func(v invoice) (aggregate.Row, bool) {
			return aggregate.Row{Subject: privacy.SubjectID(v.client), Key: aggregate.Key{v.sector}}, !v.void
		})
		rel := build(t, sectorDim, &aggregate.Options{Measures: aggregate.Subjects | aggregate.Records, Dominance: []aggregate.Dominance{{N: 1, K: 99}}}, slices.Collect(func(yield func(aggregate.Row) bool) {
			for r, err := range rows {
				require.NoError(t, err)
				if !yield(r) {
					return
				}
			}
		}))
		assert.Equal(t, aggregate.Cell{Key: aggregate.Key{"retail"}, Subjects: 12, Records: 24}, cell(t, rel, aggregate.Key{"retail"}))
	})
}

// TestManyCellsPerSubject covers subjects with more cells than a scan of
// their list handles, where contributions are found through an index.
func TestManyCellsPerSubject(t *testing.T) {
	var rows []aggregate.Row
	for s := range 12 {
		for round := range 3 {
			for m := range 30 {
				rows = append(rows, aggregate.Row{
					Subject: privacy.SubjectID(fmt.Sprint("s", s)),
					Key:     aggregate.Key{fmt.Sprintf("m%02d", m)},
					Value:   int64(round + 1),
				})
			}
		}
	}
	rel := build(t, sectorDim, &aggregate.Options{Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum}, rows)
	require.Len(t, rel.Cells, 30)
	for _, c := range rel.Cells {
		assert.Equal(t, aggregate.Cell{Key: c.Key, Subjects: 12, Records: 36, Sum: 72}, c)
	}
	assert.Equal(t, aggregate.Cell{Total: true, Subjects: 12, Records: 1080, Sum: 2160}, rel.Totals[0])
}

// TestFiguresMatchAPlainMapLoop counts thousands of subjects over a
// two-dimensional table (enough to grow every internal table several times)
// and checks every cell and total against a straightforward computation with
// maps, for an exact release and for a private one with zero noise and
// bounds that do not bind.
func TestFiguresMatchAPlainMapLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4)) // test data only
	type agg struct {
		subjects map[privacy.SubjectID]bool
		records  int64
		sum      int64
	}
	want := map[aggregate.Key]*agg{}
	count := func(k aggregate.Key, r aggregate.Row) {
		a := want[k]
		if a == nil {
			a = &agg{subjects: map[privacy.SubjectID]bool{}}
			want[k] = a
		}
		a.subjects[r.Subject] = true
		a.records++
		a.sum += r.Value
	}
	var rows []aggregate.Row
	for range 40_000 {
		r := aggregate.Row{
			Subject: privacy.SubjectID(fmt.Sprint("s", rng.IntN(5000))),
			Key:     aggregate.Key{fmt.Sprint("r", rng.IntN(9)), fmt.Sprint("c", rng.IntN(13))},
			Value:   1 + rng.Int64N(10),
		}
		rows = append(rows, r)
		count(r.Key, r)
		count(aggregate.Key{r.Key[0], ""}, r)
		count(aggregate.Key{"", r.Key[1]}, r)
		count(aggregate.Key{}, r)
	}
	dims := []aggregate.Dim{{Name: "row"}, {Name: "col"}}
	all := aggregate.Subjects | aggregate.Records | aggregate.Sum
	check := func(t *testing.T, rel *aggregate.Release, totals int) {
		assert.Len(t, rel.Cells, 9*13)
		assert.Len(t, rel.Totals, totals)
		for _, cells := range [][]aggregate.Cell{rel.Cells, rel.Totals} {
			for _, c := range cells {
				a := want[c.Key]
				require.NotNil(t, a, "cell %q", c.Key)
				assert.Equal(t, aggregate.Cell{Key: c.Key, Total: c.Total, Subjects: int64(len(a.subjects)), Records: a.records, Sum: a.sum}, c)
			}
		}
	}
	t.Run("exact release", func(t *testing.T) {
		rel := build(t, dims, &aggregate.Options{Measures: all, MinSubjects: 2, Dominance: []aggregate.Dominance{{N: 1, K: 99}}}, rows)
		check(t, rel, 9+13+1)
	})
	t.Run("exact release counted row by row", func(t *testing.T) {
		tab, err := aggregate.New(dims, &aggregate.Options{Measures: all, MinSubjects: 2, Dominance: []aggregate.Dominance{{N: 1, K: 99}}})
		require.NoError(t, err)
		for _, r := range rows {
			require.NoError(t, tab.Add(r))
		}
		rel, err := tab.Publish()
		require.NoError(t, err)
		check(t, rel, 9+13+1)
	})
	t.Run("private release with zero noise and loose bounds", func(t *testing.T) {
		pub := []aggregate.Dim{{Name: "row", Keys: keysOf("r", 9)}, {Name: "col", Keys: keysOf("c", 13)}}
		rel := build(t, pub, &aggregate.Options{Measures: all, Private: &aggregate.Private{
			Epsilon: 1, Budget: newBudget(t, 1, 0), Noise: &recordingNoise{},
			MaxCells: 9 * 13, MaxRecords: 1000, Lower: 0, Upper: 1 << 20,
		}}, rows)
		check(t, rel, 0)
	})
}

func keysOf(prefix string, n int) []string {
	k := make([]string, n)
	for i := range k {
		k[i] = fmt.Sprint(prefix, i)
	}
	return k
}

func TestRowsStream(t *testing.T) {
	boom := errors.New("boom")
	seq := func(yield func(int, error) bool) {
		for i := range 5 {
			if !yield(i, nil) {
				return
			}
		}
		if yield(0, boom) {
			t.Error("Rows asked for more after the error")
		}
	}
	rows := aggregate.Rows(seq, func(i int) (aggregate.Row, bool) {
		return aggregate.Row{Subject: privacy.SubjectID(fmt.Sprint(i))}, i%2 == 0
	})
	var got []privacy.SubjectID
	var errs []error
	for r, err := range rows {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, r.Subject)
	}
	assert.Equal(t, []privacy.SubjectID{"0", "2", "4"}, got)
	assert.Equal(t, []error{boom}, errs, "the error is passed on once")

	n := 0
	for range rows {
		n++
		break
	}
	assert.Equal(t, 1, n, "breaking out stops the stream")
}

func TestBuildReportsErrors(t *testing.T) {
	_, err := aggregate.Build(context.Background(), sectorDim, seqOf(nil), &aggregate.Options{MinSubjects: 1})
	assert.ErrorIs(t, err, privacy.ErrInvalid)
	_, err = aggregate.Build(context.Background(), sectorDim, seqOf([]aggregate.Row{{Key: aggregate.Key{"x"}}}), nil)
	assert.ErrorIs(t, err, privacy.ErrInvalid)
}
