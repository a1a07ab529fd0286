package retention

import (
	"context"
	"fmt"
	"iter"
	"time"
	"unicode/utf8"

	"github.com/smartbooqing/steward/privacy"
)

// ScopeKind says what a hold covers.
type ScopeKind uint8

const (
	// ScopeSubject covers every record of one subject.
	ScopeSubject ScopeKind = iota + 1
	// ScopeCategory covers every record of one category.
	ScopeCategory
	// ScopeRecord covers one record.
	ScopeRecord
)

var scopeNames = [...]string{ScopeSubject: "subject", ScopeCategory: "category", ScopeRecord: "record"}

// String returns "subject", "category" or "record".
func (k ScopeKind) String() string {
	if int(k) < len(scopeNames) && scopeNames[k] != "" {
		return scopeNames[k]
	}
	return fmt.Sprintf("ScopeKind(%d)", uint8(k))
}

// Scope is what a hold covers: a subject, a category, or one record. Build it
// with [SubjectScope], [CategoryScope] or [RecordScope].
type Scope struct {
	Kind     ScopeKind
	Subject  privacy.SubjectID // for ScopeSubject
	Category privacy.Category  // for ScopeCategory
	Ref      privacy.Ref       // for ScopeRecord
}

// SubjectScope covers every record of subject.
func SubjectScope(subject privacy.SubjectID) Scope {
	return Scope{Kind: ScopeSubject, Subject: subject}
}

// CategoryScope covers every record of category.
func CategoryScope(category privacy.Category) Scope {
	return Scope{Kind: ScopeCategory, Category: category}
}

// RecordScope covers the record ref.
func RecordScope(ref privacy.Ref) Scope { return Scope{Kind: ScopeRecord, Ref: ref} }

// Covers reports whether the scope covers r.
func (s Scope) Covers(r *privacy.Record) bool {
	switch s.Kind {
	case ScopeSubject:
		return r.Subject == s.Subject
	case ScopeCategory:
		return r.Ref.Category == s.Category
	case ScopeRecord:
		return r.Ref == s.Ref
	}
	return false
}

// String returns "subject", "category invoice" or "record invoice/7"; a
// subject's ID is left out, since it may itself be personal data.
func (s Scope) String() string {
	switch s.Kind {
	case ScopeCategory:
		return "category " + string(s.Category)
	case ScopeRecord:
		return "record " + s.Ref.String()
	}
	return s.Kind.String()
}

func (s Scope) validate() error {
	switch s.Kind {
	case ScopeSubject:
		if s.Subject == "" || s.Category != "" || !s.Ref.IsZero() {
			return fmt.Errorf("subject scope needs a subject and nothing else")
		}
	case ScopeCategory:
		if s.Category == "" || s.Subject != "" || !s.Ref.IsZero() {
			return fmt.Errorf("category scope needs a category and nothing else")
		}
	case ScopeRecord:
		if s.Ref.Category == "" || s.Ref.ID == "" || s.Subject != "" || s.Category != "" {
			return fmt.Errorf("record scope needs a category and an ID and nothing else")
		}
	default:
		return fmt.Errorf("unknown scope kind %d", s.Kind)
	}
	return nil
}

// Ground is why a hold is placed.
type Ground string

const (
	GroundLaw        Ground = "law"         // a statutory duty to preserve
	GroundCourtOrder Ground = "court_order" // an order of a court or authority
	GroundLegalClaim Ground = "legal_claim" // establishment, exercise or defence of legal claims (GDPR Art. 17(3)(e))
)

// Hold is a legal hold: while active, it keeps every record in its scope whole,
// whatever any rule says.
type Hold struct {
	ID         string // unique
	Matter     string // the case or matter, named in erasure reports
	Ground     Ground
	Scope      Scope
	PlacedBy   string
	PlacedAt   time.Time
	ReleasedBy string
	ReleasedAt time.Time // zero while active
}

// Active reports whether the hold has not been released.
func (h *Hold) Active() bool { return h.ReleasedAt.IsZero() }

// HoldStore keeps holds. Implementations must be safe for concurrent use, and
// return values the caller may change without changing the store.
type HoldStore interface {
	// Put stores a new hold. It returns an error wrapping privacy.ErrConflict
	// if a hold with the same ID exists, released or not.
	Put(ctx context.Context, h Hold) error
	// Release marks the hold released by by at at, and returns it as stored.
	// It returns an error wrapping privacy.ErrNotFound for an unknown ID and
	// privacy.ErrConflict for a hold already released.
	Release(ctx context.Context, id, by string, at time.Time) (Hold, error)
	// Get returns the hold with the ID, or an error wrapping privacy.ErrNotFound.
	Get(ctx context.Context, id string) (Hold, error)
	// Active yields every active hold in ID order. After an error it yields
	// the error once and stops.
	Active(ctx context.Context) iter.Seq2[Hold, error]
	// Covering returns the active holds that cover a record of subject with
	// ref, in ID order; none is an empty slice and no error.
	Covering(ctx context.Context, subject privacy.SubjectID, ref privacy.Ref) ([]Hold, error)
}

// Holds places and releases legal holds, writing an audit event for each. It
// is safe for concurrent use.
type Holds struct {
	store HoldStore
	audit privacy.AuditLog
	clock privacy.Clock
}

// HoldsOptions configures [NewHolds]. The zero value is usable.
type HoldsOptions struct {
	Audit privacy.AuditLog // nil: a new in-memory log
	Clock privacy.Clock    // nil: the system clock
}

// NewHolds returns a Holds over store; a nil store is a new [MemoryStore].
func NewHolds(store HoldStore, opts *HoldsOptions) *Holds {
	var o HoldsOptions
	if opts != nil {
		o = *opts
	}
	if store == nil {
		store = NewMemoryStore(o.Audit)
	}
	if o.Audit == nil {
		o.Audit = privacy.NewMemoryAuditLog()
	}
	if o.Clock == nil {
		o.Clock = privacy.SystemClock{}
	}
	return &Holds{store: store, audit: o.Audit, clock: o.Clock}
}

// Store returns the store the holds are kept in.
func (h *Holds) Store() HoldStore { return h.store }

// Place validates and stores hold, stamped with the clock's time, and writes
// a hold.placed audit event. ID, Matter, Ground, Scope and PlacedBy are
// required; PlacedAt, ReleasedBy and ReleasedAt must be empty. If the audit
// write fails the hold stays placed (keeping more is the safe side) and the
// error says so.
func (h *Holds) Place(ctx context.Context, hold Hold) (Hold, error) {
	const op = "retention.Holds.Place"
	if err := validateHold(&hold); err != nil {
		return Hold{}, &privacy.Error{Op: op, Msg: err.Error(), Err: privacy.ErrInvalid}
	}
	hold.PlacedAt = h.clock.Now()
	if err := h.store.Put(ctx, hold); err != nil {
		return Hold{}, privacy.Wrap(op, err)
	}
	if _, err := h.audit.Append(ctx, privacy.Event{
		Time: hold.PlacedAt, Action: privacy.ActionHoldPlaced, Actor: hold.PlacedBy,
		Subject: hold.Scope.Subject, Ref: hold.Scope.Ref, Object: hold.ID,
		Reason: string(hold.Ground) + ":" + hold.Scope.Kind.String(),
	}); err != nil {
		return hold, privacy.Wrap(op, fmt.Errorf("hold %s placed but not audited: %w", hold.ID, err))
	}
	return hold, nil
}

// Release releases the hold with the ID and writes a hold.released audit
// event. An unknown ID gives an error wrapping privacy.ErrNotFound, a hold
// already released one wrapping privacy.ErrConflict.
func (h *Holds) Release(ctx context.Context, id, by string) (Hold, error) {
	const op = "retention.Holds.Release"
	if id == "" || by == "" {
		return Hold{}, &privacy.Error{Op: op, Msg: "hold ID and releasing actor are required", Err: privacy.ErrInvalid}
	}
	hold, err := h.store.Release(ctx, id, by, h.clock.Now())
	if err != nil {
		return Hold{}, privacy.Wrap(op, err)
	}
	if _, err := h.audit.Append(ctx, privacy.Event{
		Time: hold.ReleasedAt, Action: privacy.ActionHoldReleased, Actor: by,
		Subject: hold.Scope.Subject, Ref: hold.Scope.Ref, Object: hold.ID,
		Reason: string(hold.Ground) + ":" + hold.Scope.Kind.String(),
	}); err != nil {
		return hold, privacy.Wrap(op, fmt.Errorf("hold %s released but not audited: %w", id, err))
	}
	return hold, nil
}

// Get returns the hold with the ID.
func (h *Holds) Get(ctx context.Context, id string) (Hold, error) {
	hold, err := h.store.Get(ctx, id)
	return hold, privacy.Wrap("retention.Holds.Get", err)
}

// Active yields every active hold in ID order.
func (h *Holds) Active(ctx context.Context) iter.Seq2[Hold, error] {
	return h.store.Active(ctx)
}

// Covering returns the active holds that cover r.
func (h *Holds) Covering(ctx context.Context, r *privacy.Record) ([]Hold, error) {
	hs, err := h.store.Covering(ctx, r.Subject, r.Ref)
	return hs, privacy.Wrap("retention.Holds.Covering", err)
}

func validateHold(h *Hold) error {
	switch {
	case h.ID == "" || !utf8.ValidString(h.ID):
		return fmt.Errorf("hold needs an ID in UTF-8")
	case h.Matter == "" || !utf8.ValidString(h.Matter):
		return fmt.Errorf("hold %s needs a matter in UTF-8", h.ID)
	case h.Ground != GroundLaw && h.Ground != GroundCourtOrder && h.Ground != GroundLegalClaim:
		return fmt.Errorf("hold %s: unknown ground %q (want law, court_order or legal_claim)", h.ID, string(h.Ground))
	case h.PlacedBy == "":
		return fmt.Errorf("hold %s needs the actor who places it", h.ID)
	case !h.PlacedAt.IsZero() || h.ReleasedBy != "" || !h.ReleasedAt.IsZero():
		return fmt.Errorf("hold %s: placed and released times are set by the library", h.ID)
	}
	if err := h.Scope.validate(); err != nil {
		return fmt.Errorf("hold %s: %v", h.ID, err)
	}
	return nil
}
