package aggregate

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
)

// determined reports, for each suppressed entry, whether the published
// relations pin its value down: whether its unit vector lies in the row
// space of the relations restricted to the suppressed entries. It is exact
// (rational Gaussian elimination) and ignores bounds such as non-negativity.
func determined(r *relations, status []Status) map[int32]bool {
	var unknowns []int32
	col := map[int32]int{}
	for e, s := range status {
		if s.Suppressed() {
			col[int32(e)] = len(unknowns)
			unknowns = append(unknowns, int32(e))
		}
	}
	var rows [][]*big.Rat
	for _, line := range r.lines {
		row := make([]*big.Rat, len(unknowns))
		for i := range row {
			row[i] = new(big.Rat)
		}
		any := false
		for _, e := range line {
			if c, ok := col[e]; ok {
				row[c].SetInt64(1)
				any = true
			}
		}
		if any {
			rows = append(rows, row)
		}
	}
	base := rank(rows, len(unknowns))
	out := map[int32]bool{}
	for i, e := range unknowns {
		unit := make([]*big.Rat, len(unknowns))
		for j := range unit {
			unit[j] = new(big.Rat)
		}
		unit[i].SetInt64(1)
		out[e] = rank(append(clone(rows), unit), len(unknowns)) == base
	}
	return out
}

func clone(rows [][]*big.Rat) [][]*big.Rat {
	out := make([][]*big.Rat, len(rows))
	for i, r := range rows {
		out[i] = make([]*big.Rat, len(r))
		for j, x := range r {
			out[i][j] = new(big.Rat).Set(x)
		}
	}
	return out
}

func rank(rows [][]*big.Rat, cols int) int {
	rows = clone(rows)
	rk := 0
	for c := 0; c < cols && rk < len(rows); c++ {
		p := -1
		for i := rk; i < len(rows); i++ {
			if rows[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		rows[rk], rows[p] = rows[p], rows[rk]
		for i := range rows {
			if i == rk || rows[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Quo(rows[i][c], rows[rk][c])
			for j := c; j < cols; j++ {
				rows[i][j].Sub(rows[i][j], new(big.Rat).Mul(f, rows[rk][j]))
			}
		}
		rk++
	}
	return rk
}

func singletons(r *relations, status []Status) []int {
	var bad []int
	for li, line := range r.lines {
		n := 0
		for _, e := range line {
			if status[e].Suppressed() {
				n++
			}
		}
		if n == 1 {
			bad = append(bad, li)
		}
	}
	return bad
}

func TestBridgeIsClosed(t *testing.T) {
	// Two 2×2 blocks of suppressed cells joined by one cell: every row and
	// column has two or more suppressed cells, yet the joining cell follows
	// from the totals (the example in secondary.go).
	const m, n = 4, 4
	r := relationsFor(2, m, n)
	status := make([]Status, (m+1)*(n+1))
	tallies := make([]tally, len(status))
	for e := range tallies {
		tallies[e].subjects = 20
	}
	at := func(i, j int) int32 { return int32(i*(n+1) + j) }
	for _, ij := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 2}, {2, 3}, {3, 2}, {3, 3}, {1, 2}} {
		status[at(ij[0], ij[1])] = SuppressedThreshold
	}
	require.Empty(t, singletons(r, status))
	require.True(t, determined(r, status)[at(1, 2)], "the joining cell is a bridge")

	r.protect(status, tallies)
	assert.Empty(t, singletons(r, status))
	for e, det := range determined(r, status) {
		assert.False(t, det, "entry %d can be solved from the totals", e)
	}
}

// TestSecondarySuppressionProtects builds many random tables of one and two
// dimensions and checks the release's suppression pattern: every cell with
// 1..k-1 subjects is withheld by the threshold rule, no row or column has
// exactly one withheld entry, and no withheld entry can be solved from the
// published totals.
func TestSecondarySuppressionProtects(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7)) // test data only
	subjects := func() int {
		switch x := rng.IntN(10); {
		case x < 3:
			return 0
		case x < 6:
			return 1 + rng.IntN(9)
		default:
			return 10 + rng.IntN(30)
		}
	}
	keys := func(prefix string, n int) []string {
		k := make([]string, n)
		for i := range k {
			k[i] = fmt.Sprint(prefix, i)
		}
		return k
	}
	for trial := range 300 {
		dims := 1 + trial%2
		m, n := 1, 1+rng.IntN(6)
		ds := []Dim{{Name: "col", Keys: keys("c", n)}}
		if dims == 2 {
			m = 1 + rng.IntN(5)
			ds = []Dim{{Name: "row", Keys: keys("r", m)}, {Name: "col", Keys: keys("c", n)}}
		}
		tab, err := New(ds, nil)
		require.NoError(t, err)
		counts := make([]int, m*n)
		id := 0
		for p := range counts {
			counts[p] = subjects()
			var k Key
			if dims == 1 {
				k = Key{ds[0].Keys[p]}
			} else {
				k = Key{ds[0].Keys[p/n], ds[1].Keys[p%n]}
			}
			for range counts[p] {
				id++
				require.NoError(t, tab.Add(Row{Subject: privacy.SubjectID(fmt.Sprint("s", id)), Key: k}))
			}
		}
		rel, err := tab.Publish()
		require.NoError(t, err)

		// Rebuild the status grid of the release.
		var status []Status
		if dims == 1 {
			for _, c := range rel.Cells {
				status = append(status, c.Status)
			}
			status = append(status, rel.Totals[0].Status)
		} else {
			status = make([]Status, (m+1)*(n+1))
			for p, c := range rel.Cells {
				status[p/n*(n+1)+p%n] = c.Status
			}
			for i := range m {
				status[i*(n+1)+n] = rel.Totals[i].Status
			}
			for j := range n {
				status[m*(n+1)+j] = rel.Totals[m+j].Status
			}
			status[len(status)-1] = rel.Totals[m+n].Status
		}
		for p, c := range rel.Cells {
			if counts[p] > 0 && counts[p] < 10 {
				assert.Equal(t, SuppressedThreshold, c.Status, "trial %d cell %d with %d subjects", trial, p, counts[p])
			}
			if c.Status.Suppressed() {
				assert.Zero(t, c.Subjects, "a withheld cell carries no figure")
			}
		}
		r := relationsFor(dims, m, n)
		assert.Empty(t, singletons(r, status), "trial %d: relation with one suppressed entry", trial)
		for e, det := range determined(r, status) {
			assert.False(t, det, "trial %d (%d×%d): entry %d follows from the totals", trial, m, n, e)
		}
	}
}
