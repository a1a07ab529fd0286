package export

import (
	"fmt"

	"github.com/smartbooqing/steward/privacy"
)

// table places the fields of each record in the columns of a tabular file.
// Its columns are declared, or taken from the first record; see "Columns" in
// the package documentation.
type table struct {
	op    string
	cat   privacy.Category
	cols  []Column
	known bool // cols is settled: declared, or taken from the first record
	index map[string]int
	slots []*privacy.Field // the fields of the current record, by column
}

func newTable(op string, cat privacy.Category, declared []Column) *table {
	t := &table{op: op, cat: cat}
	if declared != nil {
		t.settle(append([]Column(nil), declared...))
	}
	return t
}

func (t *table) settle(cols []Column) {
	t.cols = cols
	t.known = true
	t.index = make(map[string]int, len(cols))
	for i, c := range cols {
		t.index[c.Name] = i
	}
	t.slots = make([]*privacy.Field, len(cols))
}

// infer takes the columns from r, the first record, when none were declared.
// It reports whether it did, so the caller knows to write the header.
func (t *table) infer(r *privacy.Record) error {
	cols := make([]Column, len(r.Fields))
	for i, f := range r.Fields {
		if f.Class > privacy.Special {
			return invalid(t.op, r.Ref, f.Name, "unknown class")
		}
		cols[i] = Column{Name: f.Name, Class: f.Class}
		for _, g := range r.Fields[:i] {
			if g.Name == f.Name {
				return invalid(t.op, r.Ref, f.Name, "duplicate field")
			}
		}
	}
	t.settle(cols)
	return nil
}

// bind fills slots with r's fields in column order. It checks that every
// field has a column, appears once, has the column's class, and holds a value
// of the column's kind (nil fits every kind). A column of KindAny takes the
// kind of its first non-nil value.
func (t *table) bind(r *privacy.Record) error {
	clear(t.slots)
	for i := range r.Fields {
		f := &r.Fields[i]
		j := i
		if j >= len(t.cols) || t.cols[j].Name != f.Name {
			var ok bool
			if j, ok = t.index[f.Name]; !ok {
				return invalid(t.op, r.Ref, f.Name, fmt.Sprintf("field is not a column of category %q: declare the category's columns in Options.Columns", string(t.cat)))
			}
		}
		if t.slots[j] != nil {
			return invalid(t.op, r.Ref, f.Name, "duplicate field")
		}
		c := &t.cols[j]
		if f.Class != c.Class {
			return invalid(t.op, r.Ref, f.Name, fmt.Sprintf("field of class %s in a column of class %s", f.Class, c.Class))
		}
		k, ok := kindOf(f.Value)
		if !ok {
			return fieldError(t.op, r.Ref, f, errType)
		}
		if k != KindAny && k != c.Kind {
			if c.Kind != KindAny {
				return invalid(t.op, r.Ref, f.Name, fmt.Sprintf("value of kind %s in a column of kind %s", k, c.Kind))
			}
			c.Kind = k
		}
		t.slots[j] = f
	}
	return nil
}

// columns returns a copy of the columns as they stand.
func (t *table) columns() []Column {
	if !t.known {
		return []Column{}
	}
	return append([]Column(nil), t.cols...)
}
