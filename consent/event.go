package consent

import (
	"slices"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// State is the state a consent event records. The string forms are stable and
// used in storage.
type State string

const (
	Given     State = "given"     // the subject agreed
	Withdrawn State = "withdrawn" // the subject took back an earlier consent
	Refused   State = "refused"   // the subject was asked and said no
	Expired   State = "expired"   // the validity of a consent ran out
)

// Valid reports whether s is one of the four states.
func (s State) Valid() bool {
	switch s {
	case Given, Withdrawn, Refused, Expired:
		return true
	}
	return false
}

// Method says how a consent decision was collected (ISO/IEC TS 27560
// "collection method"). Hosts may use their own values; these are the common
// ones.
type Method string

const (
	MethodWeb     Method = "web"     // a form or banner on a website
	MethodApp     Method = "app"     // a mobile or desktop application
	MethodEmail   Method = "email"   // a reply to an e-mail
	MethodPaper   Method = "paper"   // a signed form
	MethodVerbal  Method = "verbal"  // by telephone or in person, noted by an operator
	MethodSystem  Method = "system"  // recorded by steward itself: expiry, erasure
	MethodAPI     Method = "api"     // a host's back end on the subject's instruction
	MethodImport  Method = "import"  // carried over from an earlier system
	MethodUnknown Method = "unknown" // history whose method was not kept
)

// Event is one entry of the consent history, shaped after the consent record
// of ISO/IEC TS 27560: who, for what, on which basis, in which state, under
// which notice, how, by whom, when, for how long, where and for which
// recipients. Events are never changed once stored, except that erasure
// replaces the subject by a pseudonym.
type Event struct {
	// Seq is the position of the event in its store, from 1, assigned by
	// [Store.Append]. A later event has a higher Seq.
	Seq     uint64
	Subject privacy.SubjectID
	Purpose privacy.Purpose
	Basis   privacy.LegalBasis // the purpose's legal basis when the event was recorded
	State   State
	// The notice the subject was shown: its ID, version, the language of the
	// text shown (canonical BCP 47 tag) and the content hash of the version.
	Notice       NoticeID
	Version      int
	Language     string
	NoticeHash   string
	Method       Method
	Actor        string    // who recorded it: "subject", a guardian, an operator's ID, "system"
	Time         time.Time // when the decision was made; UTC, microsecond precision
	Expires      time.Time // end of validity of a given consent; zero means until withdrawn
	Jurisdiction string    // where the consent was collected, such as "NL" or "EU"
	// Recipients are the third parties the subject agreed data may be
	// disclosed to for this purpose; only meaningful for a given consent.
	Recipients []string
}

// Clone returns a copy of e that shares no memory with it.
func (e Event) Clone() Event {
	e.Recipients = slices.Clone(e.Recipients)
	return e
}

// ExpiredAt reports whether e is a given consent whose validity has run out
// at t.
func (e *Event) ExpiredAt(t time.Time) bool {
	return e.State == Given && !e.Expires.IsZero() && !t.Before(e.Expires)
}

// Names reports whether e names recipient among its recipients.
func (e *Event) Names(recipient string) bool {
	return slices.Contains(e.Recipients, recipient)
}
