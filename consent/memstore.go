package consent

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/smartbooqing/steward/privacy"
)

// MemoryStore is a [Store] in memory: a slice of events and a mutex. Each
// subject has a list of positions into the slice, and each (subject, purpose)
// the position of its newest event, so History reads only the subject's
// events and Current is one map lookup however many events the store holds.
// The zero value is an empty store ready for use.
type MemoryStore struct {
	mu        sync.RWMutex
	events    []Event                     // in Seq order; events[i].Seq == i+1
	bySubject map[privacy.SubjectID][]int // positions in events, ascending
	current   map[subjectPurpose]int      // position of the newest event
}

type subjectPurpose struct {
	subject privacy.SubjectID
	purpose privacy.Purpose
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Append implements [Store].
func (s *MemoryStore) Append(ctx context.Context, e Event) (Event, error) {
	if err := ctx.Err(); err != nil {
		return Event{}, err
	}
	if e.Subject == "" || e.Purpose == "" {
		return Event{}, fmt.Errorf("consent.MemoryStore.Append: empty subject or purpose: %w", privacy.ErrInvalid)
	}
	e = e.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bySubject == nil {
		s.bySubject = make(map[privacy.SubjectID][]int)
		s.current = make(map[subjectPurpose]int)
	}
	i := len(s.events)
	e.Seq = uint64(i + 1)
	s.events = append(s.events, e)
	s.bySubject[e.Subject] = append(s.bySubject[e.Subject], i)
	s.current[subjectPurpose{e.Subject, e.Purpose}] = i
	return e.Clone(), nil
}

// History implements [Store]. It yields a snapshot taken when iteration starts.
func (s *MemoryStore) History(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(Event{}, err)
			return
		}
		s.mu.RLock()
		pos := s.bySubject[subject]
		snap := make([]Event, len(pos))
		for k, i := range pos {
			snap[k] = s.events[i]
		}
		s.mu.RUnlock()
		for _, e := range snap {
			if err := ctx.Err(); err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(e.Clone(), nil) {
				return
			}
		}
	}
}

// Current implements [Store].
func (s *MemoryStore) Current(ctx context.Context, subject privacy.SubjectID, purpose privacy.Purpose) (Event, error) {
	if err := ctx.Err(); err != nil {
		return Event{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.current[subjectPurpose{subject, purpose}]
	if !ok {
		return Event{}, fmt.Errorf("consent.MemoryStore.Current: no event for this subject and purpose: %w", privacy.ErrNotFound)
	}
	return s.events[i].Clone(), nil
}

// Pseudonymise implements [Store].
func (s *MemoryStore) Pseudonymise(ctx context.Context, subject, pseudonym privacy.SubjectID) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if pseudonym == "" {
		return 0, fmt.Errorf("consent.MemoryStore.Pseudonymise: empty pseudonym: %w", privacy.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pos := s.bySubject[subject]
	if len(pos) == 0 || subject == pseudonym {
		return 0, nil
	}
	for _, i := range pos {
		s.events[i].Subject = pseudonym
		from := subjectPurpose{subject, s.events[i].Purpose}
		to := subjectPurpose{pseudonym, s.events[i].Purpose}
		if j, ok := s.current[to]; !ok || j < s.current[from] {
			s.current[to] = s.current[from]
		}
	}
	for _, i := range pos {
		delete(s.current, subjectPurpose{subject, s.events[i].Purpose})
	}
	// A pseudonym may already have events, when a host forgets one subject
	// known under two IDs with the same key: keep the positions in Seq order.
	merged := append(s.bySubject[pseudonym], pos...)
	slices.Sort(merged)
	s.bySubject[pseudonym] = merged
	delete(s.bySubject, subject)
	return len(pos), nil
}

// Len returns the number of events in the store.
func (s *MemoryStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.events)
}
