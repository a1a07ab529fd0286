package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// ReadOptions configure [ReadCSV] and [ReadStructs]. The zero value reads
// what an encoder with zero [Options] writes.
type ReadOptions struct {
	// Raw says the file was written with Options.Raw: string cells are
	// taken as they are. Otherwise the apostrophe the defence added is
	// removed again, so strings read back as they went in.
	Raw bool
	// Delimiter is the cell separator: ',' (for zero), ';' or '\t'.
	Delimiter rune
}

func (o *ReadOptions) dialect(op string) (byte, bool, error) {
	if o == nil {
		o = &ReadOptions{}
	}
	switch o.Delimiter {
	case 0, ',':
		return ',', !o.Raw, nil
	case ';', '\t':
		return byte(o.Delimiter), !o.Raw, nil
	}
	return 0, false, invalid(op, privacy.Ref{}, "", fmt.Sprintf("delimiter %q: want ',', ';' or tab", o.Delimiter))
}

// csvParser reads RFC 4180 rows. Unlike encoding/csv it keeps a quoted
// cell's bytes exactly (CRLF inside quotes stays CRLF) and tells a quoted
// empty cell (the empty string) from an unquoted one (nil). It skips a
// leading UTF-8 byte order mark and blank lines.
type csvParser struct {
	r       *bufio.Reader
	delim   byte
	lineNo  int // line number of the last line read
	rowLine int // line number the current row starts on
	started bool
	long    []byte // a line longer than the bufio buffer
	buf     []byte // the current row's cell bytes
	ends    []int  // where each cell ends in buf
	quoted  []bool
}

func newCSVParser(r io.Reader, delim byte) *csvParser {
	return &csvParser{r: bufio.NewReaderSize(r, bufSize), delim: delim}
}

// parseError is an error of the CSV parser.
type parseError string

func (e parseError) Error() string { return string(e) }

// errEOF is the end of the input.
const errEOF = parseError("end of input")

func (p *csvParser) readLine() ([]byte, error) {
	line, err := p.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = p.r.ReadSlice('\n')
			p.long = append(p.long, line...)
		}
		line = p.long
	}
	if err == io.EOF {
		if len(line) == 0 {
			return nil, errEOF
		}
		err = nil
	}
	if err != nil {
		return nil, err
	}
	p.lineNo++
	if !p.started {
		p.started = true
		line = bytes.TrimPrefix(line, []byte{0xEF, 0xBB, 0xBF})
	}
	return line, nil
}

// trimEnd removes the line end: LF or CRLF.
func trimEnd(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

// next reads the next row. It returns errEOF at the end of the input.
func (p *csvParser) next() error {
	p.buf, p.ends, p.quoted = p.buf[:0], p.ends[:0], p.quoted[:0]
	var line []byte
	for len(line) == 0 {
		l, err := p.readLine()
		if err != nil {
			return err
		}
		line = trimEnd(l)
		if len(line) > 0 {
			line = l // keep the line end: a quoted cell may span it
		}
	}
	p.rowLine = p.lineNo
	pos := 0
	for {
		if pos < len(line) && line[pos] == '"' {
			pos++
			for {
				i := bytes.IndexByte(line[pos:], '"')
				if i < 0 {
					// The cell goes on past the end of this line.
					p.buf = append(p.buf, line[pos:]...)
					l, err := p.readLine()
					if err == errEOF {
						return fmt.Errorf("line %d: quoted cell not closed", p.rowLine)
					}
					if err != nil {
						return err
					}
					line, pos = l, 0
					continue
				}
				p.buf = append(p.buf, line[pos:pos+i]...)
				pos += i + 1
				if pos < len(line) && line[pos] == '"' {
					p.buf = append(p.buf, '"')
					pos++
					continue
				}
				break
			}
			p.ends = append(p.ends, len(p.buf))
			p.quoted = append(p.quoted, true)
			rest := line[pos:]
			if len(trimEnd(rest)) == 0 {
				return nil
			}
			if rest[0] != p.delim {
				return fmt.Errorf("line %d: text after a quoted cell", p.lineNo)
			}
			pos++
			continue
		}
		rest := line[pos:]
		i := bytes.IndexByte(rest, p.delim)
		cell := rest
		if i >= 0 {
			cell = rest[:i]
		} else {
			cell = trimEnd(rest)
		}
		if bytes.IndexByte(cell, '"') >= 0 {
			return fmt.Errorf("line %d: quote inside an unquoted cell", p.lineNo)
		}
		p.buf = append(p.buf, cell...)
		p.ends = append(p.ends, len(p.buf))
		p.quoted = append(p.quoted, false)
		if i < 0 {
			return nil
		}
		pos += i + 1
	}
}

// cells returns how many cells the current row has.
func (p *csvParser) cells() int { return len(p.ends) }

// cell returns cell i of the current row and whether it was quoted.
func (p *csvParser) cell(i int) (string, bool) {
	start := 0
	if i > 0 {
		start = p.ends[i-1]
	}
	return string(p.buf[start:p.ends[i]]), p.quoted[i]
}

// ReadCSV walks the records of a CSV file that [Encoder.Encode] wrote for
// category, given the field columns it wrote ([Summary.Columns], or the
// manifest's columns). It reads one record at a time.
//
// Records come back in canonical form: every column is a field, in column
// order, with the column's class; an empty unquoted cell is a nil value; a
// record's Events are nil when it had none. A record whose fields are exactly
// the columns, in order, reads back equal to what was written.
//
// After an error — a malformed row, a cell that does not parse as its
// column's kind — ReadCSV yields a [*privacy.Error] naming the line, record
// and column, once, and stops.
func ReadCSV(ctx context.Context, r io.Reader, category privacy.Category, columns []Column, opts *ReadOptions) iter.Seq2[privacy.Record, error] {
	const op = "export.ReadCSV"
	return func(yield func(privacy.Record, error) bool) {
		delim, defend, err := opts.dialect(op)
		if err == nil {
			if err = checkColumns(columns); err != nil {
				err = invalid(op, privacy.Ref{Category: category}, "", err.Error())
			}
		}
		if err != nil {
			yield(privacy.Record{}, err)
			return
		}
		width := len(envelope()) + len(columns)
		p := newCSVParser(r, delim)
		fail := func(ref privacy.Ref, field string, err error) {
			var perr *privacy.Error
			if errors.As(err, &perr) {
				yield(privacy.Record{}, err)
				return
			}
			if errors.Is(err, errEOF) {
				err = errors.New("no header row")
			}
			yield(privacy.Record{}, &privacy.Error{Op: op, Ref: ref, Field: field, Msg: err.Error(), Err: privacy.ErrInvalid})
		}
		if err := p.next(); err != nil {
			fail(privacy.Ref{Category: category}, "", err)
			return
		}
		if p.cells() != width {
			fail(privacy.Ref{Category: category}, "", fmt.Errorf("header has %d columns, want %d", p.cells(), width))
			return
		}
		text := func(i int) string {
			s, _ := p.cell(i)
			if defend {
				s = unprefix(s)
			}
			return s
		}
		for n := 0; ; n++ {
			if n&255 == 0 {
				if err := ctx.Err(); err != nil {
					yield(privacy.Record{}, err)
					return
				}
			}
			err := p.next()
			if err == errEOF {
				return
			}
			if err != nil {
				fail(privacy.Ref{Category: category}, "", err)
				return
			}
			if p.cells() != width {
				fail(privacy.Ref{Category: category}, "", fmt.Errorf("line %d: %d cells, want %d", p.rowLine, p.cells(), width))
				return
			}
			rec := privacy.Record{Ref: privacy.Ref{Category: category, ID: text(0)}, Subject: privacy.SubjectID(text(1))}
			bad := func(field, msg string) {
				fail(rec.Ref, field, fmt.Errorf("line %d: %s", p.rowLine, msg))
			}
			if s, _ := p.cell(2); s != "" {
				if rec.Created, err = parseTime(s); err != nil {
					bad("", "creation time is "+err.Error())
					return
				}
			}
			switch s, _ := p.cell(3); s {
			case "true":
				rec.Restricted = true
			case "false":
			default:
				bad("", "restricted is neither true nor false")
				return
			}
			if s, _ := p.cell(4); s != "" {
				if rec.Events, err = parseEvents([]byte(s)); err != nil {
					bad("", err.Error())
					return
				}
			}
			if len(columns) > 0 {
				rec.Fields = make([]privacy.Field, len(columns))
			}
			for j, c := range columns {
				f := &rec.Fields[j]
				f.Name, f.Class = c.Name, c.Class
				s, quoted := p.cell(len(envelope()) + j)
				if s == "" && !quoted {
					continue // nil
				}
				if f.Value, err = parseCell(s, c.Kind, defend); err != nil {
					bad(c.Name, err.Error())
					return
				}
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// parseCell reads a non-nil cell of the given kind.
func parseCell(s string, k Kind, defend bool) (any, error) {
	switch k {
	case KindInt:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("not an int")
		}
		return v, nil
	case KindFloat:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, errors.New("not a float")
		}
		return v, nil
	case KindBool:
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("neither true nor false")
	case KindTime:
		return parseTime(s)
	}
	if defend {
		s = unprefix(s)
	}
	return s, nil
}

// parseEvents reads the events cell: a JSON object of RFC 3339 times.
func parseEvents(b []byte) (map[string]time.Time, error) {
	var raw map[string]string
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, errors.New("events cell is not a JSON object of times")
	}
	if len(raw) == 0 {
		return nil, nil
	}
	events := make(map[string]time.Time, len(raw))
	for k, v := range raw {
		t, err := parseTime(v)
		if err != nil {
			return nil, fmt.Errorf("event %q: %v", k, err)
		}
		events[k] = t
	}
	return events, nil
}
