package export

import (
	"html/template"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/smartbooqing/steward/privacy"
)

// pageTemplates are the HTML format's page, written in three parts so that
// records stream through one at a time, and the archive's index.html.
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

{{define "record"}}<section>
<h2>{{.Heading}}</h2>
{{if .Restricted}}<p class="note">{{.Restricted}}</p>
{{end}}<table>
<thead><tr><th>{{.T.Field}}</th><th>{{.T.Value}}</th><th>{{.T.Class}}</th></tr></thead>
<tbody>
<tr><th scope="row">{{.T.Subject}}</th><td>{{.Subject}}</td><td></td></tr>
{{if .Created}}<tr><th scope="row">{{.T.Created}}</th><td><time datetime="{{.CreatedAt}}">{{.Created}}</time></td><td></td></tr>
{{end}}{{range .Events}}<tr><th scope="row">{{$.T.Events}}: {{.Name}}</th><td><time datetime="{{.At}}">{{.Shown}}</time></td><td></td></tr>
{{end}}{{range .Fields}}<tr><th scope="row">{{.Label}}</th><td>{{.Value}}</td><td>{{.Class}}</td></tr>
{{end}}</tbody>
</table>
</section>
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

type pageText struct {
	Field, Value, Class, Subject, Created, Events string
}

type pageEvent struct{ Name, At, Shown string }

type pageField struct{ Label, Value, Class string }

type pageRecord struct {
	T          *pageText
	Heading    string
	Subject    string
	Restricted string
	Created    string
	CreatedAt  string
	Events     []pageEvent
	Fields     []pageField
}

// htmlSink writes the HTML format: a page with one section per record, each
// field a table row with its label, value and class.
type htmlSink struct {
	o     *out
	tmpl  *template.Template
	l     *labels
	t     pageText
	rec   pageRecord
	names []string
	n     int64
}

func (e *Encoder) newHTML(w io.Writer, cat privacy.Category, l *labels) (*htmlSink, error) {
	s := &htmlSink{o: newOut(w), tmpl: e.page, l: l}
	s.t = pageText{
		Field:   l.text("html.field"),
		Value:   l.text("html.value"),
		Class:   l.text("html.class"),
		Subject: l.text("column." + KeySubject),
		Created: l.text("column." + KeyCreated),
		Events:  l.text("column." + KeyEvents),
	}
	s.rec.T = &s.t
	head := struct{ Lang, Title string }{l.tag.String(), l.text("html.category", l.category(string(cat)))}
	if err := s.tmpl.ExecuteTemplate(appender{s.o}, "head", head); err != nil {
		return nil, &privacy.Error{Op: "export.Encode", Ref: privacy.Ref{Category: cat}, Msg: "writing html failed", Err: err}
	}
	return s, nil
}

func (s *htmlSink) record(r *privacy.Record) error {
	const op = "export.Encode"
	for _, id := range [...]string{string(r.Ref.Category), r.Ref.ID, string(r.Subject)} {
		if !utf8.ValidString(id) {
			return invalid(op, r.Ref, "", "identifier is not valid UTF-8")
		}
	}
	p := &s.rec
	p.Heading = s.l.text("html.record", r.Ref.ID)
	p.Subject = string(r.Subject)
	p.Restricted = ""
	if r.Restricted {
		p.Restricted = s.l.text("html.restricted")
	}
	p.Created, p.CreatedAt = "", ""
	if !r.Created.IsZero() {
		b, e := appendTime(nil, r.Created)
		if e != "" {
			return invalid(op, r.Ref, "", "creation "+string(e))
		}
		p.Created, p.CreatedAt = showTime(r.Created), string(b)
	}
	p.Events = p.Events[:0]
	s.names = sortedNames(s.names, r.Events)
	for _, k := range s.names {
		at := r.Events[k]
		b, e := appendTime(nil, at)
		if e != "" || !utf8.ValidString(k) {
			return invalid(op, r.Ref, "", "event "+strconv.QuoteToASCII(k)+": invalid name or time")
		}
		p.Events = append(p.Events, pageEvent{Name: k, At: string(b), Shown: showTime(at)})
	}
	p.Fields = p.Fields[:0]
	for i := range r.Fields {
		f := &r.Fields[i]
		if !utf8.ValidString(f.Name) {
			return invalid(op, r.Ref, "", "a field name is not valid UTF-8")
		}
		if f.Class > privacy.Special {
			return fieldError(op, r.Ref, f, "unknown class")
		}
		v, e := s.show(f.Value)
		if e != "" {
			return fieldError(op, r.Ref, f, e)
		}
		p.Fields = append(p.Fields, pageField{Label: s.l.column(f.Name, false), Value: v, Class: s.l.text("class." + f.Class.String())})
	}
	if err := s.tmpl.ExecuteTemplate(appender{s.o}, "record", p); err != nil {
		return &privacy.Error{Op: op, Ref: r.Ref, Msg: "writing html failed", Err: err}
	}
	s.n++
	if s.o.full() {
		if err := s.o.flush(); err != nil {
			return writeError(HTML, r.Ref, err)
		}
	}
	return nil
}

// show renders a value for people.
func (s *htmlSink) show(v any) (string, valueError) {
	switch v := v.(type) {
	case nil:
		return s.l.text("value.nil"), ""
	case string:
		if !utf8.ValidString(v) {
			return "", errUTF8
		}
		return v, ""
	case int64:
		return strconv.FormatInt(v, 10), ""
	case float64:
		b, e := appendFloat(nil, v)
		return string(b), e
	case bool:
		return s.l.text("value." + strconv.FormatBool(v)), ""
	case time.Time:
		if _, e := appendTime(nil, v); e != "" {
			return "", e
		}
		return showTime(v), ""
	}
	return "", errType
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
