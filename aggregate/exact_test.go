package aggregate_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

func TestDominance(t *testing.T) {
	key := aggregate.Key{"a"}
	// spread: 20 subjects of 100 each.
	spread := group{key: key, prefix: "s", n: 20, value: 100}
	for _, tc := range []struct {
		name     string
		measures aggregate.Measure
		rules    []aggregate.Dominance
		rows     []aggregate.Row
		want     aggregate.Status
	}{
		{"a cell of many equal contributors is published", aggregate.Sum, nil,
			rowsOf(spread), aggregate.Published},
		{"one subject holding more than half of the sum is withheld by (1,50)", aggregate.Sum, nil,
			rowsOf(spread, group{key: key, prefix: "big", n: 1, value: 2001}), aggregate.SuppressedDominance},
		{"one subject holding exactly half of the sum passes (1,50)", aggregate.Sum, []aggregate.Dominance{{N: 1, K: 50}},
			rowsOf(spread, group{key: key, prefix: "big", n: 1, value: 2000}), aggregate.Published},
		{"two subjects holding more than 75% are withheld by (2,75)", aggregate.Sum, nil,
			rowsOf(spread, group{key: key, prefix: "big", n: 2, value: 3100}), aggregate.SuppressedDominance},
		{"a subject's rows in a cell count together", aggregate.Sum, nil,
			rowsOf(spread, group{key: key, prefix: "big", n: 1, perSubject: 30, value: 100}), aggregate.SuppressedDominance},
		{"negative contributions count by magnitude", aggregate.Sum, nil,
			rowsOf(spread, group{key: key, prefix: "big", n: 1, value: -2500}), aggregate.SuppressedDominance},
		{"a dominant subject's record count is withheld", aggregate.Records, nil,
			rowsOf(spread, group{key: key, prefix: "big", n: 1, perSubject: 50}), aggregate.SuppressedDominance},
		{"dominance does not apply when only subjects are published", aggregate.Subjects, nil,
			rowsOf(spread, group{key: key, prefix: "big", n: 1, value: 1_000_000}), aggregate.Published},
		{"a custom (3,90) rule withholds three dominant subjects", aggregate.Sum, []aggregate.Dominance{{N: 3, K: 90}},
			rowsOf(spread, group{key: key, prefix: "big", n: 3, value: 10_000}), aggregate.SuppressedDominance},
		{"a cell whose magnitude is zero is not dominated", aggregate.Sum, nil,
			rowsOf(group{key: key, prefix: "s", n: 20, value: 0}), aggregate.Published},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rel := build(t, sectorDim, &aggregate.Options{Measures: tc.measures, Dominance: tc.rules}, tc.rows)
			c := cell(t, rel, key)
			assert.Equal(t, tc.want, c.Status)
			if tc.want.Suppressed() {
				assert.Equal(t, aggregate.Cell{Key: key, Status: tc.want}, c, "a withheld cell carries no figure")
			}
		})
	}
}

func TestSecondarySuppression1D(t *testing.T) {
	sectors := []string{"a", "b", "c", "d", "e"}
	dims := []aggregate.Dim{{Name: "sector", Keys: sectors}}
	status := func(rel *aggregate.Release) map[string]aggregate.Status {
		out := map[string]aggregate.Status{}
		for _, c := range rel.Cells {
			out[c.Key[0]] = c.Status
		}
		out["total"] = rel.Totals[0].Status
		return out
	}
	P, T, S := aggregate.Published, aggregate.SuppressedThreshold, aggregate.SuppressedSecondary
	for _, tc := range []struct {
		name string
		rows []aggregate.Row
		want map[string]aggregate.Status
	}{
		{"one withheld cell takes the next smallest with it",
			rowsOf(
				group{key: aggregate.Key{"a"}, prefix: "a", n: 5},
				group{key: aggregate.Key{"b"}, prefix: "b", n: 30},
				group{key: aggregate.Key{"c"}, prefix: "c", n: 12},
				group{key: aggregate.Key{"d"}, prefix: "d", n: 15},
			),
			map[string]aggregate.Status{"a": T, "b": P, "c": S, "d": P, "e": P, "total": P}},
		{"two withheld cells protect each other",
			rowsOf(
				group{key: aggregate.Key{"a"}, prefix: "a", n: 5},
				group{key: aggregate.Key{"b"}, prefix: "b", n: 30},
				group{key: aggregate.Key{"c"}, prefix: "c", n: 12},
				group{key: aggregate.Key{"d"}, prefix: "d", n: 3},
			),
			map[string]aggregate.Status{"a": T, "b": P, "c": P, "d": T, "e": P, "total": P}},
		{"nothing withheld needs no secondary suppression",
			rowsOf(
				group{key: aggregate.Key{"a"}, prefix: "a", n: 10},
				group{key: aggregate.Key{"b"}, prefix: "b", n: 30},
			),
			map[string]aggregate.Status{"a": P, "b": P, "c": P, "d": P, "e": P, "total": P}},
		{"a total below k is withheld with its cells",
			rowsOf(
				group{key: aggregate.Key{"a"}, prefix: "a", n: 5},
				group{key: aggregate.Key{"b"}, prefix: "b", n: 3},
			),
			map[string]aggregate.Status{"a": T, "b": T, "c": P, "d": P, "e": P, "total": T}},
		{"a lone withheld cell beside empty cells takes the total with it",
			rowsOf(
				group{key: aggregate.Key{"a"}, prefix: "a", n: 5},
				group{key: aggregate.Key{"b"}, prefix: "a", n: 5}, // the same five subjects: the total has 5 too
			),
			map[string]aggregate.Status{"a": T, "b": T, "c": P, "d": P, "e": P, "total": T}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rel := build(t, dims, nil, tc.rows)
			if diff := cmp.Diff(tc.want, status(rel)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecondarySuppression2D(t *testing.T) {
	// sector × quarter, one small cell (retail, q2). Its row and its column
	// each need a second withheld entry, and those entries' other relations
	// need one more: the four corners of a rectangle.
	dims := []aggregate.Dim{{Name: "sector", Keys: []string{"retail", "mining", "farming"}}, {Name: "quarter", Keys: []string{"q1", "q2", "q3"}}}
	sizes := map[aggregate.Key]int{
		{"retail", "q1"}: 40, {"retail", "q2"}: 4, {"retail", "q3"}: 25,
		{"mining", "q1"}: 30, {"mining", "q2"}: 20, {"mining", "q3"}: 50,
		{"farming", "q1"}: 35, {"farming", "q2"}: 45, {"farming", "q3"}: 60,
	}
	var rows []aggregate.Row
	for k, n := range sizes {
		rows = append(rows, rowsOf(group{key: k, prefix: k[0] + k[1], n: n})...)
	}
	rel := build(t, dims, nil, rows)
	got := map[aggregate.Key]aggregate.Status{}
	for _, c := range rel.Cells {
		if c.Status.Suppressed() {
			got[c.Key] = c.Status
		}
	}
	for _, c := range rel.Totals {
		assert.Equal(t, aggregate.Published, c.Status, "total %q", c.Key)
	}
	want := map[aggregate.Key]aggregate.Status{
		{"retail", "q2"}: aggregate.SuppressedThreshold,
		{"retail", "q3"}: aggregate.SuppressedSecondary, // smallest other in the row
		{"mining", "q2"}: aggregate.SuppressedSecondary, // smallest other in the column
		{"mining", "q3"}: aggregate.SuppressedSecondary, // closes the rectangle
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("withheld cells (-want +got):\n%s", diff)
	}
	retail, _ := rel.Cell(aggregate.Key{"retail", ""})
	assert.Equal(t, aggregate.Cell{Key: aggregate.Key{"retail", ""}, Total: true, Subjects: 69}, retail)
	assert.Equal(t, 4, rel.Suppressed())
}

func TestSubjectInSeveralCellsCountsOncePerTotal(t *testing.T) {
	dims := []aggregate.Dim{{Name: "sector"}, {Name: "month"}}
	var rows []aggregate.Row
	for i := range 12 {
		s := privacy.SubjectID(rune('a' + i))
		rows = append(rows,
			aggregate.Row{Subject: s, Key: aggregate.Key{"retail", "jan"}},
			aggregate.Row{Subject: s, Key: aggregate.Key{"retail", "feb"}},
			aggregate.Row{Subject: s, Key: aggregate.Key{"mining", "feb"}},
		)
	}
	rel := build(t, dims, &aggregate.Options{Measures: aggregate.Subjects | aggregate.Records, Dominance: []aggregate.Dominance{{N: 1, K: 99}}}, rows)
	for _, tc := range []struct {
		key      aggregate.Key
		subjects int64
		records  int64
	}{
		{aggregate.Key{"retail", ""}, 12, 24},
		{aggregate.Key{"mining", ""}, 12, 12},
		{aggregate.Key{"", "feb"}, 12, 24},
		{aggregate.Key{"", "jan"}, 12, 12},
		{aggregate.Key{}, 12, 36},
	} {
		c := cell(t, rel, tc.key)
		assert.Equal(t, aggregate.Cell{Key: tc.key, Total: true, Subjects: tc.subjects, Records: tc.records}, c)
	}
	// (mining, jan) is empty and published as zero.
	assert.Equal(t, aggregate.Cell{Key: aggregate.Key{"mining", "jan"}}, cell(t, rel, aggregate.Key{"mining", "jan"}))
}

func TestTooLargeGridIsAnError(t *testing.T) {
	tab, err := aggregate.New([]aggregate.Dim{{Name: "a"}, {Name: "b"}}, nil)
	require.NoError(t, err)
	for i := range 1100 {
		require.NoError(t, tab.Add(aggregate.Row{Subject: "s", Key: aggregate.Key{fmt.Sprint("a", i), fmt.Sprint("b", i)}}))
	}
	_, err = tab.Publish()
	assert.ErrorIs(t, err, privacy.ErrInvalid)
}
