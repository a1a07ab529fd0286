package export

import (
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/smartbooqing/steward/privacy"
)

// The document type and version in every JSON and XML file and in the
// manifest. The version changes when a change could break a reader.
const (
	DocumentType    = "steward-export"
	DocumentVersion = 1
)

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string. It escapes what JSON requires
// and U+2028 and U+2029, as encoding/json does, and reports false for
// invalid UTF-8.
func appendJSONString(b []byte, s string) ([]byte, bool) {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return b, false
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}

// appendEvents writes events as a JSON object with the names in order. names
// is scratch space, returned for reuse. On failure it returns what is wrong.
func appendEvents(b []byte, events map[string]time.Time, names []string) ([]byte, []string, string) {
	names = sortedNames(names, events)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendJSONString(b, k); !ok {
			return b, names, "an event name is not valid UTF-8"
		}
		b = append(b, ':', '"')
		var e valueError
		if b, e = appendTime(b, events[k]); e != "" {
			return b, names, "event " + strconv.Quote(k) + ": " + string(e)
		}
		b = append(b, '"')
	}
	return append(b, '}'), names, ""
}

// jsonSink writes the JSON format (one document holding an array of
// records, one record per line) or, with lines set, NDJSON (one record per
// line and nothing else).
type jsonSink struct {
	o     *out
	cat   privacy.Category
	lines bool
	n     int64
	names []string
}

func newJSON(w io.Writer, cat privacy.Category, lines bool) *jsonSink {
	s := &jsonSink{o: newOut(w), cat: cat, lines: lines}
	if !lines {
		b := append(s.o.buf, `{"format":"`+DocumentType+`","version":`+strconv.Itoa(DocumentVersion)+`,"category":`...)
		b, _ = appendJSONString(b, string(cat))
		s.o.buf = append(b, `,"records":[`...)
	}
	return s
}

func (s *jsonSink) record(r *privacy.Record) error {
	start := len(s.o.buf)
	b := s.o.buf
	if !s.lines {
		if s.n > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b, field, msg := s.appendRecord(b, r)
	if msg != "" {
		s.o.buf = b[:start]
		if field != nil {
			return fieldError("export.Encode", r.Ref, field, valueError(msg))
		}
		return invalid("export.Encode", r.Ref, "", msg)
	}
	if s.lines {
		b = append(b, '\n')
	}
	s.o.buf = b
	s.n++
	if s.o.full() {
		if err := s.o.flush(); err != nil {
			return writeError(s.format(), r.Ref, err)
		}
	}
	return nil
}

func (s *jsonSink) format() Format {
	if s.lines {
		return NDJSON
	}
	return JSON
}

// appendRecord writes r as one JSON object.
func (s *jsonSink) appendRecord(b []byte, r *privacy.Record) ([]byte, *privacy.Field, string) {
	var ok bool
	b = append(b, `{"category":`...)
	b, _ = appendJSONString(b, string(s.cat))
	b = append(b, `,"id":`...)
	if b, ok = appendJSONString(b, r.Ref.ID); !ok {
		return b, nil, "record ID is not valid UTF-8"
	}
	b = append(b, `,"subject":`...)
	if b, ok = appendJSONString(b, string(r.Subject)); !ok {
		return b, nil, "subject is not valid UTF-8"
	}
	b = append(b, `,"created":`...)
	if r.Created.IsZero() {
		b = append(b, "null"...)
	} else {
		var e valueError
		b = append(b, '"')
		if b, e = appendTime(b, r.Created); e != "" {
			return b, nil, "creation " + string(e)
		}
		b = append(b, '"')
	}
	b = append(b, `,"restricted":`...)
	b = strconv.AppendBool(b, r.Restricted)
	b = append(b, `,"events":`...)
	var msg string
	if b, s.names, msg = appendEvents(b, r.Events, s.names); msg != "" {
		return b, nil, msg
	}
	b = append(b, `,"fields":[`...)
	for i := range r.Fields {
		f := &r.Fields[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		if b, ok = appendJSONString(b, f.Name); !ok {
			return b, nil, "a field name is not valid UTF-8"
		}
		if f.Class > privacy.Special {
			return b, f, "unknown class"
		}
		b = append(b, `,"class":"`...)
		b = append(b, f.Class.String()...)
		b = append(b, `","type":"`...)
		var e valueError
		switch v := f.Value.(type) {
		case nil:
			b = append(b, `null","value":null`...)
		case string:
			b = append(b, `string","value":`...)
			if b, ok = appendJSONString(b, v); !ok {
				e = errUTF8
			}
		case int64:
			b = append(b, `int","value":`...)
			b = strconv.AppendInt(b, v, 10)
		case float64:
			b = append(b, `float","value":`...)
			b, e = appendFloat(b, v)
		case bool:
			b = append(b, `bool","value":`...)
			b = strconv.AppendBool(b, v)
		case time.Time:
			b = append(b, `time","value":"`...)
			b, e = appendTime(b, v)
			b = append(b, '"')
		default:
			e = errType
		}
		if e != "" {
			return b, f, string(e)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...), nil, ""
}

func (s *jsonSink) finish() error {
	if !s.lines {
		s.o.buf = append(s.o.buf, "\n]}\n"...)
	}
	if err := s.o.flush(); err != nil {
		return writeError(s.format(), privacy.Ref{}, err)
	}
	return nil
}

func (s *jsonSink) columns() []Column { return nil }
func (s *jsonSink) close()            {}
