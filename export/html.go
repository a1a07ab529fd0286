package export

import (
	"html/template"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/smartbooqing/steward/privacy"
)

// pageTemplates are the head and foot of the HTML format's page and the
// archive's index.html. The records between head and foot are written by
// htmlSink.record, by hand: html/template, run once per record, made the
// page fifty times slower to write.
const pageTemplates = `
{{define "style"}}<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
td { white-space: pre-wrap; overflow-wrap: anywhere; }
thead th { background: #f0f0f0; }
.note { background: #fff7d6; border: 1px solid #e0c050; padding: 0.5em 1em; }
.alert { background: #fde2e2; border: 1px solid #d05050; padding: 0.5em 1em; font-weight: bold; }
code { overflow-wrap: anywhere; }
a { white-space: nowrap; }
section table { table-layout: fixed; }
section thead th:first-child { width: 30%; }
section thead th:last-child { width: 25%; }
</style>{{end}}

{{define "head"}}<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
{{template "style"}}
</head>
<body>
<h1>{{.Title}}</h1>
{{end}}

{{define "foot"}}<p>{{.}}</p>
</body>
</html>
{{end}}

{{define "index"}}<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.Title}}</title>
{{template "style"}}
</head>
<body>
<h1>{{.T.Title}}</h1>
{{if .Incomplete}}<p class="alert">{{.Incomplete}}</p>
{{end}}<p>{{.Intro}}</p>
<p>{{.Subject}}</p>
<h2>{{.T.Files}}</h2>
<table>
<thead><tr><th>{{.T.File}}</th><th>{{.T.Category}}</th><th>{{.T.Format}}</th><th>{{.T.Records}}</th><th>{{.T.Bytes}}</th><th>{{.T.Checksum}}</th></tr></thead>
<tbody>
{{range .Files}}<tr><td><a href="{{.Path}}">{{.Path}}</a></td><td>{{.Category}}</td><td>{{.Format}}</td><td>{{.Records}}</td><td>{{.Bytes}}</td><td><code>{{.SHA256}}</code></td></tr>
{{end}}</tbody>
</table>
<p class="note">{{.Cells}}</p>
<p>{{.Manifest}}</p>
<h2>{{.T.Kept}}</h2>
{{end}}

{{define "kept.head"}}<table>
<thead><tr><th>{{.Category}}</th><th>{{.Record}}</th><th>{{.Until}}</th><th>{{.Basis}}</th></tr></thead>
<tbody>
{{end}}

{{define "kept.row"}}<tr><td>{{.Category}}</td><td>{{.Record}}</td><td>{{if .Time}}<time datetime="{{.Time}}">{{.Until}}</time>{{else}}{{.Until}}{{end}}</td><td>{{.Basis}}</td></tr>
{{end}}

{{define "kept.foot"}}{{if .Any}}</tbody>
</table>
{{else}}<p>{{.None}}</p>
{{end}}{{end}}

{{define "index.foot"}}{{if .}}<p class="alert">{{.}}</p>
{{end}}<footer><p>steward</p></footer>
</body>
</html>
{{end}}
`

func parsePage() (*template.Template, error) {
	return template.New("export").Parse(pageTemplates)
}

// appender lets a template write into an out buffer.
type appender struct{ o *out }

func (a appender) Write(p []byte) (int, error) {
	a.o.buf = append(a.o.buf, p...)
	return len(p), nil
}

// showTime is how a page shows a time to people: UTC, to the second.
func showTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// appendHTML writes s escaped for HTML text and double-quoted attribute
// values, as html/template does: & < > " ' and + become character
// references and NUL becomes U+FFFD. s must be valid UTF-8.
func appendHTML(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '+':
			esc = "&#43;"
		case 0:
			esc = "\uFFFD"
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}

// appendShownTime writes t for people: UTC, to the second, such as
// "2024-03-15 10:30:00 UTC".
func appendShownTime(b []byte, t time.Time) ([]byte, valueError) {
	start := len(b)
	b, e := appendTime(b, t)
	if e != "" {
		return b, e
	}
	b[start+10] = ' '
	return append(b[:start+19], " UTC"...), ""
}

// htmlSink writes the HTML format: a page with one section per record, each
// field a table row with its label, value and class.
type htmlSink struct {
	o       *out
	tmpl    *template.Template
	l       *labels
	head    string            // the table head every record repeats
	rows    [3]string         // the labels of the subject, created and events rows, escaped
	classes [3]string         // the class labels, escaped
	values  [3]string         // the labels of nil, false and true, escaped
	fields  map[string]string // field labels by name, escaped
	names   []string
	n       int64
}

func (e *Encoder) newHTML(w io.Writer, cat privacy.Category, l *labels) (*htmlSink, error) {
	s := &htmlSink{o: newOut(w), tmpl: e.page, l: l, fields: map[string]string{}}
	esc := func(t string) string { return string(appendHTML(nil, t)) }
	s.head = "<table>\n<thead><tr><th>" + esc(l.text("html.field")) + "</th><th>" + esc(l.text("html.value")) + "</th><th>" + esc(l.text("html.class")) + "</th></tr></thead>\n<tbody>\n"
	s.rows = [3]string{esc(l.text("column." + KeySubject)), esc(l.text("column." + KeyCreated)), esc(l.text("column." + KeyEvents))}
	for c := privacy.Plain; c <= privacy.Special; c++ {
		s.classes[c] = esc(l.text("class." + c.String()))
	}
	s.values = [3]string{esc(l.text("value.nil")), esc(l.text("value.false")), esc(l.text("value.true"))}
	head := struct{ Lang, Title string }{l.tag.String(), l.text("html.category", l.category(string(cat)))}
	if err := s.tmpl.ExecuteTemplate(appender{s.o}, "head", head); err != nil {
		return nil, &privacy.Error{Op: "export.Encode", Ref: privacy.Ref{Category: cat}, Msg: "writing html failed", Err: err}
	}
	return s, nil
}

func (s *htmlSink) record(r *privacy.Record) error {
	const op = "export.Encode"
	if !utf8.ValidString(r.Ref.ID) || !utf8.ValidString(string(r.Subject)) {
		return invalid(op, r.Ref, "", "identifier is not valid UTF-8")
	}
	start := len(s.o.buf)
	b, field, msg := s.appendRecord(s.o.buf, r)
	if msg != "" {
		s.o.buf = b[:start]
		if field != nil {
			return fieldError(op, r.Ref, field, valueError(msg))
		}
		return invalid(op, r.Ref, "", msg)
	}
	s.o.buf = b
	s.n++
	if s.o.full() {
		if err := s.o.flush(); err != nil {
			return writeError(HTML, r.Ref, err)
		}
	}
	return nil
}

func (s *htmlSink) appendRecord(b []byte, r *privacy.Record) ([]byte, *privacy.Field, string) {
	var e valueError
	b = append(b, "<section>\n<h2>"...)
	b = appendHTML(b, s.l.text("html.record", r.Ref.ID))
	b = append(b, "</h2>\n"...)
	if r.Restricted {
		b = append(b, `<p class="note">`...)
		b = appendHTML(b, s.l.text("html.restricted"))
		b = append(b, "</p>\n"...)
	}
	b = append(b, s.head...)
	b = append(b, `<tr><th scope="row">`...)
	b = append(b, s.rows[0]...)
	b = append(b, "</th><td>"...)
	b = appendHTML(b, string(r.Subject))
	b = append(b, "</td><td></td></tr>\n"...)
	if !r.Created.IsZero() {
		b = append(b, `<tr><th scope="row">`...)
		b = append(b, s.rows[1]...)
		b = append(b, `</th><td><time datetime="`...)
		if b, e = appendTime(b, r.Created); e != "" {
			return b, nil, "creation " + string(e)
		}
		b = append(b, `">`...)
		b, _ = appendShownTime(b, r.Created)
		b = append(b, "</time></td><td></td></tr>\n"...)
	}
	s.names = sortedNames(s.names, r.Events)
	for _, k := range s.names {
		if !utf8.ValidString(k) {
			return b, nil, "an event name is not valid UTF-8"
		}
		b = append(b, `<tr><th scope="row">`...)
		b = append(b, s.rows[2]...)
		b = append(b, ": "...)
		b = appendHTML(b, k)
		b = append(b, `</th><td><time datetime="`...)
		if b, e = appendTime(b, r.Events[k]); e != "" {
			return b, nil, "event " + strconv.QuoteToASCII(k) + ": " + string(e)
		}
		b = append(b, `">`...)
		b, _ = appendShownTime(b, r.Events[k])
		b = append(b, "</time></td><td></td></tr>\n"...)
	}
	for i := range r.Fields {
		f := &r.Fields[i]
		if !utf8.ValidString(f.Name) {
			return b, nil, "a field name is not valid UTF-8"
		}
		if f.Class > privacy.Special {
			return b, f, "unknown class"
		}
		label, ok := s.fields[f.Name]
		if !ok {
			label = string(appendHTML(nil, s.l.column(f.Name, false)))
			s.fields[f.Name] = label
		}
		b = append(b, `<tr><th scope="row">`...)
		b = append(b, label...)
		b = append(b, "</th><td>"...)
		switch v := f.Value.(type) {
		case nil:
			b = append(b, s.values[0]...)
		case string:
			if !utf8.ValidString(v) {
				return b, f, string(errUTF8)
			}
			b = appendHTML(b, v)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case float64:
			b, e = appendFloat(b, v)
		case bool:
			if v {
				b = append(b, s.values[2]...)
			} else {
				b = append(b, s.values[1]...)
			}
		case time.Time:
			b, e = appendShownTime(b, v)
		default:
			e = errType
		}
		if e != "" {
			return b, f, string(e)
		}
		b = append(b, "</td><td>"...)
		b = append(b, s.classes[f.Class]...)
		b = append(b, "</td></tr>\n"...)
	}
	return append(b, "</tbody>\n</table>\n</section>\n"...), nil, ""
}

func (s *htmlSink) finish() error {
	if err := s.tmpl.ExecuteTemplate(appender{s.o}, "foot", s.l.text("html.count", s.n)); err != nil {
		return &privacy.Error{Op: "export.Encode", Msg: "writing html failed", Err: err}
	}
	if err := s.o.flush(); err != nil {
		return writeError(HTML, privacy.Ref{}, err)
	}
	return nil
}

func (s *htmlSink) columns() []Column { return nil }
func (s *htmlSink) close()            {}
