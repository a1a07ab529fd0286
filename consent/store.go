package consent

import (
	"context"
	"iter"

	"github.com/smartbooqing/steward/privacy"
)

// Store keeps the consent history. It is the interface a host implements to
// keep consent in its own database; [MemoryStore] is the default and
// storetest.RunConsentStore is its specification.
//
// The history is append-only: a store never changes or removes an event,
// except that [Store.Pseudonymise] replaces a subject by a pseudonym.
// Implementations must be safe for concurrent use. Values passed in and
// returned never alias the store's memory: changing a returned event's
// Recipients does not change the store. Events arrive validated by the
// [Ledger]; a store need not validate them again. Errors from a cancelled
// context are returned as they are.
type Store interface {
	// Append stores e as the newest event and returns it as stored, with Seq
	// set to a number higher than that of every event stored before it; the
	// Seq the caller set is ignored. Concurrent appends are each stored
	// exactly once, in some order.
	Append(ctx context.Context, e Event) (Event, error)

	// History yields every event of subject in Seq order (the order they were
	// appended). An unknown subject yields nothing: no error. After an error
	// it yields that error once and stops; when the caller stops early the
	// store releases what it holds. Events appended while the iteration runs
	// may or may not be yielded.
	History(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Event, error]

	// Current returns the event with the highest Seq for subject and purpose:
	// the current state of that consent. It returns an error wrapping
	// privacy.ErrNotFound when there is none. It must not read the whole
	// store: a host's store indexes (subject, purpose, seq).
	Current(ctx context.Context, subject privacy.SubjectID, purpose privacy.Purpose) (Event, error)

	// Pseudonymise replaces subject by pseudonym in every event of subject,
	// keeping each event's Seq and every other field, and returns how many
	// events it changed. Afterwards History and Current find those events
	// under pseudonym and none under subject. An unknown subject changes
	// nothing and returns 0. It is what erasure needs: the history keeps its
	// proof value without naming the person.
	Pseudonymise(ctx context.Context, subject, pseudonym privacy.SubjectID) (int, error)
}
