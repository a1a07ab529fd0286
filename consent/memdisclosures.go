package consent

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/smartbooqing/steward/privacy"
)

// MemoryDisclosures is a [DisclosureStore] in memory: two slices, indexes by
// subject, and a mutex. The zero value is an empty store ready for use.
type MemoryDisclosures struct {
	mu          sync.RWMutex
	orders      []LegalOrder // orders[i].ID == i+1
	disclosures []Disclosure // disclosures[i].ID == i+1
	ordersOf    map[privacy.SubjectID][]int
	disclosedOf map[privacy.SubjectID][]int
}

var _ DisclosureStore = (*MemoryDisclosures)(nil)

// NewMemoryDisclosures returns an empty store.
func NewMemoryDisclosures() *MemoryDisclosures { return &MemoryDisclosures{} }

func (s *MemoryDisclosures) init() {
	if s.ordersOf == nil {
		s.ordersOf = make(map[privacy.SubjectID][]int)
		s.disclosedOf = make(map[privacy.SubjectID][]int)
	}
}

// AddOrder implements [DisclosureStore].
func (s *MemoryDisclosures) AddOrder(ctx context.Context, o LegalOrder) (LegalOrder, error) {
	if err := ctx.Err(); err != nil {
		return LegalOrder{}, err
	}
	o = o.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	for _, x := range s.orders {
		if x.Authority == o.Authority && x.Reference == o.Reference {
			return LegalOrder{}, fmt.Errorf("consent.MemoryDisclosures.AddOrder: order %d has the same authority and reference: %w", x.ID, privacy.ErrConflict)
		}
	}
	i := len(s.orders)
	o.ID = uint64(i + 1)
	s.orders = append(s.orders, o)
	for _, sub := range slices.Compact(slices.Sorted(slices.Values(o.Scope.Subjects))) {
		s.ordersOf[sub] = append(s.ordersOf[sub], i)
	}
	return o.Clone(), nil
}

// Orders implements [DisclosureStore]. It yields a snapshot taken when
// iteration starts.
func (s *MemoryDisclosures) Orders(ctx context.Context, subject privacy.SubjectID) iter.Seq2[LegalOrder, error] {
	return func(yield func(LegalOrder, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(LegalOrder{}, err)
			return
		}
		s.mu.RLock()
		snap := make([]LegalOrder, 0, len(s.ordersOf[subject]))
		for _, i := range s.ordersOf[subject] {
			snap = append(snap, s.orders[i].Clone())
		}
		s.mu.RUnlock()
		for _, o := range snap {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// AddDisclosure implements [DisclosureStore].
func (s *MemoryDisclosures) AddDisclosure(ctx context.Context, d Disclosure) (Disclosure, error) {
	if err := ctx.Err(); err != nil {
		return Disclosure{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	i := len(s.disclosures)
	d.ID = uint64(i + 1)
	s.disclosures = append(s.disclosures, d)
	s.disclosedOf[d.Subject] = append(s.disclosedOf[d.Subject], i)
	return d, nil
}

// Disclosures implements [DisclosureStore]. It yields a snapshot taken when
// iteration starts.
func (s *MemoryDisclosures) Disclosures(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Disclosure, error] {
	return func(yield func(Disclosure, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(Disclosure{}, err)
			return
		}
		s.mu.RLock()
		snap := make([]Disclosure, 0, len(s.disclosedOf[subject]))
		for _, i := range s.disclosedOf[subject] {
			snap = append(snap, s.disclosures[i])
		}
		s.mu.RUnlock()
		for _, d := range snap {
			if !yield(d, nil) {
				return
			}
		}
	}
}

// Pseudonymise implements [DisclosureStore].
func (s *MemoryDisclosures) Pseudonymise(ctx context.Context, subject, pseudonym privacy.SubjectID) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if pseudonym == "" {
		return 0, fmt.Errorf("consent.MemoryDisclosures.Pseudonymise: empty pseudonym: %w", privacy.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if subject == pseudonym {
		return 0, nil
	}
	n := 0
	for _, i := range s.disclosedOf[subject] {
		s.disclosures[i].Subject = pseudonym
		n++
	}
	for _, i := range s.ordersOf[subject] {
		subs := s.orders[i].Scope.Subjects
		for k := range subs {
			if subs[k] == subject {
				subs[k] = pseudonym
			}
		}
		n++
	}
	move := func(m map[privacy.SubjectID][]int) {
		if pos, ok := m[subject]; ok {
			merged := append(m[pseudonym], pos...)
			slices.Sort(merged)
			m[pseudonym] = slices.Compact(merged)
			delete(m, subject)
		}
	}
	move(s.disclosedOf)
	move(s.ordersOf)
	return n, nil
}
