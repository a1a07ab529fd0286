package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"time"
)

// Mask is a strategy that replaces a field's value during erasure or
// minimisation. Implementations are safe for concurrent use.
type Mask interface {
	// Name identifies the strategy in reports: "null", "fixed", "pseudonym" or "redact".
	Name() string
	// Accepts reports whether the strategy can mask a value of v's type.
	Accepts(v any) bool
	// Apply returns the masked value, or an error wrapping [ErrInvalid] when
	// v's type is not accepted. The error never quotes v.
	Apply(v any) (any, error)
}

// MaskField returns f with its value masked by m. A nil value stays nil: there
// is nothing to hide.
func MaskField(f Field, m Mask) (Field, error) {
	if f.Value == nil {
		return f, nil
	}
	v, err := m.Apply(f.Value)
	if err != nil {
		return f, &Error{Op: "privacy.MaskField", Field: f.Name, Msg: m.Name() + " mask", Err: err}
	}
	f.Value = v
	return f, nil
}

func refuse(m Mask, v any) error {
	return fmt.Errorf("%s mask does not accept a value of type %T: %w", m.Name(), v, ErrInvalid)
}

// Null returns the mask that replaces any value by nil. It accepts every type.
func Null() Mask { return nullMask{} }

type nullMask struct{}

func (nullMask) Name() string           { return "null" }
func (nullMask) Accepts(any) bool       { return true }
func (nullMask) Apply(any) (any, error) { return nil, nil }

// Fixed returns the mask that replaces a string by text. It accepts strings only.
func Fixed(text string) Mask { return fixedMask{text} }

type fixedMask struct{ text string }

func (fixedMask) Name() string { return "fixed" }
func (fixedMask) Accepts(v any) bool {
	_, ok := v.(string)
	return ok
}
func (m fixedMask) Apply(v any) (any, error) {
	if !m.Accepts(v) {
		return nil, refuse(m, v)
	}
	return m.text, nil
}

// Redact returns the mask that keeps a value's type and drops its content:
// "" for a string, 0 for numbers, false for a bool, and the Unix epoch for a
// time. Use it where a column must stay typed and non-null. It accepts string,
// int64, float64, bool and time.Time.
func Redact() Mask { return redactMask{} }

type redactMask struct{}

func (redactMask) Name() string { return "redact" }
func (redactMask) Accepts(v any) bool {
	switch v.(type) {
	case string, int64, float64, bool, time.Time:
		return true
	}
	return false
}
func (m redactMask) Apply(v any) (any, error) {
	switch v.(type) {
	case string:
		return "", nil
	case int64:
		return int64(0), nil
	case float64:
		return float64(0), nil
	case bool:
		return false, nil
	case time.Time:
		return time.Unix(0, 0).UTC(), nil
	}
	return nil, refuse(m, v)
}

// MinPseudonymKey is the shortest key [Pseudonym] accepts, in bytes.
const MinPseudonymKey = 16

// Pseudonym returns the mask that replaces a value by a keyed HMAC-SHA256
// pseudonym such as "ps:GEZDGNBVGY3TQOJQ": the same key and value always give
// the same pseudonym, so joins across records survive, while the value cannot
// be recovered without the key. It accepts string and int64; a string and an
// int64 that print alike give different pseudonyms. The key must be at least
// [MinPseudonymKey] bytes; keep it apart from the data, since whoever holds it
// can test guesses.
func Pseudonym(key []byte) (Mask, error) {
	if len(key) < MinPseudonymKey {
		return nil, &Error{Op: "privacy.Pseudonym", Msg: fmt.Sprintf("key of %d bytes, want at least %d", len(key), MinPseudonymKey), Err: ErrInvalid}
	}
	return pseudonymMask{key: append([]byte(nil), key...)}, nil
}

type pseudonymMask struct{ key []byte }

func (pseudonymMask) Name() string { return "pseudonym" }
func (pseudonymMask) Accepts(v any) bool {
	switch v.(type) {
	case string, int64:
		return true
	}
	return false
}
func (m pseudonymMask) Apply(v any) (any, error) {
	mac := hmac.New(sha256.New, m.key)
	switch v := v.(type) {
	case string:
		mac.Write([]byte{'s'})
		mac.Write([]byte(v))
	case int64:
		var b [9]byte
		b[0] = 'i'
		binary.BigEndian.PutUint64(b[1:], uint64(v))
		mac.Write(b[:])
	default:
		return nil, refuse(m, v)
	}
	sum := mac.Sum(nil)
	return "ps:" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]), nil
}
