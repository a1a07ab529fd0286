package aggregate

import (
	"context"
	"iter"
	"math"
	"strings"

	"github.com/smartbooqing/steward/privacy"
)

// Row is one record as a table sees it: whom it is about, which cell it
// falls in, and the value it adds to the cell's sum.
type Row struct {
	Subject privacy.SubjectID
	// Key holds the row's value in each dimension, in the order of the
	// table's dimensions; positions past the last dimension are "".
	Key Key
	// Value is added to the cell's Sum; it is ignored unless the table
	// publishes Sum.
	Value int64
}

// Rows turns a stream of the host's own values into rows: row maps each
// value to its Row, or returns false to leave the value out. An error in seq
// is passed on once and ends the stream.
func Rows[T any](seq iter.Seq2[T, error], row func(T) (Row, bool)) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for v, err := range seq {
			if err != nil {
				yield(Row{}, err)
				return
			}
			r, ok := row(v)
			if !ok {
				continue
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Table counts rows into cells, exactly and in int64 arithmetic, and makes
// a [Release] of them. It keeps, per subject and cell, the subject's number of
// rows and sum: what the distinct-subject counts, the dominance rule and the
// differential-privacy contribution bounds need. It keeps no row.
//
// A Table is not safe for concurrent use. Its exact figures never leave it
// except through [Table.Publish].
type Table struct {
	cfg *config

	cells cellIndex // cell number by key
	keys  []Key     // key by cell number
	sums  []int64   // exact sum per cell, to find an overflow at the row that causes it

	subjects subjectTable
	contrib  []contribution // contributions after each subject's first
	// byPair finds the contribution of (subject, cell) for subjects with
	// more than scanLimit cells, whose lists would be slow to scan.
	byPair map[pair]int32

	sink uint32 // see AddAll
}

type pair struct{ subject, cell int32 }

// scanLimit is how many cells of a subject are scanned before byPair is used.
const scanLimit = 8

// New returns an empty table over dims (at most [MaxDims]; none makes a
// one-cell table, such as the total number of users). It checks every option:
// an invalid one gives an [*privacy.Error] wrapping [privacy.ErrInvalid], and
// a private table whose budget cannot pay for one release an error wrapping
// [privacy.ErrConflict]. Nil options mean the defaults.
func New(dims []Dim, opts *Options) (*Table, error) {
	cfg, err := resolve(dims, opts)
	if err != nil {
		return nil, err
	}
	if p := cfg.priv; p != nil {
		if err := p.Budget.check("aggregate.New", p.eps, p.charge); err != nil {
			return nil, err
		}
	}
	t := &Table{
		cfg:      cfg,
		cells:    newCellIndex(),
		subjects: newSubjectTable(),
	}
	// Cells of public key sets exist from the start, so that empty ones are
	// published and the cells keep the given order.
	if t.allPublic() {
		t.addPublicCells(Key{}, 0)
	}
	return t, nil
}

func (t *Table) allPublic() bool {
	for _, d := range t.cfg.dims {
		if d.Keys == nil {
			return false
		}
	}
	return true
}

func (t *Table) addPublicCells(k Key, d int) {
	if d == len(t.cfg.dims) {
		t.newCell(k)
		return
	}
	for _, v := range t.cfg.dims[d].Keys {
		k[d] = v
		t.addPublicCells(k, d+1)
	}
}

func (t *Table) newCell(k Key) int32 {
	i := int32(len(t.keys))
	t.keys = append(t.keys, k)
	t.cells.insert(i, t.keys)
	t.sums = append(t.sums, 0)
	return i
}

// Add counts one row. An empty subject, a key that does not fit the table's
// dimensions or public key sets, and a sum that would overflow int64 are
// errors wrapping [privacy.ErrInvalid]; the row is then not counted and the
// table is as before. Error messages name dimensions, never key values or
// subjects.
func (t *Table) Add(r Row) error { return t.add(&r, t.subjects.hash(r.Subject)) }

// add is Add for a row whose subject hashes to h.
func (t *Table) add(r *Row, h uint64) error {
	const op = "aggregate.Table.Add"
	if r.Subject == "" {
		return invalid(op, "row without a subject")
	}
	if t.subjects.count >= maxSubjects {
		if s, _ := t.subjects.lookup(r.Subject, h, false); s == nil {
			return invalid(op, "more than %d subjects", maxSubjects)
		}
	}
	cell := t.cells.find(&r.Key, t.keys)
	if cell < 0 {
		if err := t.checkKey(r.Key); err != nil {
			return err
		}
		if len(t.keys) >= math.MaxInt32 {
			return invalid(op, "more than %d cells", math.MaxInt32)
		}
		cell = t.newCell(r.Key)
	}
	v := r.Value
	if t.cfg.measures&Sum == 0 {
		v = 0
	}
	cellSum, ok := add64(t.sums[cell], v)
	if !ok {
		return t.overflow("the cell's sum")
	}
	s, seen := t.subjects.lookup(r.Subject, h, true)
	if !seen {
		s.first = contribution{records: 1, sum: v, cell: cell, next: -1}
		s.cells = 1
		t.sums[cell] = cellSum
		return nil
	}
	c := &s.first
	if c.cell != cell {
		c = t.find(s, cell)
	}
	if c != nil {
		sum, ok := add64(c.sum, v)
		if !ok {
			return t.overflow("one subject's sum in the cell")
		}
		c.sum, c.records = sum, c.records+1
		t.sums[cell] = cellSum
		return nil
	}

	// The subject's first row in this cell: link a new contribution after
	// the subject's first one.
	if len(t.contrib) >= math.MaxInt32 {
		return invalid(op, "more than %d subject-cell pairs", math.MaxInt32)
	}
	i := int32(len(t.contrib))
	t.contrib = append(t.contrib, contribution{records: 1, sum: v, cell: cell, next: s.first.next})
	s.first.next = i
	if s.cells < math.MaxUint8 {
		s.cells++
	}
	switch {
	case s.cells == scanLimit+1:
		if t.byPair == nil {
			t.byPair = make(map[pair]int32)
		}
		for j := s.first.next; j >= 0; j = t.contrib[j].next {
			t.byPair[pair{s.id, t.contrib[j].cell}] = j
		}
	case s.cells > scanLimit+1:
		t.byPair[pair{s.id, cell}] = i
	}
	t.sums[cell] = cellSum
	return nil
}

// find returns the subject's contribution to cell past its first one, or nil.
func (t *Table) find(s *subjectSlot, cell int32) *contribution {
	if s.cells > scanLimit {
		if j, ok := t.byPair[pair{s.id, cell}]; ok {
			return &t.contrib[j]
		}
		return nil
	}
	for j := s.first.next; j >= 0; j = t.contrib[j].next {
		if t.contrib[j].cell == cell {
			return &t.contrib[j]
		}
	}
	return nil
}

// next returns the contribution after c in its subject's list, or nil.
func (t *Table) next(c *contribution) *contribution {
	if c.next < 0 {
		return nil
	}
	return &t.contrib[c.next]
}

// checkKey reports why a key the table has not seen yet cannot be one.
func (t *Table) checkKey(k Key) error {
	const op = "aggregate.Table.Add"
	for i := range k {
		if i >= len(t.cfg.dims) {
			if k[i] != "" {
				return invalid(op, "key has a value past the table's %d dimension(s)", len(t.cfg.dims))
			}
			continue
		}
		d := t.cfg.dims[i]
		if k[i] == "" {
			return invalid(op, "empty key in dimension %q", d.Name)
		}
		if d.Keys != nil {
			found := false
			for _, v := range d.Keys {
				if v == k[i] {
					found = true
					break
				}
			}
			if !found {
				return invalid(op, "key outside the public key set of dimension %q", d.Name)
			}
		}
	}
	return nil
}

// overflow returns the error for a row whose value would overflow what.
func (t *Table) overflow(what string) error {
	where := "the table"
	if len(t.cfg.dims) > 0 {
		where = "a cell of " + strings.Join(t.dimNames(), " × ")
	}
	return invalid("aggregate.Table.Add", "int64 overflow: %s would overflow in %s; the row was not counted", what, where)
}

// AddAll counts every row of rows, stopping at the first error: an error
// from rows is returned as it is, as is ctx's error when ctx ends; an error
// of [Table.Add] is returned for the row that caused it, and the rows before
// it stay counted.
func (t *Table) AddAll(ctx context.Context, rows iter.Seq2[Row, error]) error {
	// Rows are counted in batches: first the subjects of the batch are read,
	// hashed and their slots read, then the rows are counted one by one.
	// The first steps have no dependencies between rows, so their cache
	// misses overlap; counting row by row, each row waited for the last.
	const batchSize = 32
	var batch [batchSize]Row
	var hashes [batchSize]uint64
	n := 0
	flush := func() error {
		var sink uint32
		for i := range n {
			if s := batch[i].Subject; s != "" {
				sink += uint32(s[0])
			}
		}
		for i := range n {
			hashes[i] = t.subjects.hash(batch[i].Subject)
		}
		for i := range n {
			sink |= t.subjects.touch(hashes[i])
		}
		t.sink = sink // keeps the reads from being optimised away
		for i := range n {
			if err := t.add(&batch[i], hashes[i]); err != nil {
				return err
			}
		}
		n = 0
		return ctx.Err()
	}
	for r, err := range rows {
		if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return err
		}
		batch[n] = r
		if n++; n == batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// Build makes a table over dims, counts rows into it and publishes it: New,
// AddAll and Publish in one call.
func Build(ctx context.Context, dims []Dim, rows iter.Seq2[Row, error], opts *Options) (*Release, error) {
	t, err := New(dims, opts)
	if err != nil {
		return nil, err
	}
	if err := t.AddAll(ctx, rows); err != nil {
		return nil, err
	}
	return t.PublishContext(ctx)
}

// Publish makes a release of the table's current figures: exact figures
// with disclosure control, or, when Options.Private is set, noisy figures
// after charging the budget (see [Private]). The table can go on counting
// rows and publish again; each private release charges the budget anew. It
// is PublishContext with a background context.
func (t *Table) Publish() (*Release, error) {
	return t.PublishContext(context.Background())
}

// PublishContext is Publish with ctx for the budget's store (see
// [OpenBudget]).
func (t *Table) PublishContext(ctx context.Context) (*Release, error) {
	if t.cfg.priv != nil {
		return t.publishPrivate(ctx)
	}
	return t.publishExact()
}

// dimNames returns the names of the dimensions.
func (t *Table) dimNames() []string {
	names := make([]string, len(t.cfg.dims))
	for i, d := range t.cfg.dims {
		names[i] = d.Name
	}
	return names
}
