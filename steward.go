package steward

import (
	"context"
	"crypto/rand"
	"fmt"
	"iter"
	"time"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// Records is the host's store of records, as Steward reads and changes them
// for one subject at a time. Implementations must be safe for concurrent use,
// and must read the active holds covering a record inside the same atomic
// step as a change (they keep holds, or share a database with the hold store).
// [retention.MemoryStore] and package sqlstore implement it.
type Records interface {
	// BySubject yields every record of subject in Ref order; an unknown
	// subject yields nothing. After an error it yields the error once and
	// stops. Yielded records are copies.
	BySubject(ctx context.Context, subject privacy.SubjectID) iter.Seq2[privacy.Record, error]
	// Update replaces the record next.Ref by next if check, called with the
	// record as stored and the active holds covering it, returns nil, and
	// appends event to the audit log, in one atomic step. A missing record
	// gives an error wrapping privacy.ErrNotFound; check's error comes back
	// unchanged.
	Update(ctx context.Context, next privacy.Record, check retention.Check, event privacy.Event) error
	// Dispose deletes the record ref if check approves and appends tomb, in
	// one atomic step, as retention.Inventory.Dispose.
	Dispose(ctx context.Context, ref privacy.Ref, check retention.Check, tomb privacy.Event) error
}

// Notifier tells a recipient that data disclosed to it was rectified or
// erased (GDPR Art. 19). Implementations must be safe for concurrent use.
type Notifier interface {
	// Notify passes n on to n.Recipient. An error is reported in the
	// operation's result; the operation itself stands.
	Notify(ctx context.Context, n Notification) error
}

// Notification is what a recipient is told: which subject's data changed and
// how, never the values.
type Notification struct {
	Recipient string
	Subject   privacy.SubjectID
	Kind      privacy.RequestKind // RequestRectification or RequestErasure
	Refs      []privacy.Ref
	Fields    []string // the fields changed, for a rectification
	Time      time.Time
}

// Options configures [New]. The zero value gives in-memory defaults.
type Options struct {
	// Policy decides retention; nil is a policy with no rules, under which
	// nothing is retained and nothing is due.
	Policy *retention.Policy
	// EarlierPolicies are policies in force before Policy. A request names
	// the policy it was received under; one kept in a database outlives the
	// process, and [Steward.PolicyFor] finds its policy among Policy and
	// these.
	EarlierPolicies []*retention.Policy
	// Holds keeps legal holds. Nil uses the records store when it is a
	// retention.HoldStore (as the memory store and sqlstore are).
	Holds retention.HoldStore
	// Consent is the consent ledger. It needs a pseudonym key, with which
	// erasure pseudonymises the consent history. Nil is a ledger over memory
	// stores with a random key and no purposes but the cookie categories.
	Consent *consent.Ledger
	// Audit is the audit log. It must be the log the records store writes
	// its tombstones and events to. Nil: the records store's log when it has
	// an AuditLog method, or a new in-memory log.
	Audit privacy.AuditLog
	// Clock tells the time; nil is the system clock.
	Clock privacy.Clock
	// Mask replaces the personal fields erasure removes from a retained
	// record; nil is privacy.Null().
	Mask privacy.Mask
	// Notifier tells recipients of rectification and erasure; nil tells no one.
	Notifier Notifier
	// Requests keeps data subject requests. Nil: the records store's when it
	// has a Requests method returning a RequestStore (as sqlstore has), so
	// that requests outlive the process with the records; else memory.
	Requests RequestStore
	// Archives keeps archive grants. Nil: the records store's when it has an
	// Archives method returning an ArchiveStore (as sqlstore has); else
	// memory.
	Archives ArchiveStore
	// Zone is where request deadlines are counted; "" is Europe/Amsterdam.
	Zone string
	// Labels name categories for people, per language.
	Labels Labels
	// Source says where the data came from, for the access report (Art.
	// 15(1)(g)); "" says it was provided by the subject.
	Source string
	// Actor names the system in audit events; "" is "system".
	Actor string
}

// Steward is what a host embeds: erasure, access, rectification, requests,
// contract end, archive mode, export and sweeps, each keeping the rules of
// the privacy statement. It is safe for concurrent use.
type Steward struct {
	records  Records
	holds    *retention.Holds
	policy   *retention.Policy
	consent  *consent.Ledger
	audit    privacy.AuditLog
	clock    privacy.Clock
	mask     privacy.Mask
	notifier Notifier
	requests RequestStore
	archives ArchiveStore
	zone     *time.Location
	labels   Labels
	source   string
	actor    string
	policies *policyRegistry
}

// New returns a Steward over records; nil records is a new in-memory store.
func New(records Records, opts *Options) (*Steward, error) {
	const op = "steward.New"
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Audit == nil {
		if l, ok := records.(interface{ AuditLog() privacy.AuditLog }); ok {
			o.Audit = l.AuditLog()
		} else {
			o.Audit = privacy.NewMemoryAuditLog()
		}
	}
	if records == nil {
		records = retention.NewMemoryStore(o.Audit)
	}
	if o.Holds == nil {
		hs, ok := records.(retention.HoldStore)
		if !ok {
			return nil, &privacy.Error{Op: op, Msg: "the records store keeps no holds: pass Options.Holds backed by the same database", Err: privacy.ErrInvalid}
		}
		o.Holds = hs
	}
	if o.Clock == nil {
		o.Clock = privacy.SystemClock{}
	}
	if o.Policy == nil {
		p, err := retention.NewPolicy()
		if err != nil {
			return nil, err
		}
		o.Policy = p
	}
	if o.Consent == nil {
		// The default ledger lives in memory, so a random pseudonym key loses
		// nothing: the history it pseudonymises does not outlive the process.
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, privacy.Wrap(op, err)
		}
		l, err := consent.New(nil, &consent.Options{Clock: o.Clock, Audit: o.Audit, PseudonymKey: key})
		if err != nil {
			return nil, err
		}
		o.Consent = l
	}
	if o.Mask == nil {
		o.Mask = privacy.Null()
	}
	if rs, ok := records.(interface{ Requests() RequestStore }); ok && o.Requests == nil {
		o.Requests = rs.Requests()
	}
	if as, ok := records.(interface{ Archives() ArchiveStore }); ok && o.Archives == nil {
		o.Archives = as.Archives()
	}
	if o.Requests == nil {
		o.Requests = NewMemoryRequests()
	}
	if o.Archives == nil {
		o.Archives = NewMemoryArchives()
	}
	if o.Zone == "" {
		o.Zone = "Europe/Amsterdam"
	}
	zone, err := time.LoadLocation(o.Zone)
	if err != nil {
		return nil, &privacy.Error{Op: op, Msg: fmt.Sprintf("time zone %q: %v", o.Zone, err), Err: privacy.ErrInvalid}
	}
	if o.Actor == "" {
		o.Actor = "system"
	}
	s := &Steward{
		records:  records,
		holds:    retention.NewHolds(o.Holds, &retention.HoldsOptions{Audit: o.Audit, Clock: o.Clock}),
		policy:   o.Policy,
		consent:  o.Consent,
		audit:    o.Audit,
		clock:    o.Clock,
		mask:     o.Mask,
		notifier: o.Notifier,
		requests: o.Requests,
		archives: o.Archives,
		zone:     zone,
		labels:   o.Labels,
		source:   o.Source,
		actor:    o.Actor,
		policies: newPolicyRegistry(),
	}
	s.policies.add(o.Policy)
	for _, p := range o.EarlierPolicies {
		if p == nil {
			return nil, &privacy.Error{Op: op, Msg: "an earlier policy is nil", Err: privacy.ErrInvalid}
		}
		s.policies.add(p)
	}
	return s, nil
}

// Holds returns the legal holds, to place and release them.
func (s *Steward) Holds() *retention.Holds { return s.holds }

// Consent returns the consent ledger.
func (s *Steward) Consent() *consent.Ledger { return s.consent }

// Policy returns the retention policy in force.
func (s *Steward) Policy() *retention.Policy { return s.policy }

// AuditLog returns the audit log.
func (s *Steward) AuditLog() privacy.AuditLog { return s.audit }

// Sweeper returns a sweeper over the records store, which must be a
// retention.Inventory (the memory store and sqlstore are).
func (s *Steward) Sweeper() (*retention.Sweeper, error) {
	inv, ok := s.records.(retention.Inventory)
	if !ok {
		return nil, &privacy.Error{Op: "steward.Sweeper", Msg: "the records store is not a retention.Inventory", Err: privacy.ErrUnimplemented}
	}
	return retention.NewSweeper(inv, s.holds.Store(), s.policy, &retention.SweeperOptions{Clock: s.clock, Audit: s.audit, Actor: s.actor})
}

// subjectRecords collects a subject's records; one subject's records are few.
func (s *Steward) subjectRecords(ctx context.Context, subject privacy.SubjectID) ([]privacy.Record, error) {
	var out []privacy.Record
	for r, err := range s.records.BySubject(ctx, subject) {
		if err != nil {
			return nil, err
		}
		if r.Subject != subject {
			// A store that yields another subject's record is broken; acting
			// on it would touch someone else's data.
			return nil, &privacy.Error{Op: "steward", Ref: r.Ref, Msg: "records store yielded a record of another subject", Err: privacy.ErrConflict}
		}
		out = append(out, r)
	}
	return out, nil
}

func checkSubject(op string, subject privacy.SubjectID) error {
	if subject == "" {
		return &privacy.Error{Op: op, Msg: "empty subject", Err: privacy.ErrInvalid}
	}
	return nil
}
