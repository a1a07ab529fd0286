package privacy

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"
)

// Action names what an audit event records. The names are stable.
type Action string

const (
	ActionHoldPlaced       Action = "hold.placed"
	ActionHoldReleased     Action = "hold.released"
	ActionDisposed         Action = "record.disposed"   // a tombstone: a record was deleted by a sweep or erasure
	ActionMinimised        Action = "record.minimised"  // personal fields masked, record restricted
	ActionRectified        Action = "record.rectified"  // personal fields changed at the subject's request
	ActionErased           Action = "subject.erased"    // an erasure request was carried out
	ActionBypass           Action = "retention.bypass"  // a governance rule was overridden
	ActionDisclosed        Action = "disclosure"        // data passed to a third party
	ActionDisclosureDenied Action = "disclosure.denied" // a disclosure refused for want of consent or order
	ActionConsentGiven     Action = "consent.given"
	ActionConsentWithdrawn Action = "consent.withdrawn"
	ActionConsentRefused   Action = "consent.refused"
	ActionConsentExpired   Action = "consent.expired"
	ActionConsentForgotten Action = "consent.forgotten" // a subject's consent history pseudonymised
	ActionArchiveRead      Action = "archive.read"
	ActionArchived         Action = "subject.archived" // records made readable only by an appointed administrator
	ActionEventRecorded    Action = "record.event"     // a lifecycle event such as contract.ended recorded on a record
	ActionRequest          Action = "request"          // a data subject request received, extended, completed or refused
)

// Hash is a SHA-256 digest in the audit chain.
type Hash [32]byte

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeros, the Prev of the first event.
func (h Hash) IsZero() bool { return h == Hash{} }

// Event is one audit entry. It carries identifiers and counts, never a field's
// value. Seq, Prev and Hash are set by [Event.Chain] when the event is appended.
type Event struct {
	Seq     uint64    // position in the log, from 1
	Time    time.Time // when it happened; stored in UTC at microsecond precision
	Action  Action
	Actor   string    // who did it: an operator, an administrator, "system", "subject"
	Subject SubjectID // whom it concerns, if anyone
	Ref     Ref       // the record concerned, if any
	Object  string    // the ID of the thing acted on: a hold, request, recipient, notice or rule
	Count   int64     // how many, where that means something
	Reason  string    // a reason code or legal reference; never a value
	Prev    Hash      // Hash of the event before, zero for the first
	Hash    Hash      // SHA-256 over every other field
}

// Head is the newest position of a log: its sequence number and hash.
type Head struct {
	Seq  uint64
	Hash Hash
}

// Chain returns e placed after head: Seq is head.Seq+1, Prev is head.Hash,
// Time is in UTC truncated to microseconds (what SQL stores keep), and Hash is
// computed. Stores call it inside whatever makes their appends serial.
func (e Event) Chain(head Head) Event {
	e.Seq = head.Seq + 1
	e.Prev = head.Hash
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.Hash = e.Sum()
	return e
}

// Sum computes the hash of e over every field but Hash, in a length-prefixed
// encoding so that no two different events hash alike.
func (e *Event) Sum() Hash {
	h := sha256.New()
	var n [8]byte
	num := func(v uint64) {
		binary.BigEndian.PutUint64(n[:], v)
		h.Write(n[:])
	}
	str := func(s string) {
		num(uint64(len(s)))
		h.Write([]byte(s))
	}
	str("steward.audit.v1")
	num(e.Seq)
	num(uint64(e.Time.UTC().UnixMicro()))
	str(string(e.Action))
	str(e.Actor)
	str(string(e.Subject))
	str(string(e.Ref.Category))
	str(e.Ref.ID)
	str(e.Object)
	num(uint64(e.Count))
	str(e.Reason)
	h.Write(e.Prev[:])
	var out Hash
	h.Sum(out[:0])
	return out
}

// AuditLog is an append-only, hash-chained log of audit events.
//
// Implementations must be safe for concurrent use and keep appends in one total
// order: each stored event is the result of [Event.Chain] on the head before it.
type AuditLog interface {
	// Append chains e after the newest event, stores it and returns it as
	// stored (with Seq, Time, Prev and Hash set). Fields the caller set for
	// Seq, Prev and Hash are ignored.
	Append(ctx context.Context, e Event) (Event, error)
	// Events yields the events with Seq greater than after, in Seq order.
	// After an error it yields that error once and stops. Events appended
	// while the iteration runs may or may not be yielded.
	Events(ctx context.Context, after uint64) iter.Seq2[Event, error]
}

// Verify walks the whole log and checks that sequence numbers run from 1
// without gaps, that each event's Prev is the Hash of the event before, and
// that each Hash matches the event's content. It returns the head it verified.
// A changed or removed entry gives an error wrapping [ErrConflict] that names
// the first bad sequence number.
func Verify(ctx context.Context, log AuditLog) (Head, error) {
	return VerifyFrom(ctx, log, Head{})
}

// VerifyFrom is [Verify] that also checks the log still holds a head recorded
// earlier: the event at known.Seq must have hash known.Hash, which finds a log
// whose newest entries were cut off or rewritten.
func VerifyFrom(ctx context.Context, log AuditLog, known Head) (Head, error) {
	var head Head
	fail := func(seq uint64, msg string) (Head, error) {
		return head, &Error{Op: "privacy.Verify", Msg: fmt.Sprintf("event %d: %s", seq, msg), Err: ErrConflict}
	}
	for e, err := range log.Events(ctx, 0) {
		if err != nil {
			return head, err
		}
		switch {
		case e.Seq != head.Seq+1:
			return fail(head.Seq+1, fmt.Sprintf("missing (next stored is %d)", e.Seq))
		case e.Prev != head.Hash:
			return fail(e.Seq, "does not link to the event before it")
		case e.Sum() != e.Hash:
			return fail(e.Seq, "content does not match its hash")
		}
		head = Head{Seq: e.Seq, Hash: e.Hash}
		if known.Seq == head.Seq && known.Hash != head.Hash {
			return fail(e.Seq, "differs from the head recorded earlier")
		}
	}
	if known.Seq > head.Seq {
		return fail(head.Seq+1, fmt.Sprintf("missing: log ends at %d but %d was recorded earlier", head.Seq, known.Seq))
	}
	return head, nil
}

// MemoryAuditLog is an AuditLog in memory: a slice and a mutex. The zero value
// is an empty log ready for use.
type MemoryAuditLog struct {
	mu     sync.RWMutex
	events []Event
}

var _ AuditLog = (*MemoryAuditLog)(nil)

// NewMemoryAuditLog returns an empty log.
func NewMemoryAuditLog() *MemoryAuditLog { return &MemoryAuditLog{} }

// Append implements [AuditLog].
func (l *MemoryAuditLog) Append(ctx context.Context, e Event) (Event, error) {
	if err := ctx.Err(); err != nil {
		return Event{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var head Head
	if n := len(l.events); n > 0 {
		head = Head{Seq: l.events[n-1].Seq, Hash: l.events[n-1].Hash}
	}
	e = e.Chain(head)
	l.events = append(l.events, e)
	return e, nil
}

// Events implements [AuditLog]. It yields a snapshot taken when iteration starts.
func (l *MemoryAuditLog) Events(ctx context.Context, after uint64) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		l.mu.RLock()
		snap := l.events[min(after, uint64(len(l.events))):]
		snap = slices.Clip(snap)
		l.mu.RUnlock()
		for _, e := range snap {
			if err := ctx.Err(); err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Len returns the number of events.
func (l *MemoryAuditLog) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.events)
}
