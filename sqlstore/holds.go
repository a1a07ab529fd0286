package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

const holdColumns = `id, matter, ground, scope, subject, category, record_id, placed_by, placed_at, released_by, released_at`

// Put implements retention.HoldStore. The hold's times are kept at
// microsecond precision.
func (s *Store) Put(ctx context.Context, h retention.Hold) error {
	const op = "sqlstore.Store.Put"
	if err := ctx.Err(); err != nil {
		return err
	}
	if h.ID == "" || h.Scope.Kind < retention.ScopeSubject || h.Scope.Kind > retention.ScopeRecord {
		return &privacy.Error{Op: op, Msg: "a hold needs an ID and a subject, category or record scope", Err: privacy.ErrInvalid}
	}
	var subject, category, recordID string
	switch h.Scope.Kind {
	case retention.ScopeSubject:
		subject = string(h.Scope.Subject)
	case retention.ScopeCategory:
		category = string(h.Scope.Category)
	case retention.ScopeRecord:
		category, recordID = string(h.Scope.Ref.Category), h.Scope.Ref.ID
	}
	// ON CONFLICT DO NOTHING rather than a unique violation: of two
	// concurrent puts of one ID, the second waits for the first and then
	// inserts nothing, in both dialects.
	res, err := s.exec(ctx, bind(s.dialect, `INSERT INTO holds (`+holdColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`),
		h.ID, h.Matter, string(h.Ground), int(h.Scope.Kind), subject, category, recordID,
		h.PlacedBy, timeArg(s.dialect, h.PlacedAt), h.ReleasedBy, nullTimeArg(s.dialect, h.ReleasedAt))
	if err != nil {
		return fail(ctx, op, err)
	}
	added, err := res.RowsAffected()
	if err != nil {
		return fail(ctx, op, err)
	}
	if added == 0 {
		return &privacy.Error{Op: op, Msg: fmt.Sprintf("hold %s exists", h.ID), Err: privacy.ErrConflict}
	}
	return nil
}

// Release implements retention.HoldStore. A zero at is invalid: it would
// leave the hold active.
func (s *Store) Release(ctx context.Context, id, by string, at time.Time) (retention.Hold, error) {
	const op = "sqlstore.Store.Release"
	if err := ctx.Err(); err != nil {
		return retention.Hold{}, err
	}
	if at.IsZero() {
		return retention.Hold{}, &privacy.Error{Op: op, Msg: fmt.Sprintf("hold %s: zero release time", id), Err: privacy.ErrInvalid}
	}
	var h retention.Hold
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		h, err = s.getHold(ctx, tx, id, s.q.forUpdate)
		if err != nil {
			return err
		}
		if !h.Active() {
			return &privacy.Error{Op: op, Msg: fmt.Sprintf("hold %s was released already", id), Err: privacy.ErrConflict}
		}
		h.ReleasedBy, h.ReleasedAt = by, at.UTC().Truncate(time.Microsecond)
		_, err = tx.ExecContext(ctx, bind(s.dialect, `UPDATE holds SET released_by = $1, released_at = $2 WHERE id = $3`),
			by, timeArg(s.dialect, at), id)
		return err
	})
	if err != nil {
		return retention.Hold{}, fail(ctx, op, err)
	}
	return h, nil
}

// Get implements retention.HoldStore.
func (s *Store) Get(ctx context.Context, id string) (retention.Hold, error) {
	const op = "sqlstore.Store.Get"
	if err := ctx.Err(); err != nil {
		return retention.Hold{}, err
	}
	h, err := s.getHold(ctx, s.db, id, "")
	return h, fail(ctx, op, err)
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) getHold(ctx context.Context, q rowQuerier, id, lock string) (retention.Hold, error) {
	row := q.QueryRowContext(ctx, bind(s.dialect, `SELECT `+holdColumns+` FROM holds WHERE id = $1`+lock), id)
	h, err := scanHold(row)
	if errors.Is(err, sql.ErrNoRows) {
		return retention.Hold{}, &privacy.Error{Op: "sqlstore.Store.Get", Msg: fmt.Sprintf("no hold %s", id), Err: privacy.ErrNotFound}
	}
	return h, err
}

func scanHold(row interface{ Scan(...any) error }) (retention.Hold, error) {
	var (
		h                                   retention.Hold
		ground, subject, category, recordID string
		kind                                int
		placed, released                    dbTime
	)
	if err := row.Scan(&h.ID, &h.Matter, &ground, &kind, &subject, &category, &recordID,
		&h.PlacedBy, &placed, &h.ReleasedBy, &released); err != nil {
		return retention.Hold{}, err
	}
	h.Ground, h.PlacedAt, h.ReleasedAt = retention.Ground(ground), placed.t, released.t
	h.Scope.Kind = retention.ScopeKind(kind)
	switch h.Scope.Kind {
	case retention.ScopeSubject:
		h.Scope.Subject = privacy.SubjectID(subject)
	case retention.ScopeCategory:
		h.Scope.Category = privacy.Category(category)
	case retention.ScopeRecord:
		h.Scope.Ref = privacy.Ref{Category: privacy.Category(category), ID: recordID}
	}
	return h, nil
}

// holdsPage is how many holds Active reads per query.
const holdsPage = 500

// Active implements retention.HoldStore. It reads a page of holds at a time
// and holds no connection while the caller handles them.
func (s *Store) Active(ctx context.Context) iter.Seq2[retention.Hold, error] {
	const op = "sqlstore.Store.Active"
	query := bind(s.dialect, `SELECT `+holdColumns+` FROM holds WHERE released_at IS NULL AND id > $1 ORDER BY id LIMIT $2`)
	return func(yield func(retention.Hold, error) bool) {
		after := ""
		for {
			if err := ctx.Err(); err != nil {
				yield(retention.Hold{}, err)
				return
			}
			page, err := s.queryHolds(ctx, s.db, query, after, holdsPage)
			if err != nil {
				yield(retention.Hold{}, fail(ctx, op, err))
				return
			}
			for _, h := range page {
				if !yield(h, nil) {
					return
				}
			}
			if len(page) < holdsPage {
				return
			}
			after = page[len(page)-1].ID
		}
	}
}

func (s *Store) queryHolds(ctx context.Context, q rowQuerier, query string, args ...any) ([]retention.Hold, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hs := []retention.Hold{}
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

// coveringQuery finds the active holds covering one record, each scope kind
// through its partial index.
const coveringQuery = `SELECT ` + holdColumns + ` FROM holds WHERE released_at IS NULL AND scope = 1 AND subject = $1
UNION ALL
SELECT ` + holdColumns + ` FROM holds WHERE released_at IS NULL AND scope = 2 AND category = $2
UNION ALL
SELECT ` + holdColumns + ` FROM holds WHERE released_at IS NULL AND scope = 3 AND category = $2 AND record_id = $3
ORDER BY id`

// Covering implements retention.HoldStore.
func (s *Store) Covering(ctx context.Context, subject privacy.SubjectID, ref privacy.Ref) ([]retention.Hold, error) {
	const op = "sqlstore.Store.Covering"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hs, err := s.covering(ctx, s.db, subject, ref)
	if err != nil {
		return nil, fail(ctx, op, err)
	}
	return hs, nil
}

func (s *Store) covering(ctx context.Context, q rowQuerier, subject privacy.SubjectID, ref privacy.Ref) ([]retention.Hold, error) {
	return s.queryHolds(ctx, q, bind(s.dialect, coveringQuery), string(subject), string(ref.Category), ref.ID)
}

// lockHolds makes tx see every hold stored before it, and makes a hold
// placed or released from now on wait until tx ends (see queries.lockHolds).
func (s *Store) lockHolds(ctx context.Context, tx *sql.Tx) error {
	if s.q.lockHolds == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.q.lockHolds)
	return err
}

// holdIndex is every active hold, as of one holds_version, indexed by what
// it covers. It is never changed once built.
type holdIndex struct {
	version    int64
	bySubject  map[privacy.SubjectID][]retention.Hold
	byCategory map[privacy.Category][]retention.Hold
	byRef      map[privacy.Ref][]retention.Hold
}

// activeHolds returns the active holds as tx sees them. The caller has
// locked holds against change (lockHolds, or SQLite's write lock), so the
// version read here is the version of the holds read with it. The index is
// kept on the store and reused while the version stays.
func (s *Store) activeHolds(ctx context.Context, tx *sql.Tx) (*holdIndex, error) {
	var version int64
	if err := tx.QueryRowContext(ctx, holdsVersionQuery).Scan(&version); err != nil {
		return nil, fmt.Errorf("reading the holds version: %w", err)
	}
	if idx := s.holds.Load(); idx != nil && idx.version == version {
		return idx, nil
	}
	hs, err := s.queryHolds(ctx, tx, activeHoldsQuery)
	if err != nil {
		return nil, fmt.Errorf("reading the active holds: %w", err)
	}
	idx := &holdIndex{
		version:    version,
		bySubject:  map[privacy.SubjectID][]retention.Hold{},
		byCategory: map[privacy.Category][]retention.Hold{},
		byRef:      map[privacy.Ref][]retention.Hold{},
	}
	for _, h := range hs {
		switch h.Scope.Kind {
		case retention.ScopeSubject:
			idx.bySubject[h.Scope.Subject] = append(idx.bySubject[h.Scope.Subject], h)
		case retention.ScopeCategory:
			idx.byCategory[h.Scope.Category] = append(idx.byCategory[h.Scope.Category], h)
		case retention.ScopeRecord:
			idx.byRef[h.Scope.Ref] = append(idx.byRef[h.Scope.Ref], h)
		}
	}
	s.holds.Store(idx)
	return idx, nil
}

// covering returns a new slice of the holds covering a record of subject
// with ref, in ID order, or nil when none does.
func (idx *holdIndex) covering(subject privacy.SubjectID, ref privacy.Ref) []retention.Hold {
	a, b, c := idx.bySubject[subject], idx.byCategory[ref.Category], idx.byRef[ref]
	if len(a)+len(b)+len(c) == 0 {
		return nil
	}
	hs := make([]retention.Hold, 0, len(a)+len(b)+len(c))
	hs = append(append(append(hs, a...), b...), c...)
	slices.SortFunc(hs, func(x, y retention.Hold) int { return strings.Compare(x.ID, y.ID) })
	return hs
}
