package consent

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/smartbooqing/steward/privacy"
)

// NoticeStore keeps published notice versions. [MemoryNotices] is the
// default. Implementations must be safe for concurrent use, and values passed
// in and returned never alias the store's memory. Notices arrive validated by
// the [Ledger]. Errors from a cancelled context are returned as they are.
type NoticeStore interface {
	// Publish stores n as the newest version of n.ID. If a version of n.ID
	// equal to or higher than n.Version is stored, it stores nothing and
	// returns an error wrapping privacy.ErrConflict; the check and the write
	// are one atomic step, so of two concurrent publications of one version
	// exactly one succeeds.
	Publish(ctx context.Context, n Notice) error

	// Notice returns version of id, or the newest version when version is 0.
	// It returns an error wrapping privacy.ErrNotFound when there is none.
	Notice(ctx context.Context, id NoticeID, version int) (Notice, error)

	// Versions yields the versions of id higher than after, in ascending
	// version order. An unknown id yields nothing. After an error it yields
	// that error once and stops.
	Versions(ctx context.Context, id NoticeID, after int) iter.Seq2[Notice, error]
}

// MemoryNotices is a [NoticeStore] in memory: a map of version lists and a
// mutex. The zero value is an empty store ready for use.
type MemoryNotices struct {
	mu       sync.RWMutex
	versions map[NoticeID][]Notice // ascending by Version
}

var _ NoticeStore = (*MemoryNotices)(nil)

// NewMemoryNotices returns an empty notice store.
func NewMemoryNotices() *MemoryNotices { return &MemoryNotices{} }

// Publish implements [NoticeStore].
func (s *MemoryNotices) Publish(ctx context.Context, n Notice) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n = n.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.versions == nil {
		s.versions = make(map[NoticeID][]Notice)
	}
	vs := s.versions[n.ID]
	if k := len(vs); k > 0 && vs[k-1].Version >= n.Version {
		return fmt.Errorf("consent.MemoryNotices.Publish: version %d of notice %q is not newer than stored version %d: %w",
			n.Version, string(n.ID), vs[k-1].Version, privacy.ErrConflict)
	}
	s.versions[n.ID] = append(vs, n)
	return nil
}

// Notice implements [NoticeStore].
func (s *MemoryNotices) Notice(ctx context.Context, id NoticeID, version int) (Notice, error) {
	if err := ctx.Err(); err != nil {
		return Notice{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	vs := s.versions[id]
	if version == 0 && len(vs) > 0 {
		return vs[len(vs)-1].Clone(), nil
	}
	for _, n := range vs {
		if n.Version == version {
			return n.Clone(), nil
		}
	}
	return Notice{}, fmt.Errorf("consent.MemoryNotices.Notice: notice %q version %d: %w", string(id), version, privacy.ErrNotFound)
}

// Versions implements [NoticeStore]. It yields a snapshot taken when
// iteration starts.
func (s *MemoryNotices) Versions(ctx context.Context, id NoticeID, after int) iter.Seq2[Notice, error] {
	return func(yield func(Notice, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(Notice{}, err)
			return
		}
		s.mu.RLock()
		var snap []Notice
		for _, n := range s.versions[id] {
			if n.Version > after {
				snap = append(snap, n)
			}
		}
		s.mu.RUnlock()
		for _, n := range snap {
			if !yield(n.Clone(), nil) {
				return
			}
		}
	}
}
