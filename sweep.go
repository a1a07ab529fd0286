package steward

import (
	"context"
	"iter"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// PendingFinder is an optional interface of a [Records] store that finds
// the records carrying EventErasurePending — erasures a legal hold held
// back — without reading the others, as sqlstore does through an index.
// [Steward.Sweep] and [Steward.Release] use it when the store has it.
type PendingFinder interface {
	// PendingErasures yields every record whose events hold
	// EventErasurePending, and may yield others, which are passed over.
	// After an error it yields the error once and stops.
	PendingErasures(ctx context.Context) iter.Seq2[privacy.Record, error]
}

// Release releases a legal hold, as Holds().Release, and then completes the
// erasure of every record the hold kept whole during an erasure and no other
// hold keeps now. It returns the released hold and how many records it
// completed the erasure of.
func (s *Steward) Release(ctx context.Context, id, by string) (retention.Hold, int, error) {
	const op = "steward.Release"
	h, err := s.holds.Release(ctx, id, by)
	if err != nil {
		return h, 0, err
	}
	var records iter.Seq2[privacy.Record, error]
	switch pf, ok := s.records.(PendingFinder); {
	case h.Scope.Kind == retention.ScopeSubject:
		records = s.records.BySubject(ctx, h.Scope.Subject)
	case ok:
		records = covered(pf.PendingErasures(ctx), h.Scope)
	case h.Scope.Kind == retention.ScopeCategory:
		records = s.category(ctx, h.Scope.Category)
	case h.Scope.Kind == retention.ScopeRecord:
		records = s.category(ctx, h.Scope.Ref.Category)
	}
	n, err := s.completePending(ctx, records)
	return h, n, privacy.Wrap(op, err)
}

// covered yields the records of records that scope covers.
func covered(records iter.Seq2[privacy.Record, error], scope retention.Scope) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		for r, err := range records {
			if err == nil && !scope.Covers(&r) {
				continue
			}
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// category yields the records of one category through the records store's
// inventory, or nothing if the store is not one.
func (s *Steward) category(ctx context.Context, cat privacy.Category) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		inv, ok := s.records.(retention.Inventory)
		if !ok {
			yield(privacy.Record{}, &privacy.Error{Op: "steward.Release", Msg: "the records store is not a retention.Inventory", Err: privacy.ErrUnimplemented})
			return
		}
		for r, err := range inv.Scan(ctx, privacy.Ref{Category: cat}) {
			if err == nil && r.Ref.Category != cat {
				return
			}
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// SweepReport is what [Steward.Sweep] did.
type SweepReport struct {
	retention.Report
	// Completed counts records whose erasure, held back by a legal hold that
	// is gone now, was completed.
	Completed int
}

// Sweep disposes of every record that is due, as [retention.Sweeper.Execute],
// and completes the erasures that holds released since held back.
//
// A records store that is a [PendingFinder] (sqlstore) finds those erasures
// by index. With any other store, finding them reads the whole inventory
// once more, since a hold released through Holds().Release leaves no other
// trace to follow: such a host releases holds through [Steward.Release],
// which completes the erasures in the hold's scope at once, and sweeps with
// the Sweeper directly.
func (s *Steward) Sweep(ctx context.Context, opts *retention.ExecuteOptions) (SweepReport, error) {
	const op = "steward.Sweep"
	sw, err := s.Sweeper()
	if err != nil {
		return SweepReport{}, err
	}
	rep, err := sw.Execute(ctx, opts)
	out := SweepReport{Report: rep}
	if err != nil || rep.Capped {
		return out, err
	}
	var records iter.Seq2[privacy.Record, error]
	if pf, ok := s.records.(PendingFinder); ok {
		records = pf.PendingErasures(ctx)
	} else {
		records = s.records.(retention.Inventory).Scan(ctx, privacy.Ref{})
	}
	out.Completed, err = s.completePending(ctx, records)
	return out, privacy.Wrap(op, err)
}
