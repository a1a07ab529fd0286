package aggregate

import (
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
// than the total together. Make one with [NewBudget]; the zero Budget has
// nothing to spend.
type Budget struct {
	mu                   sync.Mutex
	epsilon, delta       big.Rat // the total; a zero Budget can pay nothing
	spentEps, spentDelta big.Rat
	charges              int
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
// wrapping [privacy.ErrInvalid].
func (b *Budget) Charge(epsilon, delta float64) error {
	const op = "aggregate.Budget.Charge"
	if epsilon != 0 {
		if err := checkEpsilon(op, epsilon); err != nil {
			return err
		}
	}
	if err := checkDelta(op, delta); err != nil {
		return err
	}
	return b.charge(op, exactRat(epsilon), exactRat(delta))
}

func (b *Budget) charge(op string, eps, delta *big.Rat) error {
	b.mu.Lock()
	defer b.mu.Unlock()
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
		re, rd := b.remainingLocked()
		fe, _ := eps.Float64()
		fd, _ := delta.Float64()
		return &privacy.Error{
			Op:  op,
			Msg: fmt.Sprintf("privacy budget exhausted: charge of epsilon %v, delta %v exceeds the remaining epsilon %v, delta %v", fe, fd, re, rd),
			Err: privacy.ErrConflict,
		}
	}
	return nil
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
