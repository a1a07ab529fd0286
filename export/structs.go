package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"

	"github.com/gocarina/gocsv"

	"github.com/smartbooqing/steward/privacy"
)

// structBatch is how many rows WriteStructs hands gocsv at a time: enough
// to keep gocsv's per-call work small, few enough that memory stays flat.
const structBatch = 256

// checkStruct refuses a type parameter gocsv cannot handle, instead of
// letting gocsv panic.
func checkStruct[T any](op string) error {
	t := reflect.TypeFor[T]()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return invalid(op, privacy.Ref{}, "", fmt.Sprintf("type %s is not a struct or a pointer to one", reflect.TypeFor[T]()))
	}
	return nil
}

// csvOptions returns the CSV dialect of opts.
func csvOptions(op string, opts *Options) (delim byte, defend, bom bool, err error) {
	if opts == nil {
		opts = &Options{}
	}
	switch opts.Delimiter {
	case 0, ',':
		delim = ','
	case ';', '\t':
		delim = byte(opts.Delimiter)
	default:
		return 0, false, false, invalid(op, privacy.Ref{}, "", fmt.Sprintf("delimiter %q: want ',', ';' or tab", opts.Delimiter))
	}
	return delim, !opts.Raw, opts.BOM, nil
}

// structWriter is the gocsv.CSVWriter WriteStructs gives gocsv: it writes
// rows in the export's CSV dialect, with the defence. gocsv only ever sees
// this writer, so its package-level writer settings play no part.
type structWriter struct {
	*csvDialect
	o   *out
	err error
}

var _ gocsv.CSVWriter = (*structWriter)(nil)

// Write writes one row. gocsv has already turned every value into text, so
// the defence cannot see which cells were numbers; it leaves alone any cell
// that is a plain decimal number, which no spreadsheet takes for a formula,
// and so never changes a typed number.
func (w *structWriter) Write(row []string) error {
	if w.err != nil {
		return w.err
	}
	b := w.o.buf
	for i, c := range row {
		if i > 0 {
			b = append(b, w.delim)
		}
		var e valueError
		if b, e = w.appendText(b, c, !isDecimal(c)); e != "" {
			w.err = invalid("export.WriteStructs", privacy.Ref{}, "", fmt.Sprintf("column %d: %s", i+1, e))
			return w.err
		}
	}
	w.o.buf = append(b, '\r', '\n')
	if w.o.full() {
		if err := w.o.flush(); err != nil {
			w.err = &privacy.Error{Op: "export.WriteStructs", Msg: "writing csv failed", Err: err}
		}
	}
	return w.err
}

// Flush does nothing: gocsv calls it after every batch, and WriteStructs
// flushes once at the end instead.
func (w *structWriter) Flush() {}

func (w *structWriter) Error() error { return w.err }

// WriteStructs writes the host's own structs as CSV, one row per value, with
// a header row of the field names from their gocsv struct tags (`csv:"name"`).
// T must be a struct or a pointer to one. It uses the CSV dialect of opts
// (Delimiter, BOM, Raw; the other options do not apply) and never changes
// gocsv's package-level settings. It holds at most a few hundred rows at a
// time and returns how many it wrote.
//
// With the defence on, a cell that could be taken for a formula gets a
// leading apostrophe unless it is a plain decimal number; [ReadStructs]
// removes it again.
func WriteStructs[T any](ctx context.Context, w io.Writer, rows iter.Seq2[T, error], opts *Options) (int64, error) {
	const op = "export.WriteStructs"
	if err := checkStruct[T](op); err != nil {
		return 0, err
	}
	delim, defend, bom, err := csvOptions(op, opts)
	if err != nil {
		return 0, err
	}
	sw := &structWriter{csvDialect: newDialect(delim, defend), o: newOut(w)}
	if bom {
		sw.o.buf = append(sw.o.buf, 0xEF, 0xBB, 0xBF)
	}
	var n int64
	batch := make([]T, 0, structBatch)
	header := true
	put := func() error {
		first := n - int64(len(batch)) + 1
		var err error
		if header {
			err = gocsv.MarshalCSV(batch, sw)
			header = false
		} else {
			err = gocsv.MarshalCSVWithoutHeaders(batch, sw)
		}
		clear(batch)
		batch = batch[:0]
		if err == nil || errors.Is(err, sw.err) {
			return err
		}
		// gocsv's messages may quote a value; say only where it happened.
		return invalid(op, privacy.Ref{}, "", fmt.Sprintf("rows %d to %d: a field could not be written as text", first, n))
	}
	for v, err := range rows {
		if err != nil {
			return n, err
		}
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		batch = append(batch, v)
		n++
		if len(batch) == structBatch {
			if err := put(); err != nil {
				return n, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return n, err
	}
	if len(batch) > 0 || header {
		if err := put(); err != nil {
			return n, err
		}
	}
	if err := sw.o.flush(); err != nil {
		return n, &privacy.Error{Op: op, Msg: "writing csv failed", Err: err}
	}
	return n, nil
}

// rowFeed is the io.Reader ReadStructs gives encoding/csv: it reads rows in
// the export's dialect, undoes the defence, and hands them on as plain CSV.
type rowFeed struct {
	p       *csvParser
	defend  bool
	w       *csv.Writer
	buf     bytes.Buffer
	pending []byte
	cells   []string
	err     error
}

func (f *rowFeed) Read(b []byte) (int, error) {
	for len(f.pending) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		err := f.p.next()
		if err == errEOF {
			f.err = io.EOF
			continue
		}
		if err != nil {
			f.err = invalid("export.ReadStructs", privacy.Ref{}, "", err.Error())
			continue
		}
		f.cells = f.cells[:0]
		for i := range f.p.cells() {
			s, _ := f.p.cell(i)
			if f.defend && len(s) > 1 && s[0] == '\'' && needsPrefix(s[1:]) && !isDecimal(s[1:]) {
				s = s[1:]
			}
			f.cells = append(f.cells, s)
		}
		f.buf.Reset()
		f.w.Write(f.cells)
		f.w.Flush()
		f.pending = f.buf.Bytes()
	}
	n := copy(b, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// ReadStructs walks the rows of a CSV file with a header row, as
// [WriteStructs] writes it, decoding each into a T by its gocsv struct tags.
// It reads one row at a time and never changes gocsv's package-level
// settings (it does follow gocsv's header normaliser, if a host set one).
// As with encoding/csv, a CRLF inside a cell reads back as LF.
//
// After an error ReadStructs yields a [*privacy.Error] once and stops; the
// error names the row but never quotes a cell.
func ReadStructs[T any](ctx context.Context, r io.Reader, opts *ReadOptions) iter.Seq2[T, error] {
	const op = "export.ReadStructs"
	return func(yield func(T, error) bool) {
		var zero T
		fail := func(err error) {
			var perr *privacy.Error
			if !errors.As(err, &perr) {
				err = &privacy.Error{Op: op, Msg: "reading csv failed", Err: err}
			}
			yield(zero, err)
		}
		if err := checkStruct[T](op); err != nil {
			fail(err)
			return
		}
		delim, defend, err := opts.dialect(op)
		if err != nil {
			fail(err)
			return
		}
		feed := &rowFeed{p: newCSVParser(r, delim), defend: defend}
		feed.w = csv.NewWriter(&feed.buf)
		um, err := gocsv.NewUnmarshaller(csv.NewReader(feed), zero)
		if err != nil {
			if err == io.EOF {
				err = invalid(op, privacy.Ref{}, "", "no header row")
			}
			fail(err)
			return
		}
		for n := 1; ; n++ {
			if n&255 == 0 {
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
			}
			v, err := um.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				var perr *privacy.Error
				var cerr *csv.ParseError
				if !errors.As(err, &perr) && !errors.As(err, &cerr) {
					// gocsv's message quotes the cell; say only where.
					err = invalid(op, privacy.Ref{}, "", fmt.Sprintf("row %d: a cell does not fit its struct field", n))
				}
				fail(err)
				return
			}
			if !yield(v.(T), nil) {
				return
			}
		}
	}
}
