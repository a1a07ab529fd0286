package export

import (
	"fmt"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Format names an export file format. The names are stable: they appear in
// the manifest and as file extensions.
type Format string

const (
	CSV    Format = "csv"    // RFC 4180 table, one row per record
	JSON   Format = "json"   // one JSON document per category
	NDJSON Format = "ndjson" // one JSON object per line
	XML    Format = "xml"    // one XML document per category
	XLSX   Format = "xlsx"   // Office Open XML workbook, one sheet
	HTML   Format = "html"   // a page for people to read
)

// Formats lists every format in a fixed order.
func Formats() []Format { return []Format{CSV, JSON, NDJSON, XML, XLSX, HTML} }

// Validate returns an error wrapping [privacy.ErrInvalid] unless f is one of [Formats].
func (f Format) Validate() error {
	for _, g := range Formats() {
		if f == g {
			return nil
		}
	}
	return &privacy.Error{Op: "export.Format.Validate", Msg: fmt.Sprintf("unknown format %q", string(f)), Err: privacy.ErrInvalid}
}

// MediaType returns the IANA media type of files in format f.
func (f Format) MediaType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case JSON:
		return "application/json"
	case NDJSON:
		return "application/x-ndjson"
	case XML:
		return "application/xml"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case HTML:
		return "text/html; charset=utf-8"
	}
	return "application/octet-stream"
}

// tabular reports whether f lays records out in a fixed set of columns.
func (f Format) tabular() bool { return f == CSV || f == XLSX }

// Kind is the type of a column's values. Its string form is stable.
type Kind uint8

const (
	// KindAny is a column whose kind is not declared: it takes the kind of
	// the first non-nil value written to it.
	KindAny Kind = iota
	KindString
	KindInt   // int64
	KindFloat // float64
	KindBool
	KindTime // time.Time, written as RFC 3339 in UTC
)

// kindNames lists the names of the kinds, by value.
func kindNames() [6]string {
	return [...]string{KindAny: "any", KindString: "string", KindInt: "int", KindFloat: "float", KindBool: "bool", KindTime: "time"}
}

// String returns "any", "string", "int", "float", "bool" or "time".
func (k Kind) String() string {
	if names := kindNames(); int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) {
	if k > KindTime {
		return nil, &privacy.Error{Op: "export.Kind.MarshalText", Msg: fmt.Sprintf("unknown kind %d", uint8(k)), Err: privacy.ErrInvalid}
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames() {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return &privacy.Error{Op: "export.Kind.UnmarshalText", Msg: fmt.Sprintf("unknown kind %q", string(b)), Err: privacy.ErrInvalid}
}

// kindOf returns the kind of a field value, KindAny for nil, and false for a
// value of a type a field cannot hold.
func kindOf(v any) (Kind, bool) {
	switch v.(type) {
	case nil:
		return KindAny, true
	case string:
		return KindString, true
	case int64:
		return KindInt, true
	case float64:
		return KindFloat, true
	case bool:
		return KindBool, true
	case time.Time:
		return KindTime, true
	}
	return KindAny, false
}

// Column declares one field column of a category's table in the CSV and XLSX
// formats. Name is the field's name and the column's stable machine key.
type Column struct {
	Name  string
	Kind  Kind
	Class privacy.Class
}

// parseClass is the inverse of privacy.Class.String.
func parseClass(s string) (privacy.Class, bool) {
	for c := privacy.Plain; c <= privacy.Special; c++ {
		if c.String() == s {
			return c, true
		}
	}
	return 0, false
}

// The keys of the envelope columns that open every CSV and XLSX table, before
// the field columns. They are stable.
const (
	KeyID         = "id"
	KeySubject    = "subject"
	KeyCreated    = "created"
	KeyRestricted = "restricted"
	KeyEvents     = "events"
)

// envelope lists the keys of the envelope columns in file order.
func envelope() [5]string {
	return [...]string{KeyID, KeySubject, KeyCreated, KeyRestricted, KeyEvents}
}

// Summary describes one file an encoder wrote.
type Summary struct {
	Category privacy.Category
	Format   Format
	Records  int64 // records written
	Bytes    int64 // bytes written to the writer
	// Columns are the field columns of a CSV or XLSX file in file order,
	// after the envelope columns, with each kind as written (a KindAny
	// column that only ever held nil stays KindAny). Pass them to [ReadCSV].
	// Nil for the other formats.
	Columns []Column
}
