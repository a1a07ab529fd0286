package aggregate

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/smartbooqing/steward/privacy"
)

// Budget is a privacy budget: the total epsilon and delta that the private
// releases of a data set may spend together, under basic composition (the
// epsilons add up, and so do the deltas). A release is charged before its
// noise is drawn, and a charge the budget cannot pay is refused whole.
//
// Amounts are kept as exact rationals of their shortest decimal form, so ten
// charges of 0.1 spend a budget of 1 exactly, with no rounding either way.
// A Budget is safe for concurrent use: concurrent charges never spend more
// than the total together. Make one with [NewBudget], which keeps what it
// spent in memory, or with [OpenBudget], which keeps it in a [BudgetStore]
// so that it outlives the process and is shared by every process charging
// it; the zero Budget has nothing to spend.
type Budget struct {
	mu                   sync.Mutex // held across a charge, store call included
	epsilon, delta       big.Rat    // the total; a zero Budget can pay nothing
	spentEps, spentDelta big.Rat    // with a store: as of the last charge or OpenBudget
	charges              int
	store                BudgetStore
	name                 string
}

// BudgetStore keeps what privacy budgets have spent, so that a budget
// outlives the process: a budget that restarts from nothing with every
// process would let the releases of several processes together spend more
// than its total. Implementations must be safe for concurrent use, by
// several processes where the store is shared; [MemoryBudgets] keeps them in
// memory, package sqlstore in SQLite or PostgreSQL, and package storetest
// checks any implementation.
type BudgetStore interface {
	// Charge adds charge to what the budget called name has spent if the
	// sum stays within total, in epsilon and in delta, in one atomic step,
	// and returns what the budget has spent with it. Otherwise it adds
	// nothing and returns what the budget has spent with an error wrapping
	// privacy.ErrConflict. A budget never charged has spent nothing.
	Charge(ctx context.Context, name string, total, charge Amount) (Amount, error)
	// Spent returns what the budget called name has spent.
	Spent(ctx context.Context, name string) (Amount, error)
}

// Amount is an amount of privacy budget: epsilon and delta, exact, and the
// number of charges that make it up. A nil Epsilon or Delta is zero.
type Amount struct {
	Epsilon, Delta *big.Rat
	Charges        int
}

// Add returns a + b, in new rationals.
func (a Amount) Add(b Amount) Amount {
	return Amount{Epsilon: new(big.Rat).Add(ratOrZero(a.Epsilon), ratOrZero(b.Epsilon)),
		Delta: new(big.Rat).Add(ratOrZero(a.Delta), ratOrZero(b.Delta)), Charges: a.Charges + b.Charges}
}

// clone returns a in new rationals, which the caller may keep.
func (a Amount) clone() Amount { return a.Add(Amount{}) }

// Within reports whether a is at most total in epsilon and in delta.
func (a Amount) Within(total Amount) bool {
	return ratOrZero(a.Epsilon).Cmp(ratOrZero(total.Epsilon)) <= 0 && ratOrZero(a.Delta).Cmp(ratOrZero(total.Delta)) <= 0
}

// Valid reports whether a's epsilon and delta are at least zero and its
// charges not negative.
func (a Amount) Valid() bool {
	return ratOrZero(a.Epsilon).Sign() >= 0 && ratOrZero(a.Delta).Sign() >= 0 && a.Charges >= 0
}

func ratOrZero(r *big.Rat) *big.Rat {
	if r == nil {
		return new(big.Rat)
	}
	return r
}

// OpenBudget returns the budget called name, of epsilon (finite, above 0)
// and delta (in [0, 1)), whose charges store keeps: it starts from what the
// budget has spent there, and each charge is made in store, atomically
// against every other charge of the budget. A name is the data set the
// releases are about; a budget reopened with another total is charged
// against the new total.
//
// Remaining and Spent report the budget as of the last charge made through
// this Budget, or of OpenBudget; another process's charges show from then.
func OpenBudget(ctx context.Context, store BudgetStore, name string, epsilon, delta float64) (*Budget, error) {
	const op = "aggregate.OpenBudget"
	if store == nil || name == "" {
		return nil, invalid(op, "a budget store and a name are required")
	}
	b, err := NewBudget(epsilon, delta)
	if err != nil {
		return nil, privacy.Wrap(op, err)
	}
	spent, err := store.Spent(ctx, name)
	if err != nil {
		return nil, privacy.Wrap(op, err)
	}
	if !spent.Valid() {
		return nil, &privacy.Error{Op: op, Msg: fmt.Sprintf("budget %q: the store reports a negative amount spent", name), Err: privacy.ErrInvalid}
	}
	b.store, b.name = store, name
	b.setSpent(spent)
	return b, nil
}

func (b *Budget) setSpent(a Amount) {
	b.spentEps.Set(ratOrZero(a.Epsilon))
	b.spentDelta.Set(ratOrZero(a.Delta))
	b.charges = a.Charges
}

// NewBudget returns a budget of epsilon (finite, above 0) and delta (in [0, 1)).
func NewBudget(epsilon, delta float64) (*Budget, error) {
	const op = "aggregate.NewBudget"
	if err := checkEpsilon(op, epsilon); err != nil {
		return nil, err
	}
	if err := checkDelta(op, delta); err != nil {
		return nil, err
	}
	b := &Budget{}
	b.epsilon.Set(exactRat(epsilon))
	b.delta.Set(exactRat(delta))
	return b, nil
}

// Charge spends epsilon and delta, or spends nothing and returns an error
// wrapping [privacy.ErrConflict] if either would exceed what remains. A
// negative, NaN or infinite amount, or a delta of 1 or more, is an error
// wrapping [privacy.ErrInvalid]. It is ChargeContext with a background
// context.
func (b *Budget) Charge(epsilon, delta float64) error {
	return b.ChargeContext(context.Background(), epsilon, delta)
}

// ChargeContext is Charge with ctx for the budget's store. An error of the
// store refuses the charge.
func (b *Budget) ChargeContext(ctx context.Context, epsilon, delta float64) error {
	const op = "aggregate.Budget.Charge"
	if epsilon != 0 {
		if err := checkEpsilon(op, epsilon); err != nil {
			return err
		}
	}
	if err := checkDelta(op, delta); err != nil {
		return err
	}
	return b.charge(ctx, op, exactRat(epsilon), exactRat(delta))
}

func (b *Budget) charge(ctx context.Context, op string, eps, delta *big.Rat) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.store != nil {
		total := Amount{Epsilon: new(big.Rat).Set(&b.epsilon), Delta: new(big.Rat).Set(&b.delta)}
		spent, err := b.store.Charge(ctx, b.name, total, Amount{Epsilon: eps, Delta: delta, Charges: 1})
		if err != nil && !errors.Is(err, privacy.ErrConflict) {
			return privacy.Wrap(op, fmt.Errorf("budget %q: %w", b.name, err))
		}
		if spent.Valid() {
			b.setSpent(spent)
		}
		if err != nil {
			return b.exhausted(op, eps, delta)
		}
		return nil
	}
	if err := b.checkLocked(op, eps, delta); err != nil {
		return err
	}
	b.spentEps.Add(&b.spentEps, eps)
	b.spentDelta.Add(&b.spentDelta, delta)
	b.charges++
	return nil
}

// check reports whether the budget could pay eps and delta now, without
// charging; a later charge can still be refused.
func (b *Budget) check(op string, eps, delta *big.Rat) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.checkLocked(op, eps, delta)
}

func (b *Budget) checkLocked(op string, eps, delta *big.Rat) error {
	var e, d big.Rat
	e.Add(&b.spentEps, eps)
	d.Add(&b.spentDelta, delta)
	if e.Cmp(&b.epsilon) > 0 || d.Cmp(&b.delta) > 0 {
		return b.exhausted(op, eps, delta)
	}
	return nil
}

func (b *Budget) exhausted(op string, eps, delta *big.Rat) error {
	re, rd := b.remainingLocked()
	fe, _ := eps.Float64()
	fd, _ := delta.Float64()
	return &privacy.Error{
		Op:  op,
		Msg: fmt.Sprintf("privacy budget exhausted: charge of epsilon %v, delta %v exceeds the remaining epsilon %v, delta %v", fe, fd, re, rd),
		Err: privacy.ErrConflict,
	}
}

// MemoryBudgets is a BudgetStore in memory: budgets shared by the Budgets
// of one process, gone with it.
type MemoryBudgets struct {
	mu    sync.Mutex
	spent map[string]Amount
}

var _ BudgetStore = (*MemoryBudgets)(nil)

// NewMemoryBudgets returns an empty store.
func NewMemoryBudgets() *MemoryBudgets { return &MemoryBudgets{spent: map[string]Amount{}} }

// Charge implements BudgetStore.
func (m *MemoryBudgets) Charge(ctx context.Context, name string, total, charge Amount) (Amount, error) {
	if err := ctx.Err(); err != nil {
		return Amount{}, err
	}
	if !charge.Valid() || !total.Valid() {
		return Amount{}, invalid("aggregate.MemoryBudgets.Charge", "a negative amount")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	spent := m.spent[name].clone()
	next := spent.Add(charge)
	if !next.Within(total) {
		return spent, &privacy.Error{Op: "aggregate.MemoryBudgets.Charge", Msg: fmt.Sprintf("budget %q exhausted", name), Err: privacy.ErrConflict}
	}
	m.spent[name] = next
	return next.clone(), nil
}

// Spent implements BudgetStore.
func (m *MemoryBudgets) Spent(ctx context.Context, name string) (Amount, error) {
	if err := ctx.Err(); err != nil {
		return Amount{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spent[name].clone(), nil
}

// Remaining returns what the budget can still spend.
func (b *Budget) Remaining() (epsilon, delta float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.remainingLocked()
}

func (b *Budget) remainingLocked() (epsilon, delta float64) {
	var e, d big.Rat
	epsilon, _ = e.Sub(&b.epsilon, &b.spentEps).Float64()
	delta, _ = d.Sub(&b.delta, &b.spentDelta).Float64()
	return epsilon, delta
}

// Spent returns what the budget has spent and in how many charges.
func (b *Budget) Spent() (epsilon, delta float64, charges int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	epsilon, _ = b.spentEps.Float64()
	delta, _ = b.spentDelta.Float64()
	return epsilon, delta, b.charges
}
