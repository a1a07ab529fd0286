package export

import (
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// bufSize is how much an encoder gathers before it writes: large enough that
// the writer sees few calls, small enough that memory stays flat.
const bufSize = 64 << 10

// out gathers an encoder's bytes and hands them to the writer in chunks of
// about bufSize. Encoders append to buf directly.
type out struct {
	w   io.Writer
	buf []byte
	n   int64 // bytes the writer accepted
}

func newOut(w io.Writer) *out { return &out{w: w, buf: make([]byte, 0, bufSize+bufSize/4)} }

// full reports whether buf should be written out.
func (o *out) full() bool { return len(o.buf) >= bufSize }

// flush writes buf and empties it.
func (o *out) flush() error {
	if len(o.buf) == 0 {
		return nil
	}
	n, err := o.w.Write(o.buf)
	o.n += int64(n)
	if err == nil && n < len(o.buf) {
		err = io.ErrShortWrite
	}
	if cap(o.buf) > 4*bufSize {
		// One huge record grew the buffer; give the memory back.
		o.buf = make([]byte, 0, bufSize+bufSize/4)
	} else {
		o.buf = o.buf[:0]
	}
	return err
}

// meter counts the bytes written through it and, when h is set, hashes them.
type meter struct {
	w io.Writer
	n int64
	h hash.Hash
}

func (m *meter) Write(p []byte) (int, error) {
	n, err := m.w.Write(p)
	m.n += int64(n)
	if m.h != nil {
		m.h.Write(p[:n])
	}
	return n, err
}

// valueError is what is wrong with a field value, without the value.
type valueError string

const (
	errType    valueError = "value of unsupported type"
	errUTF8    valueError = "string value is not valid UTF-8"
	errNaN     valueError = "float value is NaN or infinite"
	errZero    valueError = "time value is zero (use nil for no time)"
	errYear    valueError = "time value outside the years 0000 to 9999"
	errXMLChar valueError = "string value holds a character XML cannot carry"
)

func invalid(op string, ref privacy.Ref, field, msg string) error {
	return &privacy.Error{Op: op, Ref: ref, Field: field, Msg: msg, Err: privacy.ErrInvalid}
}

// fieldError names the record and field whose value is wrong; for a value of
// an unsupported type it names the type, never the value.
func fieldError(op string, ref privacy.Ref, f *privacy.Field, e valueError) error {
	msg := string(e)
	if e == errType {
		msg = fmt.Sprintf("%s %T (want string, int64, float64, bool, time.Time or nil)", e, f.Value)
	}
	return invalid(op, ref, f.Name, msg)
}

// appendFloat writes f as encoding/json does: plain decimals from 1e-6 up to
// 1e21, exponent notation outside, and always the shortest text that parses
// back to f.
func appendFloat(b []byte, f float64) ([]byte, valueError) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, errNaN
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Turn e-07 into e-7, as encoding/json does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, ""
}

// pairs holds the two digits of 0 to 99, for appendTime.
const pairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendTime writes t as RFC 3339 in UTC with as many fractional digits as it
// needs (none for a whole second), as time.RFC3339Nano does. It is written
// out by hand because every record has times and time.Time.AppendFormat
// was a third of the CSV encoder's time; TestAppendTime holds it to
// AppendFormat.
func appendTime(b []byte, t time.Time) ([]byte, valueError) {
	if t.IsZero() {
		return b, errZero
	}
	sec := t.Unix()
	// Days since 0000-03-01 and the civil date from them, after Howard
	// Hinnant's days_from_civil, inverted.
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	z := days + 719468 // 1970-01-01 is day 719468 after 0000-03-01
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era-- // floor, for the days before 0000-03-01
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
		y++
	}
	if y < 0 || y > 9999 {
		return b, errYear
	}
	hh, mm, ss := rem/3600, rem/60%60, rem%60
	cy, yy := 2*(y/100), 2*(y%100)
	m, d, hh, mm, ss = 2*m, 2*d, 2*hh, 2*mm, 2*ss
	b = append(b,
		pairs[cy], pairs[cy+1], pairs[yy], pairs[yy+1], '-',
		pairs[m], pairs[m+1], '-',
		pairs[d], pairs[d+1], 'T',
		pairs[hh], pairs[hh+1], ':',
		pairs[mm], pairs[mm+1], ':',
		pairs[ss], pairs[ss+1])
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z'), ""
}

// parseTime is the inverse of appendTime.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not an RFC 3339 time")
	}
	return t.UTC(), nil
}

// needsPrefix reports whether s, as a spreadsheet cell, could be taken for a
// formula: after any leading apostrophes it begins with = + - @ or a tab,
// carriage return, line feed or NUL. Counting the apostrophes makes the
// defence reversible: a leading apostrophe then = gets a second apostrophe,
// and undoing it removes exactly one apostrophe again.
func needsPrefix(s string) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	if i == len(s) {
		return false
	}
	switch s[i] {
	case '=', '+', '-', '@', '\t', '\r', '\n', 0:
		return true
	}
	return false
}

// unprefix undoes the defence: it removes the apostrophe that needsPrefix
// called for.
func unprefix(s string) string {
	if len(s) > 1 && s[0] == '\'' && needsPrefix(s[1:]) {
		return s[1:]
	}
	return s
}

// isDecimal reports whether s is a plain decimal number such as "-12",
// "+3.5" or "1e-7": a cell no spreadsheet takes for a formula.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
