package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// Budgets returns the store's privacy budgets, an aggregate.BudgetStore for
// aggregate.OpenBudget: every process that opens a budget by the same name
// charges the same budget, and it outlives them.
func (s *Store) Budgets() aggregate.BudgetStore { return &budgets{s: s} }

var _ aggregate.BudgetStore = (*budgets)(nil)

type budgets struct{ s *Store }

// Charge implements aggregate.BudgetStore: in one write transaction it locks
// the budget's row (making it if it is new), adds charge to what it has
// spent, exactly, and stores the sum if it stays within total.
func (b *budgets) Charge(ctx context.Context, name string, total, charge aggregate.Amount) (aggregate.Amount, error) {
	const op = "sqlstore.Budgets.Charge"
	if err := ctx.Err(); err != nil {
		return aggregate.Amount{}, err
	}
	if err := checkText(op, "the budget name", name); err != nil {
		return aggregate.Amount{}, err
	}
	if !charge.Valid() || !total.Valid() {
		return aggregate.Amount{}, &privacy.Error{Op: op, Msg: "a negative amount", Err: privacy.ErrInvalid}
	}
	s := b.s
	var spent aggregate.Amount
	exceeded := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, bind(s.dialect, `INSERT INTO privacy_budgets (name, epsilon, delta, charges) VALUES ($1, '0', '0', 0)
ON CONFLICT (name) DO NOTHING`), name); err != nil {
			return err
		}
		var err error
		if spent, err = b.spent(ctx, tx, name, s.q.forUpdate); err != nil {
			return err
		}
		next := spent.Add(charge)
		if !next.Within(total) {
			exceeded = true
			return nil // nothing written but a row of zeros, which changes nothing
		}
		_, err = tx.ExecContext(ctx, bind(s.dialect, `UPDATE privacy_budgets SET epsilon = $1, delta = $2, charges = $3 WHERE name = $4`),
			next.Epsilon.RatString(), next.Delta.RatString(), int64(next.Charges), name)
		spent = next
		return err
	})
	if err != nil {
		return aggregate.Amount{}, fail(ctx, op, err)
	}
	if exceeded {
		return spent, &privacy.Error{Op: op, Msg: fmt.Sprintf("budget %q exhausted", name), Err: privacy.ErrConflict}
	}
	return spent, nil
}

// Spent implements aggregate.BudgetStore.
func (b *budgets) Spent(ctx context.Context, name string) (aggregate.Amount, error) {
	const op = "sqlstore.Budgets.Spent"
	if err := ctx.Err(); err != nil {
		return aggregate.Amount{}, err
	}
	if checkText(op, "the budget name", name) != nil {
		return zeroAmount(), nil // no stored budget has such a name
	}
	a, err := b.spent(ctx, b.s.db, name, "")
	return a, fail(ctx, op, err)
}

func zeroAmount() aggregate.Amount {
	return aggregate.Amount{Epsilon: new(big.Rat), Delta: new(big.Rat)}
}

// spent reads what budget name has spent; a budget without a row has spent
// nothing.
func (b *budgets) spent(ctx context.Context, q rowQuerier, name, lock string) (aggregate.Amount, error) {
	var (
		eps, delta string
		charges    int64
	)
	err := q.QueryRowContext(ctx, bind(b.s.dialect, `SELECT epsilon, delta, charges FROM privacy_budgets WHERE name = $1`+lock), name).
		Scan(&eps, &delta, &charges)
	if errors.Is(err, sql.ErrNoRows) {
		return zeroAmount(), nil
	}
	if err != nil {
		return aggregate.Amount{}, err
	}
	a := zeroAmount()
	a.Charges = int(charges)
	if _, ok := a.Epsilon.SetString(eps); !ok {
		return aggregate.Amount{}, fmt.Errorf("budget %q: stored epsilon %q is not a number", name, eps)
	}
	if _, ok := a.Delta.SetString(delta); !ok {
		return aggregate.Amount{}, fmt.Errorf("budget %q: stored delta %q is not a number", name, delta)
	}
	return a, nil
}
