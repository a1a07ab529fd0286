package export

import (
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smartbooqing/steward/privacy"
)

// Byte classes of CSV text, OR-ed over a cell to decide in one pass how to
// write it.
const (
	clsQuote = 1 << iota // the cell must be quoted: delimiter, quote, CR or LF
	clsDQ                // a double quote, to be doubled
	clsHigh              // a non-ASCII byte: check UTF-8
)

// csvDialect is how cells are written: delimiter, defence, and the byte
// classes that follow from the delimiter.
type csvDialect struct {
	delim  byte
	defend bool
	cls    [256]uint8
}

func newDialect(delim byte, defend bool) *csvDialect {
	d := &csvDialect{delim: delim, defend: defend}
	d.cls[delim] |= clsQuote
	d.cls['\r'] |= clsQuote
	d.cls['\n'] |= clsQuote
	d.cls['"'] |= clsQuote | clsDQ
	for c := 0x80; c < 0x100; c++ {
		d.cls[c] |= clsHigh
	}
	return d
}

// appendText writes s as one cell. A cell is quoted when it holds the
// delimiter, a quote, CR or LF, begins with a space, or is empty: an empty
// quoted cell is the empty string, an empty unquoted cell is nil. With the
// defence on, a cell that could be taken for a formula gets a leading
// apostrophe (see needsPrefix); prefix=false leaves that to the caller.
func (d *csvDialect) appendText(b []byte, s string, prefix bool) ([]byte, valueError) {
	var m uint8
	for i := 0; i < len(s); i++ {
		m |= d.cls[s[i]]
	}
	if m&clsHigh != 0 && !utf8.ValidString(s) {
		return b, errUTF8
	}
	prefix = prefix && d.defend && needsPrefix(s)
	if m&clsQuote == 0 && len(s) > 0 && s[0] != ' ' {
		if prefix {
			b = append(b, '\'')
		}
		return append(b, s...), ""
	}
	b = append(b, '"')
	if prefix {
		b = append(b, '\'')
	}
	if m&clsDQ != 0 {
		for {
			i := strings.IndexByte(s, '"')
			if i < 0 {
				break
			}
			b = append(b, s[:i+1]...)
			b = append(b, '"')
			s = s[i+1:]
		}
	}
	b = append(b, s...)
	return append(b, '"'), ""
}

// appendQuoted writes p as a quoted cell. The events cell is JSON, so it
// holds quotes and is always quoted; it never begins with a formula sign.
func appendQuoted(b, p []byte) []byte {
	b = append(b, '"')
	for _, c := range p {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// csvSink writes the CSV format: a header row of labels, then one row per
// record, CRLF line ends as RFC 4180 asks.
type csvSink struct {
	*csvDialect
	o       *out
	t       *table
	l       *labels
	bom     bool
	header  bool
	scratch []byte   // the events cell before quoting
	names   []string // event names, sorted
}

func (e *Encoder) newCSV(w io.Writer, cat privacy.Category, l *labels) *csvSink {
	return &csvSink{
		csvDialect: newDialect(e.delim, e.defend),
		o:          newOut(w),
		t:          newTable("export.Encode", cat, e.columns[cat]),
		l:          l,
		bom:        e.bom,
	}
}

// writeHeader writes the labels. A label that is not valid UTF-8 — a field
// name from the host — is refused.
func (s *csvSink) writeHeader() error {
	b := s.o.buf
	if s.bom {
		b = append(b, 0xEF, 0xBB, 0xBF)
	}
	var e valueError
	for i, k := range envelope() {
		if i > 0 {
			b = append(b, s.delim)
		}
		b, _ = s.appendText(b, s.l.column(k, true), true)
	}
	for _, c := range s.t.cols {
		b = append(b, s.delim)
		if b, e = s.appendText(b, s.l.column(c.Name, false), true); e != "" {
			return invalid("export.Encode", privacy.Ref{Category: s.t.cat}, "", "a column label is not valid UTF-8")
		}
	}
	s.o.buf = append(b, '\r', '\n')
	s.header = true
	return nil
}

func (s *csvSink) record(r *privacy.Record) error {
	const op = "export.Encode"
	if !s.t.known {
		if err := s.t.infer(r); err != nil {
			return err
		}
	}
	if !s.header {
		if err := s.writeHeader(); err != nil {
			return err
		}
	}
	if err := s.t.bind(r); err != nil {
		return err
	}
	start := len(s.o.buf)
	b, field, e := s.appendRow(s.o.buf, r)
	if e != "" {
		s.o.buf = b[:start]
		if field != nil {
			return fieldError(op, r.Ref, field, e)
		}
		return invalid(op, r.Ref, "", string(e))
	}
	s.o.buf = b
	if s.o.full() {
		if err := s.o.flush(); err != nil {
			return writeError(CSV, r.Ref, err)
		}
	}
	return nil
}

// appendRow writes r's row. On failure it returns the field at fault (nil
// for the envelope) and what is wrong.
func (s *csvSink) appendRow(b []byte, r *privacy.Record) ([]byte, *privacy.Field, valueError) {
	var e valueError
	if b, e = s.appendText(b, r.Ref.ID, true); e != "" {
		return b, nil, "record ID is not valid UTF-8"
	}
	b = append(b, s.delim)
	if b, e = s.appendText(b, string(r.Subject), true); e != "" {
		return b, nil, "subject is not valid UTF-8"
	}
	b = append(b, s.delim)
	if !r.Created.IsZero() {
		if b, e = appendTime(b, r.Created); e != "" {
			return b, nil, "creation " + e
		}
	}
	b = append(b, s.delim)
	b = strconv.AppendBool(b, r.Restricted)
	b = append(b, s.delim)
	if len(r.Events) > 0 {
		var msg string
		if s.scratch, s.names, msg = appendEvents(s.scratch[:0], r.Events, s.names); msg != "" {
			return b, nil, valueError(msg)
		}
		b = appendQuoted(b, s.scratch)
	}
	for _, f := range s.t.slots {
		b = append(b, s.delim)
		if f == nil {
			continue
		}
		switch v := f.Value.(type) {
		case nil:
		case string:
			b, e = s.appendText(b, v, true)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case float64:
			b, e = appendFloat(b, v)
		case bool:
			b = strconv.AppendBool(b, v)
		case time.Time:
			b, e = appendTime(b, v)
		}
		if e != "" {
			return b, f, e
		}
	}
	return append(b, '\r', '\n'), nil, ""
}

func (s *csvSink) finish() error {
	if !s.header {
		s.t.known = true
		if err := s.writeHeader(); err != nil {
			return err
		}
	}
	if err := s.o.flush(); err != nil {
		return writeError(CSV, privacy.Ref{}, err)
	}
	return nil
}

func (s *csvSink) columns() []Column { return s.t.columns() }
func (s *csvSink) close()            {}
