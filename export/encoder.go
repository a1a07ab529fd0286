package export

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"iter"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"

	"github.com/smartbooqing/steward/privacy"
)

// Options configure an [Encoder]. The zero value means: English labels,
// columns taken from each category's first record, injection defence on,
// comma-separated CSV without a byte order mark.
type Options struct {
	// Language of the column labels and the HTML pages. It is matched to
	// English or Dutch; anything else gets English.
	Language language.Tag
	// Labels is the host's catalog of labels for its own names: a field
	// name gives the label of that field's column, a category name the
	// label of that category. Names without a message keep their name as
	// label. Nil means no host labels.
	Labels catalog.Catalog
	// Columns declares the field columns of a category's CSV and XLSX
	// tables. A category without declared columns takes them from its first
	// record; see "Columns" in the package documentation.
	Columns map[privacy.Category][]Column
	// Raw turns the spreadsheet-injection defence off: string cells in CSV
	// and XLSX are written exactly as they are. Only for machine consumers.
	Raw bool
	// Delimiter separates CSV cells: ',' (the default, for zero) or ';' or
	// '\t' for spreadsheet locales where ',' is the decimal mark. Numbers
	// always use '.' as the decimal mark.
	Delimiter rune
	// BOM starts CSV files with a UTF-8 byte order mark, which some
	// spreadsheet programs need to recognise UTF-8.
	BOM bool
	// TempDir is where the XLSX encoder keeps sheet data that outgrows its
	// memory buffer, and where an [Archive] keeps encrypted spool files.
	// Empty means os.TempDir.
	TempDir string
}

// Encoder writes streams of records in the export formats. It is safe for
// concurrent use: each call to Encode keeps its state to itself.
type Encoder struct {
	lang    language.Tag
	host    catalog.Catalog
	own     catalog.Catalog
	columns map[privacy.Category][]Column
	defend  bool
	delim   byte
	bom     bool
	tmpDir  string
	page    *template.Template // HTML format
}

// NewEncoder returns an encoder with the given options; nil means defaults.
// It returns an error wrapping [privacy.ErrInvalid] for a delimiter other
// than ',', ';' or '\t', or a declared column that is unnamed, named twice,
// or of an unknown kind or class.
func NewEncoder(opts *Options) (*Encoder, error) {
	const op = "export.NewEncoder"
	if opts == nil {
		opts = &Options{}
	}
	delim, defend, bom, err := csvOptions(op, opts)
	if err != nil {
		return nil, err
	}
	e := &Encoder{
		lang:   matchLanguage(opts.Language),
		host:   opts.Labels,
		defend: defend,
		delim:  delim,
		bom:    bom,
		tmpDir: opts.TempDir,
	}
	e.columns = make(map[privacy.Category][]Column, len(opts.Columns))
	for cat, cols := range opts.Columns {
		if err := checkColumns(cols); err != nil {
			return nil, invalid(op, privacy.Ref{Category: cat}, "", err.Error())
		}
		e.columns[cat] = append([]Column(nil), cols...)
	}
	own, err := newCatalog()
	if err != nil {
		return nil, &privacy.Error{Op: op, Msg: "building the label catalog", Err: err}
	}
	e.own = own
	if e.page, err = parsePage(); err != nil {
		return nil, &privacy.Error{Op: op, Msg: "parsing the HTML templates", Err: err}
	}
	return e, nil
}

func checkColumns(cols []Column) error {
	for i, c := range cols {
		switch {
		case c.Name == "":
			return fmt.Errorf("column %d has no name", i)
		case c.Kind > KindTime:
			return fmt.Errorf("column %d has unknown kind %d", i, c.Kind)
		case c.Class > privacy.Special:
			return fmt.Errorf("column %d has unknown class %d", i, c.Class)
		}
		for _, d := range cols[:i] {
			if d.Name == c.Name {
				return fmt.Errorf("column %d repeats a name", i)
			}
		}
	}
	return nil
}

// Language returns the language the encoder writes labels in: English or Dutch.
func (e *Encoder) Language() language.Tag { return e.lang }

// Encode writes the records of one category to w in format f and returns
// what it wrote. It ranges over records once and holds one record at a time
// (the XLSX format excepted, see the package documentation), so memory stays
// flat however many records there are.
//
// Every record must be of the given category. An error from records is
// returned as it is, and so is a context error; any other error is a
// [*privacy.Error] naming the record and, where there is one, the field. On
// error, w holds an incomplete file.
func (e *Encoder) Encode(ctx context.Context, w io.Writer, f Format, category privacy.Category, records iter.Seq2[privacy.Record, error]) (Summary, error) {
	const op = "export.Encode"
	sum := Summary{Category: category, Format: f}
	if err := f.Validate(); err != nil {
		return sum, err
	}
	if err := checkCategory(op, category); err != nil {
		return sum, err
	}
	m := &meter{w: w}
	s, err := e.newSink(m, f, category, newLabels(e.lang, e.own, e.host))
	if err != nil {
		return sum, err
	}
	defer s.close()
	n, err := feed(ctx, op, category, "", records, s)
	sum.Records = n
	if err == nil {
		err = s.finish()
	}
	sum.Bytes = m.n
	sum.Columns = s.columns()
	return sum, err
}

// checkCategory refuses a category no format can name.
func checkCategory(op string, c privacy.Category) error {
	switch {
	case c == "":
		return invalid(op, privacy.Ref{}, "", "empty category")
	case !utf8.ValidString(string(c)):
		return invalid(op, privacy.Ref{}, "", "category is not valid UTF-8")
	}
	return nil
}

// sink is one file being written: records go in one at a time.
type sink interface {
	// record encodes r. An error names r and, where it can, the field.
	record(r *privacy.Record) error
	// finish writes what ends the file and flushes it.
	finish() error
	// columns returns the field columns of a tabular format, else nil.
	columns() []Column
	// close releases what the sink holds (temporary files); it is called
	// after finish or instead of it.
	close()
}

func (e *Encoder) newSink(w io.Writer, f Format, cat privacy.Category, l *labels) (sink, error) {
	switch f {
	case CSV:
		return e.newCSV(w, cat, l), nil
	case JSON:
		return newJSON(w, cat, false), nil
	case NDJSON:
		return newJSON(w, cat, true), nil
	case XML:
		return newXML(w, cat), nil
	case XLSX:
		return e.newXLSX(w, cat, l)
	case HTML:
		return e.newHTML(w, cat, l)
	}
	return nil, f.Validate()
}

// feed ranges over records and hands each to the sinks. Every record must be
// of category cat and, if subject is set, of that subject. It checks the
// context every 256 records, which costs nothing measurable and stops a
// cancelled export within microseconds.
func feed(ctx context.Context, op string, cat privacy.Category, subject privacy.SubjectID, records iter.Seq2[privacy.Record, error], sinks ...sink) (int64, error) {
	var n int64
	// The sinks take the record by pointer; one variable for the whole
	// stream keeps that from costing an allocation per record.
	var r privacy.Record
	for next, err := range records {
		if err != nil {
			return n, err
		}
		r = next
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if r.Ref.Category != cat {
			return n, invalid(op, r.Ref, "", fmt.Sprintf("record is not of category %q", string(cat)))
		}
		if subject != "" && r.Subject != subject {
			// The subject's identity stays out of the message.
			return n, invalid(op, r.Ref, "", "record of another subject")
		}
		for _, s := range sinks {
			if err := s.record(&r); err != nil {
				return n, err
			}
		}
		n++
	}
	return n, ctx.Err()
}

// writeError reports that the writer failed while r was being written. It
// wraps the writer's error.
func writeError(f Format, ref privacy.Ref, err error) error {
	return &privacy.Error{Op: "export.Encode", Ref: ref, Msg: "writing " + string(f) + " failed", Err: err}
}
