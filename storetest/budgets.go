package storetest

import (
	"context"
	"math/big"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// amount is epsilon and delta given as exact rationals ("1/10") with a
// number of charges.
func amount(t *testing.T, epsilon, delta string, charges int) aggregate.Amount {
	t.Helper()
	e, ok := new(big.Rat).SetString(epsilon)
	require.True(t, ok, epsilon)
	d, ok := new(big.Rat).SetString(delta)
	require.True(t, ok, delta)
	return aggregate.Amount{Epsilon: e, Delta: d, Charges: charges}
}

// sameAmount asserts that got is want, exactly: each within the other.
func sameAmount(t *testing.T, want, got aggregate.Amount, msg string) {
	t.Helper()
	assert.True(t, want.Within(got) && got.Within(want) && want.Charges == got.Charges,
		"%s: want epsilon %v, delta %v in %d charges; got %v, %v in %d", msg,
		want.Epsilon, want.Delta, want.Charges, got.Epsilon, got.Delta, got.Charges)
}

// RunBudgetStore checks that the stores newStore makes keep the contract of
// aggregate.BudgetStore. Each case gets a fresh, empty store.
func RunBudgetStore(t *testing.T, newStore func(t *testing.T) aggregate.BudgetStore) {
	t.Helper()
	ctx := context.Background()
	for _, c := range []struct {
		rule  string
		check func(t *testing.T, s aggregate.BudgetStore)
	}{
		{"a budget never charged has spent nothing", func(t *testing.T, s aggregate.BudgetStore) {
			got, err := s.Spent(ctx, "sales")
			require.NoError(t, err)
			sameAmount(t, amount(t, "0", "0", 0), got, "Spent")
		}},
		{"charges add up exactly and each budget by itself", func(t *testing.T, s aggregate.BudgetStore) {
			total := amount(t, "1", "1/1000000", 0)
			for range 10 {
				_, err := s.Charge(ctx, "sales", total, amount(t, "1/10", "1/10000000", 1))
				require.NoError(t, err)
			}
			_, err := s.Charge(ctx, "visits", total, amount(t, "1/2", "0", 1))
			require.NoError(t, err)
			got, err := s.Spent(ctx, "sales")
			require.NoError(t, err)
			sameAmount(t, amount(t, "1", "1/1000000", 10), got, "ten charges of a tenth spend the whole budget, no more and no less")
			got, err = s.Spent(ctx, "visits")
			require.NoError(t, err)
			sameAmount(t, amount(t, "1/2", "0", 1), got, "another budget")
		}},
		{"charge returns what the budget has spent with it", func(t *testing.T, s aggregate.BudgetStore) {
			total := amount(t, "2", "0", 0)
			got, err := s.Charge(ctx, "sales", total, amount(t, "3/4", "0", 1))
			require.NoError(t, err)
			sameAmount(t, amount(t, "3/4", "0", 1), got, "after one charge")
			got, err = s.Charge(ctx, "sales", total, amount(t, "1/4", "0", 1))
			require.NoError(t, err)
			sameAmount(t, amount(t, "1", "0", 2), got, "after two")
		}},
		{"a charge beyond the total, in epsilon or in delta, wraps ErrConflict and spends nothing", func(t *testing.T, s aggregate.BudgetStore) {
			total := amount(t, "1", "1/1000", 0)
			_, err := s.Charge(ctx, "sales", total, amount(t, "9/10", "1/2000", 1))
			require.NoError(t, err)
			got, err := s.Charge(ctx, "sales", total, amount(t, "1/5", "0", 1))
			assert.ErrorIs(t, err, privacy.ErrConflict, "epsilon")
			sameAmount(t, amount(t, "9/10", "1/2000", 1), got, "what was spent, returned with the refusal")
			_, err = s.Charge(ctx, "sales", total, amount(t, "0", "1/1000", 1))
			assert.ErrorIs(t, err, privacy.ErrConflict, "delta")
			got, err = s.Spent(ctx, "sales")
			require.NoError(t, err)
			sameAmount(t, amount(t, "9/10", "1/2000", 1), got, "nothing spent by the refused charges")
			_, err = s.Charge(ctx, "sales", total, amount(t, "1/10", "1/2000", 1))
			assert.NoError(t, err, "what remains can still be spent, exactly")
		}},
		{"concurrent charges never spend more than the total together", func(t *testing.T, s aggregate.BudgetStore) {
			total := amount(t, "1", "0", 0)
			const n = 16
			var wg sync.WaitGroup
			results := make(chan error, n)
			for range n {
				wg.Go(func() {
					eighth := aggregate.Amount{Epsilon: big.NewRat(1, 8), Delta: new(big.Rat), Charges: 1}
					_, err := s.Charge(ctx, "sales", total, eighth)
					results <- err
				})
			}
			wg.Wait()
			close(results)
			ok := 0
			for err := range results {
				if err == nil {
					ok++
				} else {
					assert.ErrorIs(t, err, privacy.ErrConflict)
				}
			}
			assert.Equal(t, 8, ok, "eight eighths fit in the budget")
			got, err := s.Spent(ctx, "sales")
			require.NoError(t, err)
			sameAmount(t, amount(t, "1", "0", 8), got, "Spent")
		}},
		{"a cancelled context is returned and nothing is spent", func(t *testing.T, s aggregate.BudgetStore) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := s.Charge(cctx, "sales", amount(t, "1", "0", 0), amount(t, "1/2", "0", 1))
			assert.ErrorIs(t, err, context.Canceled)
			got, err := s.Spent(ctx, "sales")
			require.NoError(t, err)
			sameAmount(t, amount(t, "0", "0", 0), got, "Spent")
		}},
	} {
		t.Run(c.rule, func(t *testing.T) { c.check(t, newStore(t)) })
	}
}
