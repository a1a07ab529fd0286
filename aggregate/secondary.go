package aggregate

// Secondary suppression.
//
// A published total is a linear relation: the total equals the sum of the
// cells of its row or column. If exactly one member of a relation is
// suppressed, subtracting the published members from the total recovers it.
// protect therefore suppresses more entries until
//
//  1. no relation has exactly one suppressed member, and
//  2. (two dimensions) every suppressed entry lies on a cycle of suppressed
//     entries.
//
// Both rules together mean that every suppressed entry can be moved up and
// down (alternately along its cycle, or against the other suppressed members
// of its relation) without changing a published figure, so no combination of
// published figures pins it down exactly. Rule 2 matters because rule 1 alone
// can leave a "bridge": with suppressed cells at rows×columns (1,1) (1,2)
// (2,1) (2,2), (3,3) (3,4) (4,3) (4,4) and (2,3), every row and column has two
// or more, but (2,3) is the only link between the two groups and follows from
// the totals of rows 1–2 against columns 1–2.
//
// The relations are the grid of entries: for two dimensions each row i of
// interior cells with its row total, each column with its column total, the
// row of column totals with the grand total, and the column of row totals
// with the grand total; for one dimension the cells with the grand total.
//
// Each step suppresses the cheapest entry that fixes a violated relation,
// ordered by: a non-empty entry before an empty one (suppressing a cell that
// is known or guessable to be empty protects nothing); an interior cell
// before a total; an entry whose other relation already has a suppressed
// member (so that no new relation is broken); then the smallest number of
// subjects, records and |sum|; then grid position, so the result is
// deterministic. The greedy search does not minimise the information lost,
// and it guarantees no protection interval: an attacker who combines the
// published figures with known bounds (counts are never negative, a
// threshold-suppressed cell has fewer than k subjects) can still narrow a
// suppressed figure to a range. Distinct-subject counts are only additive
// when every subject falls in one cell of a row or column; the rules are
// applied to them as if they were, which can only suppress more.

// relations describes the linear relations between the entries of a release.
type relations struct {
	lines [][]int32 // the members of each relation
	of    [][]int32 // the relations of each entry
	total []bool    // whether an entry is a total
	// For two dimensions: the extended grid is rows×cols and entry e is at
	// (e/cols, e%cols). Zero otherwise.
	rows, cols int
}

func relationsFor(dims, m, n int) *relations {
	switch dims {
	case 0:
		return &relations{of: make([][]int32, 1), total: make([]bool, 1)}
	case 1:
		r := &relations{of: make([][]int32, n+1), total: make([]bool, n+1)}
		line := make([]int32, n+1)
		for e := range line {
			line[e] = int32(e)
			r.of[e] = []int32{0}
		}
		r.total[n] = true
		r.lines = [][]int32{line}
		return r
	}
	rows, cols := m+1, n+1
	r := &relations{of: make([][]int32, rows*cols), total: make([]bool, rows*cols), rows: rows, cols: cols}
	for i := range rows {
		line := make([]int32, cols)
		for j := range cols {
			line[j] = int32(i*cols + j)
		}
		r.lines = append(r.lines, line)
	}
	for j := range cols {
		line := make([]int32, rows)
		for i := range rows {
			line[i] = int32(i*cols + j)
		}
		r.lines = append(r.lines, line)
	}
	for li, line := range r.lines {
		for _, e := range line {
			r.of[e] = append(r.of[e], int32(li))
		}
	}
	for e := range r.total {
		r.total[e] = e/cols == m || e%cols == n
	}
	return r
}

// protect adds secondary suppressions to status until both rules hold.
func (r *relations) protect(status []Status, tallies []tally) {
	if len(r.lines) == 0 {
		return
	}
	count := make([]int, len(r.lines))
	for li, line := range r.lines {
		for _, e := range line {
			if status[e].Suppressed() {
				count[li]++
			}
		}
	}
	suppress := func(e int32) {
		status[e] = SuppressedSecondary
		for _, li := range r.of[e] {
			count[li]++
		}
	}
	// less orders candidates for suppression in relation li (see above).
	less := func(a, b int32, li int32) bool {
		ka, kb := r.costKey(a, li, tallies, count), r.costKey(b, li, tallies, count)
		for i := range ka {
			if ka[i] != kb[i] {
				return ka[i] < kb[i]
			}
		}
		return false
	}
	cheapest := func(cands []int32, li int32) int32 {
		best := int32(-1)
		for _, e := range cands {
			if status[e].Suppressed() {
				continue
			}
			if best < 0 || less(e, best, li) {
				best = e
			}
		}
		return best
	}

	for {
		// Rule 1: no relation with exactly one suppressed member.
		for changed := true; changed; {
			changed = false
			for li, line := range r.lines {
				if count[li] != 1 {
					continue
				}
				// A relation has at least two members, so one is published.
				suppress(cheapest(line, int32(li)))
				changed = true
			}
		}
		// Rule 2: no bridge among the suppressed entries.
		if r.cols == 0 {
			return
		}
		cands := r.bridgeFix(status)
		if cands == nil {
			return
		}
		suppress(cheapest(cands, -1))
	}
}

// costKey returns the sort key of suppressing entry e to fix relation li (-1
// for a bridge).
func (r *relations) costKey(e, li int32, tallies []tally, count []int) [7]uint64 {
	t := &tallies[e]
	var k [7]uint64
	if t.subjects == 0 {
		k[0] = 1
	}
	if r.total[e] {
		k[1] = 1
	}
	for _, o := range r.of[e] {
		if o != li && count[o] == 0 {
			k[2]++
		}
	}
	k[3] = uint64(t.subjects)
	k[4] = uint64(t.records)
	// The magnitude of the cell's sum, saturated: only the order matters.
	if t.sumMag.hi != 0 {
		k[5] = ^uint64(0)
	} else {
		k[5] = t.sumMag.lo
	}
	k[6] = uint64(e)
	return k
}

// bridgeFix looks for a bridge in the bipartite graph whose nodes are the
// rows and columns of the extended grid and whose edges are the suppressed
// entries. A bridge's value follows from the relations on either side of it.
// bridgeFix returns the published entries any one of which closes a cycle
// through the first bridge found, or nil if there is no bridge.
//
// Take bridge (i,j): without it, row i lies in a component X and column j in
// another, Y. A new edge from a row of Y to a column of X (or a row of X to a
// column of Y) makes a cycle through the bridge. After rule 1 every node of X
// and Y has two or more edges, so X has a column and Y has a row, and there
// is always such an entry; none is suppressed, or (i,j) would not be a bridge.
func (r *relations) bridgeFix(status []Status) []int32 {
	rows, cols := r.rows, r.cols
	nodes := rows + cols // row i is node i, column j is node rows+j
	type edge struct{ to, entry int32 }
	adj := make([][]edge, nodes)
	for e, s := range status {
		if !s.Suppressed() {
			continue
		}
		i, j := int32(e/cols), int32(rows+e%cols)
		adj[i] = append(adj[i], edge{j, int32(e)})
		adj[j] = append(adj[j], edge{i, int32(e)})
	}

	// Tarjan's bridge search: an edge u–v to a child v is a bridge when
	// nothing in v's subtree reaches u or above by another edge.
	order := make([]int32, nodes) // discovery time, 0 = unvisited
	low := make([]int32, nodes)
	var clock int32
	bridge := int32(-1)
	var visit func(u, viaEntry int32)
	visit = func(u, viaEntry int32) {
		clock++
		order[u], low[u] = clock, clock
		for _, ed := range adj[u] {
			if ed.entry == viaEntry {
				continue
			}
			if order[ed.to] == 0 {
				visit(ed.to, ed.entry)
				if bridge >= 0 {
					return
				}
				low[u] = min(low[u], low[ed.to])
				if low[ed.to] > order[u] {
					bridge = ed.entry
					return
				}
			} else {
				low[u] = min(low[u], order[ed.to])
			}
		}
	}
	for u := range int32(nodes) {
		if order[u] == 0 && len(adj[u]) > 0 && bridge < 0 {
			visit(u, -1)
		}
	}
	if bridge < 0 {
		return nil
	}

	// The two sides of the bridge.
	side := make([]int8, nodes) // 0 neither, 1 X (row side), 2 Y (column side)
	var fill func(u int32, mark int8)
	fill = func(u int32, mark int8) {
		side[u] = mark
		for _, ed := range adj[u] {
			if ed.entry != bridge && side[ed.to] == 0 {
				fill(ed.to, mark)
			}
		}
	}
	fill(bridge/int32(cols), 1)
	fill(int32(rows)+bridge%int32(cols), 2)
	var cands []int32
	for i := range rows {
		for j := range cols {
			a, b := side[i], side[rows+j]
			if a != 0 && b != 0 && a != b && !status[i*cols+j].Suppressed() {
				cands = append(cands, int32(i*cols+j))
			}
		}
	}
	return cands
}
