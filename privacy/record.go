package privacy

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SubjectID identifies the natural person data is about (the data subject).
// It is an opaque identifier chosen by the host; steward never parses it.
type SubjectID string

// Category names a kind of record, such as "invoice" or "contact".
type Category string

// Purpose names why data is processed, such as "delivery" or "marketing".
type Purpose string

// Ref identifies one record: its category and its ID within that category.
// Refs order by category, then ID (see [Ref.Compare]).
type Ref struct {
	Category Category
	ID       string
}

// String returns "category/id".
func (r Ref) String() string { return string(r.Category) + "/" + r.ID }

// IsZero reports whether r is the zero Ref.
func (r Ref) IsZero() bool { return r.Category == "" && r.ID == "" }

// Compare orders refs by category, then by ID, bytewise. It returns -1, 0 or +1.
func (r Ref) Compare(o Ref) int {
	if c := strings.Compare(string(r.Category), string(o.Category)); c != 0 {
		return c
	}
	return strings.Compare(r.ID, o.ID)
}

// Class says how sensitive a field is.
type Class uint8

const (
	// Plain data is not about an identifiable person on its own (an amount, a
	// product code).
	Plain Class = iota
	// Personal data relates to an identified or identifiable person (GDPR Art. 4(1)).
	Personal
	// Special-category data (GDPR Art. 9): health, religion, ethnicity and the like.
	Special
)

var classNames = [...]string{Plain: "plain", Personal: "personal", Special: "special"}

// String returns "plain", "personal" or "special".
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// IsPersonal reports whether c is personal or special-category data.
func (c Class) IsPersonal() bool { return c == Personal || c == Special }

// Field is one named value of a record. Value is one of string, int64,
// float64, bool, time.Time or nil.
type Field struct {
	Name  string
	Value any
	Class Class
}

// Record is the envelope steward sees of a host's row.
type Record struct {
	Ref     Ref
	Subject SubjectID
	// Created is when the record was made. A zero Created is missing data:
	// retention then keeps the record.
	Created time.Time
	// Events are named lifecycle events, such as "contract.ended" or
	// "first.use", with the time each happened.
	Events map[string]time.Time
	Fields []Field
	// Restricted marks processing as restricted (GDPR Art. 18): the record is
	// kept, but used for nothing but the obligation that keeps it.
	Restricted bool
}

// Well-known event names used by the presets and the facade.
const (
	EventContractEnded = "contract.ended"
	EventFirstUse      = "first.use"
)

// Field returns the field called name.
func (r *Record) Field(name string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Clone returns a deep copy of r: changing the copy's Events or Fields does not
// change r. Field values are immutable types, so they are shared.
func (r Record) Clone() Record {
	r.Events = maps.Clone(r.Events)
	r.Fields = slices.Clone(r.Fields)
	return r
}

// Validate reports the first problem with r as an [*Error] wrapping
// [ErrInvalid]: an empty category, ID or subject, invalid UTF-8 in an
// identifier, a zero creation time, an unnamed or duplicate field, a value of
// an unsupported type, a NaN or infinite number, invalid UTF-8 in a string
// value, or an event with an empty name or zero time. The error names the
// record and the field, never a value.
func (r *Record) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &Error{Op: "privacy.Record.Validate", Ref: r.Ref, Field: field, Msg: fmt.Sprintf(format, args...), Err: ErrInvalid}
	}
	switch {
	case r.Ref.Category == "":
		return bad("", "empty category")
	case r.Ref.ID == "":
		return bad("", "empty record ID")
	case r.Subject == "":
		return bad("", "empty subject")
	case !utf8.ValidString(string(r.Ref.Category)) || !utf8.ValidString(r.Ref.ID) || !utf8.ValidString(string(r.Subject)):
		return bad("", "identifier is not valid UTF-8")
	case r.Created.IsZero():
		return bad("", "zero creation time")
	}
	for name, at := range r.Events {
		if name == "" {
			return bad("", "event with an empty name")
		}
		if at.IsZero() {
			return bad("", "event %q has a zero time", name)
		}
	}
	for i, f := range r.Fields {
		if f.Name == "" {
			return bad("", "field %d has no name", i)
		}
		if !utf8.ValidString(f.Name) {
			return bad("", "field %d has a name that is not valid UTF-8", i)
		}
		if f.Class > Special {
			return bad(f.Name, "unknown class %d", f.Class)
		}
		for _, g := range r.Fields[:i] {
			if g.Name == f.Name {
				return bad(f.Name, "duplicate field")
			}
		}
		if err := CheckValue(f.Value); err != nil {
			return bad(f.Name, "%v", err)
		}
	}
	return nil
}

// CheckValue reports why v cannot be a field value, or nil if it can. The
// message describes the problem without quoting the value.
func CheckValue(v any) error {
	switch v := v.(type) {
	case nil, int64, bool:
		return nil
	case string:
		if !utf8.ValidString(v) {
			return fmt.Errorf("string value is not valid UTF-8")
		}
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("float value is NaN or infinite")
		}
	case time.Time:
		if v.IsZero() {
			return fmt.Errorf("time value is zero (use nil for no time)")
		}
	default:
		return fmt.Errorf("value of unsupported type %T (want string, int64, float64, bool, time.Time or nil)", v)
	}
	return nil
}
