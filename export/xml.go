package export

import (
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/smartbooqing/steward/privacy"
)

// appendXML writes s as XML character data or, with attr set, as an
// attribute value between double quotes. It escapes & < > and, so that a
// parser gives back exactly what went in, CR always and tab and LF in
// attributes. It returns errUTF8 or errXMLChar for text XML 1.0 cannot carry:
// invalid UTF-8, control characters other than tab, LF and CR, and U+FFFE
// and U+FFFF.
func appendXML(b []byte, s string, attr bool) ([]byte, valueError) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c >= 0x20 && c != '&' && c != '<' && c != '>' && c != '"':
				i++
				continue
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '"':
				if !attr {
					i++
					continue
				}
				esc = "&quot;"
			case c == '\r':
				esc = "&#xD;"
			case c == '\n':
				if !attr {
					i++
					continue
				}
				esc = "&#xA;"
			case c == '\t':
				if !attr {
					i++
					continue
				}
				esc = "&#x9;"
			default:
				return b, errXMLChar
			}
			b = append(b, s[start:i]...)
			b = append(b, esc...)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return b, errUTF8
		}
		if r == 0xFFFE || r == 0xFFFF {
			return b, errXMLChar
		}
		i += size
	}
	return append(b, s[start:]...), ""
}

// checkXML reports why s cannot be XML text, as appendXML would, without
// writing it.
func checkXML(s string) valueError {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return errXMLChar
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return errUTF8
		}
		if r == 0xFFFE || r == 0xFFFF {
			return errXMLChar
		}
		i += size
	}
	return ""
}

// xmlSink writes the XML format:
//
//	<export format="steward-export" version="1" category="invoice">
//	<record id="…" subject="…" created="…" restricted="false">
//	<event name="contract.ended" at="…"/>
//	<field name="amount" class="plain" type="int">1250</field>
//	</record>
//	</export>
type xmlSink struct {
	o      *out
	names  []string
	catErr valueError // what is wrong with the category, reported on the first record
}

func newXML(w io.Writer, cat privacy.Category) *xmlSink {
	s := &xmlSink{o: newOut(w)}
	b := append(s.o.buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<export format="`+DocumentType+`" version="`+strconv.Itoa(DocumentVersion)+`" category="`...)
	// A category that XML cannot carry fails on the first record, which
	// names it.
	b, s.catErr = appendXML(b, string(cat), true)
	s.o.buf = append(b, "\">\n"...)
	return s
}

func (s *xmlSink) record(r *privacy.Record) error {
	start := len(s.o.buf)
	b, field, msg := s.appendRecord(s.o.buf, r)
	if msg != "" {
		s.o.buf = b[:start]
		if field != nil {
			return fieldError("export.Encode", r.Ref, field, valueError(msg))
		}
		return invalid("export.Encode", r.Ref, "", msg)
	}
	s.o.buf = b
	if s.o.full() {
		if err := s.o.flush(); err != nil {
			return writeError(XML, r.Ref, err)
		}
	}
	return nil
}

func (s *xmlSink) appendRecord(b []byte, r *privacy.Record) ([]byte, *privacy.Field, string) {
	var e valueError
	if s.catErr != "" {
		return b, nil, "category: " + string(s.catErr)
	}
	b = append(b, `<record id="`...)
	if b, e = appendXML(b, r.Ref.ID, true); e != "" {
		return b, nil, "record ID: " + string(e)
	}
	b = append(b, `" subject="`...)
	if b, e = appendXML(b, string(r.Subject), true); e != "" {
		return b, nil, "subject: " + string(e)
	}
	if !r.Created.IsZero() {
		b = append(b, `" created="`...)
		if b, e = appendTime(b, r.Created); e != "" {
			return b, nil, "creation " + string(e)
		}
	}
	b = append(b, `" restricted="`...)
	b = strconv.AppendBool(b, r.Restricted)
	b = append(b, "\">\n"...)
	if len(r.Events) > 0 {
		s.names = sortedNames(s.names, r.Events)
		for _, k := range s.names {
			b = append(b, `<event name="`...)
			if b, e = appendXML(b, k, true); e != "" {
				return b, nil, "event name: " + string(e)
			}
			b = append(b, `" at="`...)
			if b, e = appendTime(b, r.Events[k]); e != "" {
				return b, nil, "event " + strconv.Quote(k) + ": " + string(e)
			}
			b = append(b, "\"/>\n"...)
		}
	}
	for i := range r.Fields {
		f := &r.Fields[i]
		b = append(b, `<field name="`...)
		if b, e = appendXML(b, f.Name, true); e != "" {
			return b, nil, "field name: " + string(e)
		}
		if f.Class > privacy.Special {
			return b, f, "unknown class"
		}
		b = append(b, `" class="`...)
		b = append(b, f.Class.String()...)
		b = append(b, `" type="`...)
		switch v := f.Value.(type) {
		case nil:
			b = append(b, "null\"/>\n"...)
			continue
		case string:
			b = append(b, `string">`...)
			b, e = appendXML(b, v, false)
		case int64:
			b = append(b, `int">`...)
			b = strconv.AppendInt(b, v, 10)
		case float64:
			b = append(b, `float">`...)
			b, e = appendFloat(b, v)
		case bool:
			b = append(b, `bool">`...)
			b = strconv.AppendBool(b, v)
		case time.Time:
			b = append(b, `time">`...)
			b, e = appendTime(b, v)
		default:
			e = errType
		}
		if e != "" {
			return b, f, string(e)
		}
		b = append(b, "</field>\n"...)
	}
	return append(b, "</record>\n"...), nil, ""
}

// sortedNames returns the event names in order, in names' storage.
func sortedNames(names []string, events map[string]time.Time) []string {
	names = names[:0]
	for k := range events {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func (s *xmlSink) finish() error {
	s.o.buf = append(s.o.buf, "</export>\n"...)
	if err := s.o.flush(); err != nil {
		return writeError(XML, privacy.Ref{}, err)
	}
	return nil
}

func (s *xmlSink) columns() []Column { return nil }
func (s *xmlSink) close()            {}
