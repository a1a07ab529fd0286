package retention

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// MemoryStore keeps records and holds in memory behind one mutex, so that a
// disposal re-checks holds atomically. It implements [HoldStore] and
// [Inventory] and is the default when a host passes no store. It is safe for
// concurrent use; values passed in and returned are copies.
type MemoryStore struct {
	audit privacy.AuditLog

	mu        sync.Mutex
	records   map[privacy.Ref]privacy.Record
	bySubject map[privacy.SubjectID]map[privacy.Ref]struct{}
	order     []privacy.Ref // every ref in records, sorted when !dirty; may hold deleted refs
	dirty     bool
	holds     map[string]Hold
}

var (
	_ HoldStore          = (*MemoryStore)(nil)
	_ CandidateInventory = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty store that writes disposal tombstones to
// audit; a nil audit is a new in-memory log.
func NewMemoryStore(audit privacy.AuditLog) *MemoryStore {
	if audit == nil {
		audit = privacy.NewMemoryAuditLog()
	}
	return &MemoryStore{
		audit:     audit,
		records:   make(map[privacy.Ref]privacy.Record),
		bySubject: make(map[privacy.SubjectID]map[privacy.Ref]struct{}),
		holds:     make(map[string]Hold),
	}
}

// AuditLog returns the log tombstones are written to.
func (m *MemoryStore) AuditLog() privacy.AuditLog { return m.audit }

// PutRecord stores r, replacing a record with the same Ref. It returns an
// error wrapping privacy.ErrInvalid if r does not validate.
func (m *MemoryStore) PutRecord(ctx context.Context, r privacy.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.records[r.Ref]; !ok {
		if n := len(m.order); n > 0 && m.order[n-1].Compare(r.Ref) >= 0 {
			m.dirty = true
		}
		m.order = append(m.order, r.Ref)
	}
	m.put(r.Clone())
	return nil
}

// put stores r, keeping the subject index. The caller holds m.mu.
func (m *MemoryStore) put(r privacy.Record) {
	if old, ok := m.records[r.Ref]; ok && old.Subject != r.Subject {
		m.unindex(old)
	}
	m.records[r.Ref] = r
	refs := m.bySubject[r.Subject]
	if refs == nil {
		refs = make(map[privacy.Ref]struct{})
		m.bySubject[r.Subject] = refs
	}
	refs[r.Ref] = struct{}{}
}

// remove deletes the record ref, keeping the subject index. The caller holds m.mu.
func (m *MemoryStore) remove(ref privacy.Ref) (privacy.Record, bool) {
	r, ok := m.records[ref]
	if ok {
		delete(m.records, ref)
		m.unindex(r)
	}
	return r, ok
}

func (m *MemoryStore) unindex(r privacy.Record) {
	if refs := m.bySubject[r.Subject]; refs != nil {
		delete(refs, r.Ref)
		if len(refs) == 0 {
			delete(m.bySubject, r.Subject)
		}
	}
}

// BySubject yields the records of subject in Ref order, from a snapshot taken
// when iteration starts.
func (m *MemoryStore) BySubject(ctx context.Context, subject privacy.SubjectID) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(privacy.Record{}, err)
			return
		}
		m.mu.Lock()
		recs := make([]privacy.Record, 0, len(m.bySubject[subject]))
		for ref := range m.bySubject[subject] {
			recs = append(recs, m.records[ref].Clone())
		}
		m.mu.Unlock()
		slices.SortFunc(recs, func(a, b privacy.Record) int { return a.Ref.Compare(b.Ref) })
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Update replaces the record next.Ref by next if check, called with the
// record as stored and its covering holds, returns nil; and appends event to
// the audit log, in one atomic step. A missing record gives an error wrapping
// privacy.ErrNotFound; check's error is returned unchanged.
func (m *MemoryStore) Update(ctx context.Context, next privacy.Record, check Check, event privacy.Event) error {
	const op = "retention.MemoryStore.Update"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.records[next.Ref]
	if !ok {
		return notFound(op, next.Ref)
	}
	if err := check(cur.Clone(), m.covering(cur.Subject, cur.Ref)); err != nil {
		return err
	}
	m.put(next.Clone())
	if _, err := m.audit.Append(ctx, event); err != nil {
		m.put(cur)
		return &privacy.Error{Op: op, Ref: next.Ref, Msg: "audit event not written, record unchanged", Err: err}
	}
	return nil
}

// Record returns the record ref, or an error wrapping privacy.ErrNotFound.
func (m *MemoryStore) Record(ctx context.Context, ref privacy.Ref) (privacy.Record, error) {
	if err := ctx.Err(); err != nil {
		return privacy.Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[ref]
	if !ok {
		return privacy.Record{}, notFound("retention.MemoryStore.Record", ref)
	}
	return r.Clone(), nil
}

// Len returns the number of records.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records)
}

func notFound(op string, ref privacy.Ref) error {
	return &privacy.Error{Op: op, Ref: ref, Msg: "no such record", Err: privacy.ErrNotFound}
}

// scanPage is how many records Scan copies per lock.
const scanPage = 256

// Scan implements [Inventory]. It takes the lock once per page of records, so
// a caller may dispose of records while it iterates.
func (m *MemoryStore) Scan(ctx context.Context, after privacy.Ref) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		page := make([]privacy.Record, 0, scanPage)
		for {
			if err := ctx.Err(); err != nil {
				yield(privacy.Record{}, err)
				return
			}
			m.mu.Lock()
			page = m.page(page[:0], after)
			m.mu.Unlock()
			if len(page) == 0 {
				return
			}
			for _, r := range page {
				if !yield(r, nil) {
					return
				}
			}
			after = page[len(page)-1].Ref
		}
	}
}

// page copies the records after after into dst, up to its capacity. The
// caller holds m.mu.
func (m *MemoryStore) page(dst []privacy.Record, after privacy.Ref) []privacy.Record {
	return m.pageWhere(dst, after, nil)
}

// pageWhere is page limited to the records keep accepts; keep returns stop
// to end the walk. The caller holds m.mu.
func (m *MemoryStore) pageWhere(dst []privacy.Record, after privacy.Ref, keep func(r *privacy.Record) (ok, stop bool)) []privacy.Record {
	if m.dirty || len(m.order) > 2*len(m.records)+scanPage {
		m.order = m.order[:0]
		for ref := range m.records {
			m.order = append(m.order, ref)
		}
		slices.SortFunc(m.order, privacy.Ref.Compare)
		m.dirty = false
	}
	i, _ := slices.BinarySearchFunc(m.order, after, privacy.Ref.Compare)
	for ; i < len(m.order) && len(dst) < cap(dst); i++ {
		ref := m.order[i]
		if ref.Compare(after) <= 0 && !after.IsZero() {
			continue
		}
		r, ok := m.records[ref]
		if !ok {
			continue
		}
		if keep != nil {
			ok, stop := keep(&r)
			if stop {
				break
			}
			if !ok {
				continue
			}
		}
		dst = append(dst, r.Clone())
	}
	return dst
}

// Dispose implements [Inventory]: under the store's lock it reads the record
// and its covering holds, asks check, deletes the record and appends the
// tombstone; if the append fails, the record is put back.
func (m *MemoryStore) Dispose(ctx context.Context, ref privacy.Ref, check Check, tomb privacy.Event) error {
	const op = "retention.MemoryStore.Dispose"
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[ref]
	if !ok {
		return notFound(op, ref)
	}
	if err := check(r.Clone(), m.covering(r.Subject, r.Ref)); err != nil {
		return err
	}
	m.remove(ref)
	if _, err := m.audit.Append(ctx, tomb); err != nil {
		m.put(r)
		return &privacy.Error{Op: op, Ref: ref, Msg: "tombstone not written, record kept", Err: err}
	}
	return nil
}

// DisposePage implements [PagedInventory]: the page is read, decided and
// disposed of under the store's lock. If appending an event fails, the page's
// records are put back and the events appended before it stay in the log
// (an in-memory log fails only on a cancelled context).
func (m *MemoryStore) DisposePage(ctx context.Context, after privacy.Ref, size int,
	decide func(page []privacy.Record, holds [][]Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	const op = "retention.MemoryStore.DisposePage"
	if err := ctx.Err(); err != nil {
		return privacy.Ref{}, 0, err
	}
	if size <= 0 {
		return privacy.Ref{}, 0, &privacy.Error{Op: op, Msg: "page size must be positive", Err: privacy.ErrInvalid}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.disposePage(ctx, m.page(make([]privacy.Record, 0, size), after), decide)
}

// DisposeCandidatePage implements [CandidateInventory].
func (m *MemoryStore) DisposeCandidatePage(ctx context.Context, category privacy.Category, before time.Time, after privacy.Ref, size int,
	decide func(page []privacy.Record, holds [][]Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	const op = "retention.MemoryStore.DisposeCandidatePage"
	if err := ctx.Err(); err != nil {
		return privacy.Ref{}, 0, err
	}
	if size <= 0 {
		return privacy.Ref{}, 0, &privacy.Error{Op: op, Msg: "page size must be positive", Err: privacy.ErrInvalid}
	}
	if after.Category != category {
		after = privacy.Ref{Category: category}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	page := m.pageWhere(make([]privacy.Record, 0, size), after, func(r *privacy.Record) (bool, bool) {
		return r.Created.Before(before), r.Ref.Category != category
	})
	return m.disposePage(ctx, page, decide)
}

// disposePage decides on page and disposes of what decide says. The caller
// holds m.mu.
func (m *MemoryStore) disposePage(ctx context.Context, page []privacy.Record,
	decide func(page []privacy.Record, holds [][]Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	const op = "retention.MemoryStore.DisposePage"
	if len(page) == 0 {
		return privacy.Ref{}, 0, nil
	}
	holds := make([][]Hold, len(page))
	for i := range page {
		holds[i] = m.covering(page[i].Subject, page[i].Ref)
	}
	events, err := decide(page, holds)
	if err != nil {
		return privacy.Ref{}, 0, err
	}
	inPage := make(map[privacy.Ref]bool, len(page))
	for _, r := range page {
		inPage[r.Ref] = true
	}
	removed := map[privacy.Ref]privacy.Record{}
	for _, e := range events {
		if e.Action == privacy.ActionDisposed {
			if !inPage[e.Ref] {
				m.restore(removed)
				return privacy.Ref{}, 0, &privacy.Error{Op: op, Ref: e.Ref, Msg: "tombstone for a record not in the page", Err: privacy.ErrInvalid}
			}
			if r, ok := m.remove(e.Ref); ok {
				removed[e.Ref] = r
			}
		}
	}
	for _, e := range events {
		if _, err := m.audit.Append(ctx, e); err != nil {
			m.restore(removed)
			return privacy.Ref{}, 0, &privacy.Error{Op: op, Msg: "audit events not written, page kept", Err: err}
		}
	}
	return page[len(page)-1].Ref, len(page), nil
}

func (m *MemoryStore) restore(removed map[privacy.Ref]privacy.Record) {
	for _, r := range removed {
		m.put(r)
	}
}

// Put implements [HoldStore].
func (m *MemoryStore) Put(ctx context.Context, h Hold) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.holds[h.ID]; ok {
		return &privacy.Error{Op: "retention.MemoryStore.Put", Msg: fmt.Sprintf("hold %s exists", h.ID), Err: privacy.ErrConflict}
	}
	m.holds[h.ID] = h
	return nil
}

// Release implements [HoldStore].
func (m *MemoryStore) Release(ctx context.Context, id, by string, at time.Time) (Hold, error) {
	const op = "retention.MemoryStore.Release"
	if err := ctx.Err(); err != nil {
		return Hold{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.holds[id]
	switch {
	case !ok:
		return Hold{}, &privacy.Error{Op: op, Msg: fmt.Sprintf("no hold %s", id), Err: privacy.ErrNotFound}
	case !h.Active():
		return Hold{}, &privacy.Error{Op: op, Msg: fmt.Sprintf("hold %s was released already", id), Err: privacy.ErrConflict}
	}
	h.ReleasedBy, h.ReleasedAt = by, at
	m.holds[id] = h
	return h, nil
}

// Get implements [HoldStore].
func (m *MemoryStore) Get(ctx context.Context, id string) (Hold, error) {
	if err := ctx.Err(); err != nil {
		return Hold{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.holds[id]
	if !ok {
		return Hold{}, &privacy.Error{Op: "retention.MemoryStore.Get", Msg: fmt.Sprintf("no hold %s", id), Err: privacy.ErrNotFound}
	}
	return h, nil
}

// Active implements [HoldStore]. It yields a snapshot taken when iteration starts.
func (m *MemoryStore) Active(ctx context.Context) iter.Seq2[Hold, error] {
	return func(yield func(Hold, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(Hold{}, err)
			return
		}
		m.mu.Lock()
		var hs []Hold
		for _, h := range m.holds {
			if h.Active() {
				hs = append(hs, h)
			}
		}
		m.mu.Unlock()
		slices.SortFunc(hs, func(a, b Hold) int { return strings.Compare(a.ID, b.ID) })
		for _, h := range hs {
			if !yield(h, nil) {
				return
			}
		}
	}
}

// Covering implements [HoldStore].
func (m *MemoryStore) Covering(ctx context.Context, subject privacy.SubjectID, ref privacy.Ref) ([]Hold, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.covering(subject, ref), nil
}

func (m *MemoryStore) covering(subject privacy.SubjectID, ref privacy.Ref) []Hold {
	probe := privacy.Record{Ref: ref, Subject: subject}
	hs := []Hold{}
	for _, h := range m.holds {
		if h.Active() && h.Scope.Covers(&probe) {
			hs = append(hs, h)
		}
	}
	slices.SortFunc(hs, func(a, b Hold) int { return strings.Compare(a.ID, b.ID) })
	return hs
}
