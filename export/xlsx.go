package export

import (
	"archive/zip"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/smartbooqing/steward/privacy"
)

// maxCellChars is the most UTF-16 code units an XLSX cell holds. Excelize
// would cut a longer string short without a word; the encoder refuses it.
const maxCellChars = excelize.TotalCellChars

// timeFormat shows time cells as RFC 3339 in UTC, which is what they hold.
const timeFormat = `yyyy-mm-dd"T"hh:mm:ss"Z"`

// xlsxSink writes one workbook with one sheet through excelize's stream
// writer. Strings are inline strings, numbers and booleans typed cells,
// times date cells in UTC.
type xlsxSink struct {
	w         io.Writer
	f         *excelize.File
	sw        *excelize.StreamWriter
	t         *table
	l         *labels
	defend    bool
	row       int
	header    bool
	bold      int
	timeStyle int
	cells     []any
	scratch   []byte
	names     []string
}

func (e *Encoder) newXLSX(w io.Writer, cat privacy.Category, l *labels) (*xlsxSink, error) {
	const op = "export.Encode"
	f := excelize.NewFile(excelize.Options{TmpDir: e.tmpDir})
	s := &xlsxSink{w: w, f: f, t: newTable(op, cat, e.columns[cat]), l: l, defend: e.defend}
	fail := func(err error) (*xlsxSink, error) {
		f.Close()
		return nil, &privacy.Error{Op: op, Ref: privacy.Ref{Category: cat}, Msg: "preparing the workbook", Err: err}
	}
	name := sheetName(string(cat))
	if err := f.SetSheetName(f.GetSheetName(0), name); err != nil {
		return fail(err)
	}
	var err error
	if s.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return fail(err)
	}
	tf := timeFormat
	if s.timeStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &tf}); err != nil {
		return fail(err)
	}
	if s.sw, err = f.NewStreamWriter(name); err != nil {
		return fail(err)
	}
	if err = s.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	return s, nil
}

// sheetName makes a category name a valid sheet name: at most 31
// characters, none of : \ / ? * [ ], not empty.
func sheetName(cat string) string {
	var b strings.Builder
	n := 0
	for _, r := range cat {
		if n == 31 {
			break
		}
		switch {
		case strings.ContainsRune(`:\/?*[]'`, r), r < 0x20, r == utf8.RuneError:
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return "data"
	}
	return b.String()
}

func (s *xlsxSink) writeHeader() error {
	s.header = true
	s.row = 1
	cells := make([]any, 0, len(envelope())+len(s.t.cols))
	for _, k := range envelope() {
		cells = append(cells, s.l.column(k, true))
	}
	for _, c := range s.t.cols {
		label := s.l.column(c.Name, false)
		if cellProblem(label) != "" {
			label = fmt.Sprintf("column %d", len(cells)+1)
		} else if s.defend && needsPrefix(label) {
			label = "'" + label
		}
		cells = append(cells, label)
	}
	return s.sw.SetRow("A1", cells, excelize.RowOpts{StyleID: s.bold})
}

func (s *xlsxSink) record(r *privacy.Record) error {
	const op = "export.Encode"
	if !s.t.known {
		if err := s.t.infer(r); err != nil {
			return err
		}
	}
	if !s.header {
		if err := s.writeHeader(); err != nil {
			return writeError(XLSX, r.Ref, err)
		}
	}
	if err := s.t.bind(r); err != nil {
		return err
	}
	cells := s.cells[:0]
	var e valueError
	var v any
	if v, e = s.text(r.Ref.ID); e != "" {
		return invalid(op, r.Ref, "", "record ID: "+string(e))
	}
	cells = append(cells, v)
	if v, e = s.text(string(r.Subject)); e != "" {
		return invalid(op, r.Ref, "", "subject: "+string(e))
	}
	cells = append(cells, v)
	if r.Created.IsZero() {
		cells = append(cells, nil)
	} else {
		cells = append(cells, excelize.Cell{StyleID: s.timeStyle, Value: r.Created.UTC()})
	}
	cells = append(cells, r.Restricted)
	if len(r.Events) == 0 {
		cells = append(cells, nil)
	} else {
		var msg string
		if s.scratch, s.names, msg = appendEvents(s.scratch[:0], r.Events, s.names); msg != "" {
			return invalid(op, r.Ref, "", msg)
		}
		cells = append(cells, string(s.scratch))
	}
	for _, f := range s.t.slots {
		if f == nil {
			cells = append(cells, nil)
			continue
		}
		switch x := f.Value.(type) {
		case string:
			v, e = s.text(x)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				e = errNaN
			}
			v = x
		case time.Time:
			if x.IsZero() {
				e = errZero
			}
			v = excelize.Cell{StyleID: s.timeStyle, Value: x.UTC()}
		default: // nil, int64 and bool go in as they are
			v = x
		}
		if e != "" {
			return fieldError(op, r.Ref, f, e)
		}
		cells = append(cells, v)
	}
	s.cells = cells
	s.row++
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err == nil {
		err = s.sw.SetRow(cell, cells)
	}
	clear(cells) // let the values go
	if err != nil {
		return writeError(XLSX, r.Ref, err)
	}
	return nil
}

// text checks a string for an XLSX cell and applies the defence.
func (s *xlsxSink) text(v string) (any, valueError) {
	if e := cellProblem(v); e != "" {
		return nil, e
	}
	if s.defend && needsPrefix(v) {
		return "'" + v, ""
	}
	return v, ""
}

// cellProblem reports why v cannot be an XLSX cell: invalid UTF-8, a
// character XML cannot carry, or more than maxCellChars UTF-16 units.
func cellProblem(v string) valueError {
	if e := checkXML(v); e != "" {
		return e
	}
	if len(v) > maxCellChars {
		n := 0
		for _, r := range v {
			n += utf16.RuneLen(r)
		}
		if n > maxCellChars {
			return valueError(fmt.Sprintf("string value longer than the %d characters an XLSX cell holds", maxCellChars))
		}
	}
	return ""
}

func (s *xlsxSink) finish() error {
	if !s.header {
		s.t.known = true
		if err := s.writeHeader(); err != nil {
			return writeError(XLSX, privacy.Ref{}, err)
		}
	}
	if err := s.sw.Flush(); err != nil {
		return writeError(XLSX, privacy.Ref{}, err)
	}
	// Excelize builds the whole workbook in memory unless it is given its
	// own zip writer; this one writes straight to w.
	s.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(s.w) })
	if err := s.f.Write(io.Discard); err != nil {
		return writeError(XLSX, privacy.Ref{}, err)
	}
	return nil
}

func (s *xlsxSink) columns() []Column { return s.t.columns() }

func (s *xlsxSink) close() { s.f.Close() }
