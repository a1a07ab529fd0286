package consent

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/smartbooqing/steward/privacy"
)

// maxID bounds identifiers so that a store with a column limit can keep every
// value the ledger accepts.
const maxID = 256

// checkName reports why s cannot be an identifier: empty, too long, or not
// valid UTF-8. The message never quotes s, which may identify a person.
func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty %s", what)
	case len(s) > maxID:
		return fmt.Errorf("%s longer than %d bytes", what, maxID)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	return nil
}

func checkPurposeName(p privacy.Purpose) error { return checkName("purpose", string(p)) }

// invalid returns an *privacy.Error wrapping ErrInvalid.
func invalid(op string, err error) error {
	return &privacy.Error{Op: op, Msg: err.Error(), Err: privacy.ErrInvalid}
}

// invalidf returns an *privacy.Error wrapping ErrInvalid with a formatted message.
func invalidf(op, format string, args ...any) error {
	return &privacy.Error{Op: op, Msg: fmt.Sprintf(format, args...), Err: privacy.ErrInvalid}
}

// wrap wraps an error from a store or audit log once, at the ledger. Context
// errors are returned as they are.
func wrap(op string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *privacy.Error
	if errors.As(err, &pe) && pe.Op == op {
		return err
	}
	return &privacy.Error{Op: op, Err: err}
}
