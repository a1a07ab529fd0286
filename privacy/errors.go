package privacy

import (
	"context"
	"errors"
	"strings"
)

// The sentinel errors. Every error a steward package returns wraps exactly one
// of them; test with errors.Is. Context errors are returned as they are.
var (
	// ErrNotFound: the subject, record, hold, notice or request does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the operation contradicts the current state, such as
	// placing a hold whose ID exists or releasing a released hold.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed or out of range.
	ErrInvalid = errors.New("invalid input")
	// ErrHeld: a legal hold keeps the record.
	ErrHeld = errors.New("under legal hold")
	// ErrRetained: a retention rule keeps the record.
	ErrRetained = errors.New("under retention")
	// ErrNoConsent: processing or disclosure needs a consent or legal order
	// that is not there.
	ErrNoConsent = errors.New("no consent")
	// ErrUnimplemented: the store or option does not support the operation.
	ErrUnimplemented = errors.New("unimplemented")
)

// Error describes a failed operation. It names the operation, and where known
// the record and field, but never a field's value or a subject's identity, so
// it is safe to log.
type Error struct {
	Op    string // the operation, such as "retention.NewPolicy"
	Ref   Ref    // the record concerned, if any
	Field string // the field concerned, if any
	Msg   string // what is wrong, in words
	Err   error  // the sentinel or underlying error
}

// Error returns "op: category/id: field: msg: err", leaving out empty parts.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	add := func(s string) {
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(s)
	}
	if !e.Ref.IsZero() {
		add(e.Ref.String())
	}
	if e.Field != "" {
		add("field " + e.Field)
	}
	add(e.Msg)
	if e.Err != nil {
		add(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Wrap puts err in an [*Error] for op, once: nil, context errors and errors
// that already are an *Error come back as they are. Concrete types wrap the
// errors of the stores they call with it.
func Wrap(op string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return &Error{Op: op, Err: err}
}
