package privacy

import (
	"fmt"
	"time"
)

// RequestKind is a data subject right exercised by a request.
type RequestKind string

const (
	RequestAccess        RequestKind = "access"        // Art. 15
	RequestRectification RequestKind = "rectification" // Art. 16
	RequestErasure       RequestKind = "erasure"       // Art. 17
	RequestRestriction   RequestKind = "restriction"   // Art. 18
	RequestPortability   RequestKind = "portability"   // Art. 20
	RequestObjection     RequestKind = "objection"     // Art. 21
)

// Validate returns an error wrapping [ErrInvalid] for an unknown kind.
func (k RequestKind) Validate() error {
	switch k {
	case RequestAccess, RequestRectification, RequestErasure, RequestRestriction, RequestPortability, RequestObjection:
		return nil
	}
	return &Error{Op: "privacy.RequestKind.Validate", Msg: fmt.Sprintf("unknown request kind %q", string(k)), Err: ErrInvalid}
}

// RequestState is where a request stands.
type RequestState string

const (
	RequestReceived   RequestState = "received"
	RequestInProgress RequestState = "in_progress"
	RequestCompleted  RequestState = "completed"
	RequestRefused    RequestState = "refused"
)

// Deadline is the date by which a request must be answered: one calendar
// month after receipt (GDPR Art. 12(3)), counted in a zone, clamped to the end
// of a shorter month, and extendable once by up to two further months.
type Deadline struct {
	// Received is when the request came in.
	Received time.Time
	// Zone is the zone in which the calendar is read.
	Zone *time.Location
}

// Due returns the last day to answer, as the first instant after it in the
// deadline's zone, extended by months (0, 1 or 2). Received 31 January 2025
// gives the end of 28 February 2025; received 31 January 2024, the end of 29
// February 2024.
func (d Deadline) Due(extension int) time.Time {
	loc := d.Zone
	if loc == nil {
		loc = time.UTC
	}
	y, m, day := d.Received.In(loc).Date()
	months := int(m) - 1 + 1 + extension
	y += months / 12
	m = time.Month(months%12 + 1)
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	day = min(day, last)
	// The answer is due by the end of that day.
	return time.Date(y, m, day+1, 0, 0, 0, 0, loc)
}
