package retention

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Check approves a disposal: it is given the record as stored and the active
// holds that cover it, and returns nil to let the deletion go ahead.
type Check func(r privacy.Record, holds []Hold) error

// Inventory is the host's set of records, as a sweep walks and disposes of them.
// An Inventory must also be where holds are kept (it shares them with a
// [HoldStore]), since a disposal must see a hold placed a moment before.
// Implementations must be safe for concurrent use.
type Inventory interface {
	// Scan yields the records whose Ref is greater than after, in Ref order
	// (see privacy.Ref.Compare); the zero Ref starts at the beginning. A
	// record deleted or added during the walk may or may not be yielded, but
	// none is yielded twice. After an error it yields the error once and
	// stops; when yield returns false it releases what it holds.
	Scan(ctx context.Context, after privacy.Ref) iter.Seq2[privacy.Record, error]
	// Dispose deletes the record ref if check, called with the record as
	// stored and the active holds covering it, returns nil; and it appends
	// tomb to the store's audit log. Reading, checking, deleting and writing
	// the tombstone are one atomic step: a hold stored before Dispose starts
	// is seen, and no record is deleted without its tombstone. It returns
	// check's error unchanged, or an error wrapping privacy.ErrNotFound when
	// the record does not exist.
	Dispose(ctx context.Context, ref privacy.Ref, check Check, tomb privacy.Event) error
}

// PagedInventory is an optional interface of an [Inventory] that disposes of
// records a page at a time, each page one atomic step (one transaction in a
// SQL store). A [Sweeper] uses it when the inventory has it: a store can then
// delete a page and write its tombstones in a statement each, and several
// sweepers can divide the work (FOR UPDATE SKIP LOCKED in PostgreSQL).
type PagedInventory interface {
	Inventory
	// DisposePage handles the next page: up to size records whose Ref is
	// greater than after, in Ref order. Inside one atomic step it reads them,
	// locking them so that no other sweeper gets them (a store may skip
	// records another sweeper has locked: that sweeper decides on them);
	// reads the active holds covering each, such that a hold stored before
	// the step began is seen and one stored concurrently is seen or waits
	// until the step ends; and calls decide once with the records and their
	// holds (holds[i] covers page[i]). The records may come without their
	// Fields, which no sweep decides on, so that a store need not decode
	// them. decide returns the audit events to append, in order: each event
	// whose Action is privacy.ActionDisposed is the tombstone of a record of
	// the page, named in its Ref, which the store deletes; other events are
	// appended as they are. Deleting and appending happen in the same step.
	// If decide returns an error the page changes nothing and DisposePage
	// returns the error. It returns the Ref of the page's last record and
	// the number of records in the page; an empty page ends a walk.
	DisposePage(ctx context.Context, after privacy.Ref, size int,
		decide func(page []privacy.Record, holds [][]Hold) ([]privacy.Event, error)) (last privacy.Ref, n int, err error)
}

// ConcurrentPages is an optional interface of a [PagedInventory] whose
// pages may be under way at once, each in its own atomic step, such as a
// database with a connection per page. A [Sweeper] then starts the next page
// as soon as the one before it has been read (after that page's last
// record, so that no record is in both) and so reads one page while it
// writes the other.
type ConcurrentPages interface {
	PagedInventory
	// PagesAtOnce is how many pages a sweep may have under way at once; 1
	// or less means one.
	PagesAtOnce() int
}

func pagesAtOnce(inv PagedInventory) int {
	if c, ok := inv.(ConcurrentPages); ok {
		return max(c.PagesAtOnce(), 1)
	}
	return 1
}

// Sweeper finds records whose retention has ended or whose storage limit has
// passed, and disposes of them. It is safe for concurrent use; several
// sweepers over one inventory never dispose of a record twice.
type Sweeper struct {
	inv    Inventory
	holds  HoldStore
	policy *Policy
	clock  privacy.Clock
	audit  privacy.AuditLog
	actor  string
}

// SweeperOptions configures [NewSweeper]. The zero value is usable.
type SweeperOptions struct {
	Clock privacy.Clock    // nil: the system clock
	Audit privacy.AuditLog // where bypasses are recorded; nil: a new in-memory log
	Actor string           // who the tombstones name; "": "system"
}

// NewSweeper returns a sweeper over inv that reads active holds from holds
// and decides with policy.
func NewSweeper(inv Inventory, holds HoldStore, policy *Policy, opts *SweeperOptions) (*Sweeper, error) {
	if inv == nil || holds == nil || policy == nil {
		return nil, &privacy.Error{Op: "retention.NewSweeper", Msg: "inventory, hold store and policy are required", Err: privacy.ErrInvalid}
	}
	var o SweeperOptions
	if opts != nil {
		o = *opts
	}
	if o.Clock == nil {
		o.Clock = privacy.SystemClock{}
	}
	if o.Audit == nil {
		o.Audit = privacy.NewMemoryAuditLog()
	}
	if o.Actor == "" {
		o.Actor = "system"
	}
	return &Sweeper{inv: inv, holds: holds, policy: policy, clock: o.Clock, audit: o.Audit, actor: o.Actor}, nil
}

// Candidate is a record a sweep would dispose of, with the decision that says so.
type Candidate struct {
	Ref      privacy.Ref
	Subject  privacy.SubjectID
	Decision Decision
}

// Plan is a dry run: it yields every record that is due now, with its
// reasons, and changes nothing.
func (s *Sweeper) Plan(ctx context.Context) iter.Seq2[Candidate, error] {
	return func(yield func(Candidate, error) bool) {
		idx, err := s.loadHolds(ctx)
		if err != nil {
			yield(Candidate{}, err)
			return
		}
		now := s.clock.Now()
		var buf []Hold
		for r, err := range s.inv.Scan(ctx, privacy.Ref{}) {
			if err != nil {
				yield(Candidate{}, err)
				return
			}
			buf = idx.covering(&r, buf[:0])
			d := s.policy.Resolve(&r, buf, now)
			if d.Outcome == Due && !yield(Candidate{Ref: r.Ref, Subject: r.Subject, Decision: d}, nil) {
				return
			}
		}
	}
}

// ExecuteOptions configures one [Sweeper.Execute]. The zero value disposes of
// everything that is due.
type ExecuteOptions struct {
	// Max caps the disposals of this run; zero means no cap. When the cap is
	// reached, Report.Next says where a following run may resume.
	Max int
	// After resumes a capped run: only records with a greater Ref are looked at.
	After privacy.Ref
	// Progress, if set, is called after every ProgressEvery records looked at
	// (after every page, over a PagedInventory) and once at the end. It runs
	// outside any store lock or transaction.
	Progress func(Progress)
	// ProgressEvery is how often Progress is called; zero means every 1000 records.
	ProgressEvery int
	// PageSize is how many records one atomic step of a PagedInventory
	// handles; zero means DefaultPageSize.
	PageSize int
	// Bypass, if set, sets aside the retention of governance rules. Each
	// disposal that needed it is audited as a bypass naming Bypass.Reason.
	Bypass *Bypass
}

// Bypass is an explicit override of governance rules.
type Bypass struct {
	Actor  string // who authorised it
	Reason string // why, as a reference (a ticket or decision number); never personal data
}

// Progress is how far a sweep has come.
type Progress struct {
	Scanned  int // records looked at
	Disposed int // records disposed of
	Refused  int // due records that the re-check kept
}

// Refusal is a due record that the re-check at disposal kept, with why.
type Refusal struct {
	Ref privacy.Ref
	Err error // wraps privacy.ErrHeld or privacy.ErrRetained, or the store's error
}

// Report is what one [Sweeper.Execute] did.
type Report struct {
	Progress
	Refusals []Refusal
	// Gone counts due records another sweeper or erasure deleted first.
	Gone int
	// Capped is true when Max stopped the run; Next is the last Ref handled,
	// to pass as ExecuteOptions.After.
	Capped bool
	Next   privacy.Ref
}

// Execute disposes of every record that is due, re-deciding each one inside
// the store's atomic disposal, so that a hold placed or an event recorded
// after planning still wins. Refusals are collected, not fatal. Each disposal
// writes one tombstone (privacy.ActionDisposed, no content). Running Execute
// again disposes of nothing more; a run stopped by its context or by an error
// is safe to run again. It returns the report so far with any error that
// stopped it.
func (s *Sweeper) Execute(ctx context.Context, opts *ExecuteOptions) (Report, error) {
	var o ExecuteOptions
	if opts != nil {
		o = *opts
	}
	if o.Max < 0 || o.ProgressEvery < 0 || o.PageSize < 0 {
		return Report{}, &privacy.Error{Op: "retention.Sweeper.Execute", Msg: "negative cap, progress interval or page size", Err: privacy.ErrInvalid}
	}
	if o.PageSize == 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Bypass != nil && (o.Bypass.Actor == "" || o.Bypass.Reason == "") {
		return Report{}, &privacy.Error{Op: "retention.Sweeper.Execute", Msg: "a bypass needs an actor and a reason", Err: privacy.ErrInvalid}
	}
	if o.ProgressEvery == 0 {
		o.ProgressEvery = 1000
	}
	var rep Report
	report := func() {
		if o.Progress != nil {
			o.Progress(rep.Progress)
		}
	}
	defer report()

	now := s.clock.Now()
	resolve := s.policy.Resolve
	if o.Bypass != nil {
		resolve = s.policy.ResolveBypassing
	}
	if cand, ok := s.inv.(CandidateInventory); ok && o.Bypass == nil && o.After.IsZero() {
		if bounds, ok := s.policy.Candidates(now); ok {
			err := s.executeCandidates(ctx, cand, bounds, &o, &rep, resolve, now, report)
			return rep, err
		}
	}
	if paged, ok := s.inv.(PagedInventory); ok {
		err := s.executePaged(ctx, paged, &o, &rep, resolve, now, report)
		return rep, err
	}
	idx, err := s.loadHolds(ctx)
	if err != nil {
		return rep, err
	}
	var buf []Hold
	for r, err := range s.inv.Scan(ctx, o.After) {
		if err != nil {
			return rep, err
		}
		rep.Scanned++
		if rep.Scanned%o.ProgressEvery == 0 {
			report()
		}
		buf = idx.covering(&r, buf[:0])
		d := resolve(&r, buf, now)
		if d.Outcome != Due {
			continue
		}
		if o.Max > 0 && rep.Disposed >= o.Max {
			rep.Capped = true
			return rep, nil
		}
		bypassed := false
		check := func(cur privacy.Record, holds []Hold) error {
			d := resolve(&cur, holds, now)
			if err := d.Err(); err != nil {
				return err
			}
			bypassed = o.Bypass != nil && s.policy.Resolve(&cur, holds, now).Outcome != Due
			return nil
		}
		err := s.inv.Dispose(ctx, r.Ref, check, tombstone(&r, &d, s.actor, now))
		switch {
		case err == nil:
			rep.Disposed++
			if bypassed {
				if _, err := s.audit.Append(ctx, privacy.Event{
					Time: now, Action: privacy.ActionBypass, Actor: o.Bypass.Actor, Subject: r.Subject,
					Ref: r.Ref, Reason: o.Bypass.Reason,
				}); err != nil {
					return rep, privacy.Wrap("retention.Sweeper.Execute", fmt.Errorf("record %s disposed under bypass, bypass not audited: %w", r.Ref, err))
				}
			}
		case errors.Is(err, privacy.ErrNotFound):
			rep.Gone++
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return rep, err
		default:
			rep.Refused++
			rep.Refusals = append(rep.Refusals, Refusal{Ref: r.Ref, Err: err})
		}
		rep.Next = r.Ref
	}
	return rep, nil
}

// DefaultPageSize is how many records one page of a paged sweep holds when
// ExecuteOptions.PageSize is zero: few enough that a page's transaction
// keeps hold placement waiting only briefly, many enough that commits do
// not dominate.
const DefaultPageSize = 5000

// executeCandidates is executePaged over only the records the policy's
// bounds leave as candidates, category by category.
func (s *Sweeper) executeCandidates(ctx context.Context, inv CandidateInventory, bounds []Candidates, o *ExecuteOptions, rep *Report,
	resolve func(*privacy.Record, []Hold, time.Time) Decision, now time.Time, report func()) error {
	for _, b := range bounds {
		page := func(after privacy.Ref, size int, decide func([]privacy.Record, [][]Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
			return inv.DisposeCandidatePage(ctx, b.Category, b.CreatedBefore, after, size, decide)
		}
		if err := s.walkPages(page, privacy.Ref{Category: b.Category}, pagesAtOnce(inv), o, rep, resolve, now, report); err != nil || rep.Capped {
			return err
		}
	}
	return nil
}

// executePaged is Execute over a PagedInventory: each page is decided and
// disposed of in one atomic step, so no separate re-check is needed.
func (s *Sweeper) executePaged(ctx context.Context, inv PagedInventory, o *ExecuteOptions, rep *Report,
	resolve func(*privacy.Record, []Hold, time.Time) Decision, now time.Time, report func()) error {
	page := func(after privacy.Ref, size int, decide func([]privacy.Record, [][]Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
		return inv.DisposePage(ctx, after, size, decide)
	}
	return s.walkPages(page, o.After, pagesAtOnce(inv), o, rep, resolve, now, report)
}

// walkPages disposes of what is due, a page at a time, from after on, with
// up to atOnce pages under way. A page is started once the one before it
// has been read, after that page's last record, so pages never share a
// record; while one page is written and committed the next is read. The
// cap is claimed page by page in the order the pages were read, and the
// report's Next only moves past pages that are done, so that a run stopped
// part-way resumes from before any page that did not finish.
func (s *Sweeper) walkPages(disposePage func(after privacy.Ref, size int, decide func([]privacy.Record, [][]Hold) ([]privacy.Event, error)) (privacy.Ref, int, error),
	after privacy.Ref, atOnce int, o *ExecuteOptions, rep *Report, resolve func(*privacy.Record, []Hold, time.Time) Decision, now time.Time, report func()) error {
	type (
		// read is sent by a page's decide: where the next page starts, or
		// that none follows.
		read struct {
			next privacy.Ref
			more bool
		}
		done struct {
			k    int
			page Report
			n    int
			err  error
		}
	)
	var (
		mu      sync.Mutex // guards claimed
		claimed = rep.Disposed
		reads   = make(chan read, 1)
		dones   = make(chan done, atOnce)
	)
	start := func(k int, after privacy.Ref) {
		go func() {
			var (
				page     Report
				events   []privacy.Event
				signaled bool
			)
			decide := func(recs []privacy.Record, holds [][]Hold) ([]privacy.Event, error) {
				mu.Lock()
				claimed -= page.Disposed // a second call with the page replaces the first
				events, page = slices.Grow(events[:0], len(recs)), Report{}
				for i := range recs {
					r := &recs[i]
					d := resolve(r, holds[i], now)
					if d.Outcome == Due {
						if o.Max > 0 && claimed >= o.Max {
							page.Capped = true
							break
						}
						events = append(events, tombstone(r, &d, s.actor, now))
						page.Disposed++
						claimed++
						if o.Bypass != nil && s.policy.Resolve(r, holds[i], now).Outcome != Due {
							events = append(events, privacy.Event{
								Time: now, Action: privacy.ActionBypass, Actor: o.Bypass.Actor, Subject: r.Subject, Ref: r.Ref, Reason: o.Bypass.Reason,
							})
						}
					}
					page.Scanned++
					page.Next = r.Ref
				}
				mu.Unlock()
				if !signaled && len(recs) > 0 {
					signaled = true
					// Only an empty page ends a walk: a store may hand out
					// fewer records than asked for while more follow.
					reads <- read{next: recs[len(recs)-1].Ref, more: !page.Capped}
				}
				return events, nil
			}
			_, n, err := disposePage(after, o.PageSize, decide)
			if !signaled {
				reads <- read{}
			}
			dones <- done{k: k, page: page, n: n, err: err}
		}()
	}
	var (
		started, running = 1, 1
		reading          = true // the newest page has not sent its read yet
		next             *privacy.Ref
		finished         = map[int]done{}
		settled          int // pages 0..settled-1 are done and in rep.Next
		firstErr         error
	)
	start(0, after)
	for running > 0 {
		select {
		case r := <-reads:
			reading = false
			if r.more {
				next = &r.next
			}
		case d := <-dones:
			running--
			switch {
			case d.err == nil:
				rep.Scanned += d.page.Scanned
				rep.Disposed += d.page.Disposed
				rep.Capped = rep.Capped || d.page.Capped
			case firstErr == nil:
				firstErr = d.err
			}
			finished[d.k] = d
			for f, ok := finished[settled]; ok && f.err == nil; f, ok = finished[settled] {
				if f.n > 0 {
					rep.Next = f.page.Next
				}
				delete(finished, settled)
				settled++
			}
			report()
		}
		if next != nil && !reading && running < atOnce && firstErr == nil {
			start(started, *next)
			started, running, reading, next = started+1, running+1, true, nil
		}
	}
	return firstErr
}

// tombstone is the audit entry of a disposal: which record, whose, under
// which rule and why, and nothing of its content.
func tombstone(r *privacy.Record, d *Decision, actor string, now time.Time) privacy.Event {
	e := privacy.Event{Time: now, Action: privacy.ActionDisposed, Actor: actor, Subject: r.Subject, Ref: r.Ref}
	if d.Rule != nil {
		e.Object = d.Rule.Name
		for _, reason := range d.Reasons() {
			if reason.Rule == d.Rule && (reason.Kind == ReasonRetentionEnded || reason.Kind == ReasonDeletion) {
				e.Reason = reason.Kind.String()
			}
		}
	}
	return e
}

// holdIndex finds the active holds that cover a record without scanning them all.
type holdIndex struct {
	bySubject  map[privacy.SubjectID][]Hold
	byCategory map[privacy.Category][]Hold
	byRef      map[privacy.Ref][]Hold
}

func (s *Sweeper) loadHolds(ctx context.Context) (*holdIndex, error) {
	idx := &holdIndex{
		bySubject:  map[privacy.SubjectID][]Hold{},
		byCategory: map[privacy.Category][]Hold{},
		byRef:      map[privacy.Ref][]Hold{},
	}
	for h, err := range s.holds.Active(ctx) {
		if err != nil {
			return nil, err
		}
		switch h.Scope.Kind {
		case ScopeSubject:
			idx.bySubject[h.Scope.Subject] = append(idx.bySubject[h.Scope.Subject], h)
		case ScopeCategory:
			idx.byCategory[h.Scope.Category] = append(idx.byCategory[h.Scope.Category], h)
		case ScopeRecord:
			idx.byRef[h.Scope.Ref] = append(idx.byRef[h.Scope.Ref], h)
		}
	}
	return idx, nil
}

func (idx *holdIndex) covering(r *privacy.Record, dst []Hold) []Hold {
	if len(idx.bySubject) > 0 {
		dst = append(dst, idx.bySubject[r.Subject]...)
	}
	if len(idx.byCategory) > 0 {
		dst = append(dst, idx.byCategory[r.Ref.Category]...)
	}
	if len(idx.byRef) > 0 {
		dst = append(dst, idx.byRef[r.Ref]...)
	}
	return dst
}
