package aggregate

import (
	"math/big"
	"math/bits"
	"slices"
)

// layout places the table's cells in the release: the key list of each
// dimension (public key sets as given, observed keys sorted) and each table
// cell's row-major position among the interior cells.
type layout struct {
	keys [MaxDims][]string
	pos  []int32 // by table cell
	m, n int     // interior rows and columns: m×n cells (1×1 without dimensions, 1×m for one)
}

func (t *Table) layout() layout {
	var l layout
	nd := len(t.cfg.dims)
	var index [MaxDims]map[string]int32
	for d := range nd {
		keys := t.cfg.dims[d].Keys
		if keys == nil {
			seen := make(map[string]bool)
			for _, k := range t.keys {
				if !seen[k[d]] {
					seen[k[d]] = true
					keys = append(keys, k[d])
				}
			}
			slices.Sort(keys)
		}
		l.keys[d] = keys
		index[d] = make(map[string]int32, len(keys))
		for i, k := range keys {
			index[d][k] = int32(i)
		}
	}
	l.m, l.n = 1, 1
	switch nd {
	case 1:
		l.n = len(l.keys[0])
	case 2:
		l.m, l.n = len(l.keys[0]), len(l.keys[1])
	}
	l.pos = make([]int32, len(t.keys))
	for c, k := range t.keys {
		switch nd {
		case 1:
			l.pos[c] = index[0][k[0]]
		case 2:
			l.pos[c] = index[0][k[0]]*int32(l.n) + index[1][k[1]]
		}
	}
	return l
}

// key returns the key of interior position p.
func (l *layout) key(dims, p int) Key {
	var k Key
	switch dims {
	case 1:
		k[0] = l.keys[0][p]
	case 2:
		k[0], k[1] = l.keys[0][p/l.n], l.keys[1][p%l.n]
	}
	return k
}

// tally is what an exact release knows of one cell or total: its figures and,
// for the dominance rule, its largest contributions.
type tally struct {
	subjects int64
	records  int64
	sum      int64
	sumMag   u128 // Σ |subject's sum|
	// top holds the largest contributions in descending order: the first
	// half record counts, the second half |sums|; it is empty when no
	// dominance rule applies.
	top []uint64
}

func (t *tally) recTop() []uint64 { return t.top[:len(t.top)/2] }
func (t *tally) sumTop() []uint64 { return t.top[len(t.top)/2:] }

// add counts one subject's contribution; it reports false if the sum
// overflows int64.
func (t *tally) add(records, sum int64) bool {
	s, ok := add64(t.sum, sum)
	if !ok {
		return false
	}
	t.subjects++
	t.records += records
	t.sum = s
	mag := uint64(sum)
	if sum < 0 {
		mag = -mag
	}
	t.sumMag.add(mag)
	insertTop(t.recTop(), uint64(records))
	insertTop(t.sumTop(), mag)
	return true
}

// insertTop keeps top sorted in descending order with the largest values seen.
func insertTop(top []uint64, v uint64) {
	if len(top) == 0 || v <= top[len(top)-1] {
		return
	}
	i := len(top) - 1
	for i > 0 && top[i-1] < v {
		top[i] = top[i-1]
		i--
	}
	top[i] = v
}

// u128 is an unsigned 128-bit accumulator.
type u128 struct{ hi, lo uint64 }

func (u *u128) add(v uint64) {
	var c uint64
	u.lo, c = bits.Add64(u.lo, v, 0)
	u.hi += c
}

func (u u128) big() *big.Int {
	z := new(big.Int).SetUint64(u.hi)
	z.Lsh(z, 64)
	return z.Or(z, new(big.Int).SetUint64(u.lo))
}

// dominated reports whether the largest contributions top (descending) break
// one of the rules for a magnitude of total: 100·Σtop[:N] > K·total.
func dominated(top []uint64, total *big.Int, rules []Dominance) bool {
	if total.Sign() == 0 {
		return false
	}
	var s, lhs, rhs, x big.Int
	for _, r := range rules {
		s.SetInt64(0)
		for _, v := range top[:r.N] {
			s.Add(&s, x.SetUint64(v))
		}
		lhs.Mul(&s, x.SetInt64(100))
		rhs.Mul(total, x.SetInt64(int64(r.K)))
		if lhs.Cmp(&rhs) > 0 {
			return true
		}
	}
	return false
}

// primary returns the status the primary rules give a tally.
func (c *config) primary(t *tally) Status {
	if t.subjects > 0 && t.subjects < c.k {
		return SuppressedThreshold
	}
	if c.measures&Records != 0 && dominated(t.recTop(), big.NewInt(t.records), c.dom) {
		return SuppressedDominance
	}
	if c.measures&Sum != 0 && dominated(t.sumTop(), t.sumMag.big(), c.dom) {
		return SuppressedDominance
	}
	return Published
}

// maxGridEntries bounds the cells and totals of an exact release, which
// secondary suppression searches as a whole.
const maxGridEntries = 1 << 20

// publishExact makes an exact release with primary and secondary suppression.
//
// The release's entries are laid out as one grid: for two dimensions an
// (m+1)×(n+1) grid whose last column holds the row totals, whose last row
// holds the column totals and whose corner is the grand total; for one
// dimension the m cells followed by the grand total; without dimensions the
// single cell.
func (t *Table) publishExact() (*Release, error) {
	cfg := t.cfg
	nd := len(cfg.dims)
	l := t.layout()
	m, n := l.m, l.n
	if int64(m+1)*int64(n+1) > maxGridEntries {
		return nil, invalid("aggregate.Table.Publish", "%d×%d cells: an exact release lays out at most %d cells and totals", m, n, maxGridEntries)
	}

	var entries int
	var cellEntry func(p int32) int32
	switch nd {
	case 0:
		entries = 1
		cellEntry = func(int32) int32 { return 0 }
	case 1:
		entries = n + 1
		cellEntry = func(p int32) int32 { return p }
	case 2:
		entries = (m + 1) * (n + 1)
		cellEntry = func(p int32) int32 { return p/int32(n)*int32(n+1) + p%int32(n) }
	}
	grand := int32(entries - 1)
	rowTotal := func(i int32) int32 { return i*int32(n+1) + int32(n) }
	colTotal := func(j int32) int32 { return int32(m*(n+1)) + j }

	tallies := make([]tally, entries)
	if cfg.measures&(Records|Sum) != 0 {
		n := 2 * cfg.domN
		tops := make([]uint64, entries*n)
		for e := range tallies {
			tallies[e].top = tops[e*n : (e+1)*n : (e+1)*n]
		}
	}
	entryOf := make([]int32, len(t.keys))
	for c := range t.keys {
		entryOf[c] = cellEntry(l.pos[c])
	}

	// One pass over the subjects: each contribution counts in its cell, and
	// a subject's contributions summed per row, column and table count in
	// the totals, so that a subject is one contributor to each total it
	// touches.
	var rowAcc, colAcc []acc
	var rowsHit, colsHit []int32
	if nd == 2 {
		rowAcc, colAcc = make([]acc, m), make([]acc, n)
	}
	overflow := func(what string) error {
		return invalid("aggregate.Table.Publish", "int64 overflow: the sum of %s overflows", what)
	}
	stamp := int32(0)
	for si := range t.subjects.slots {
		s := &t.subjects.slots[si]
		if s.subject == "" {
			continue
		}
		stamp++
		var gRecords, gSum int64
		gOverflow := false
		rowsHit, colsHit = rowsHit[:0], colsHit[:0]
		for c := &s.first; c != nil; c = t.next(c) {
			e := entryOf[c.cell]
			// A cell's sum was checked by Add; a single contribution fits.
			tallies[e].add(c.records, c.sum)
			if nd == 0 {
				continue
			}
			gRecords += c.records
			var ok bool
			if gSum, ok = add64(gSum, c.sum); !ok {
				gOverflow = true
			}
			if nd == 2 {
				p := l.pos[c.cell]
				i, j := p/int32(n), p%int32(n)
				if rowAcc[i].stamp != stamp {
					rowAcc[i] = acc{stamp: stamp}
					rowsHit = append(rowsHit, i)
				}
				rowAcc[i].add(c.records, c.sum)
				if colAcc[j].stamp != stamp {
					colAcc[j] = acc{stamp: stamp}
					colsHit = append(colsHit, j)
				}
				colAcc[j].add(c.records, c.sum)
			}
		}
		if nd == 0 {
			continue
		}
		if gOverflow || !tallies[grand].add(gRecords, gSum) {
			return nil, overflow("the grand total")
		}
		for _, i := range rowsHit {
			if a := rowAcc[i]; a.overflowed || !tallies[rowTotal(i)].add(a.records, a.sum) {
				return nil, overflow("a row total")
			}
		}
		for _, j := range colsHit {
			if a := colAcc[j]; a.overflowed || !tallies[colTotal(j)].add(a.records, a.sum) {
				return nil, overflow("a column total")
			}
		}
	}

	status := make([]Status, entries)
	for e := range tallies {
		status[e] = cfg.primary(&tallies[e])
	}
	rel := relationsFor(nd, m, n)
	rel.protect(status, tallies)

	r := &Release{
		Dims:        t.dimNames(),
		Measures:    cfg.measures,
		MinSubjects: int(cfg.k),
		Dominance:   slices.Clone(cfg.dom),
		Created:     cfg.clock.Now(),
	}
	cell := func(e int32, k Key, total bool) Cell {
		c := Cell{Key: k, Total: total, Status: status[e]}
		if status[e] == Published {
			tl := &tallies[e]
			if cfg.measures&Subjects != 0 {
				c.Subjects = tl.subjects
			}
			if cfg.measures&Records != 0 {
				c.Records = tl.records
			}
			if cfg.measures&Sum != 0 {
				c.Sum = tl.sum
			}
		}
		return c
	}
	r.Cells = make([]Cell, 0, m*n)
	for p := range int32(m * n) {
		r.Cells = append(r.Cells, cell(cellEntry(p), l.key(nd, int(p)), false))
	}
	switch nd {
	case 1:
		r.Totals = []Cell{cell(grand, Key{}, true)}
	case 2:
		for i := range int32(m) {
			r.Totals = append(r.Totals, cell(rowTotal(i), Key{l.keys[0][i], ""}, true))
		}
		for j := range int32(n) {
			r.Totals = append(r.Totals, cell(colTotal(j), Key{"", l.keys[1][j]}, true))
		}
		r.Totals = append(r.Totals, cell(grand, Key{}, true))
	}
	return r, nil
}

// acc sums one subject's contributions to one row or column total. stamp
// tells whose contributions it holds.
type acc struct {
	stamp        int32
	records, sum int64
	overflowed   bool
}

func (a *acc) add(records, sum int64) {
	a.records += records
	var ok bool
	if a.sum, ok = add64(a.sum, sum); !ok {
		a.overflowed = true
	}
}
