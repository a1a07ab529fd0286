package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// recordingNoise returns the draws of next in turn (0 when exhausted) and
// records the parameters it was asked for.
type recordingNoise struct {
	mu     sync.Mutex
	next   []int64
	scales []*big.Rat
	intn   []int64
}

func (n *recordingNoise) draw(p *big.Rat) (int64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.scales = append(n.scales, new(big.Rat).Set(p))
	if len(n.next) == 0 {
		return 0, nil
	}
	x := n.next[0]
	n.next = n.next[1:]
	return x, nil
}

func (n *recordingNoise) Laplace(t *big.Rat) (int64, error)       { return n.draw(t) }
func (n *recordingNoise) Gaussian(sigma2 *big.Rat) (int64, error) { return n.draw(sigma2) }
func (n *recordingNoise) Intn(k int64) (int64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.intn = append(n.intn, k)
	return k - 1, nil // always the last candidate
}

func newBudget(t *testing.T, eps, delta float64) *aggregate.Budget {
	t.Helper()
	b, err := aggregate.NewBudget(eps, delta)
	require.NoError(t, err)
	return b
}

func TestPrivatePublicKeysPublishedInFull(t *testing.T) {
	dims := []aggregate.Dim{{Name: "sector", Keys: []string{"retail", "mining", "fishing"}}}
	rows := rowsOf(
		group{key: aggregate.Key{"retail"}, prefix: "r", n: 3, perSubject: 2, value: 7},
		group{key: aggregate.Key{"mining"}, prefix: "m", n: 1, value: 50},
	)
	noise := &recordingNoise{next: []int64{1, -2, 3, 0, 0, 0, -1, 5, -4}}
	rel := build(t, dims, &aggregate.Options{
		Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum,
		Private: &aggregate.Private{
			Epsilon: 3, Budget: newBudget(t, 3, 0), Noise: noise,
			MaxRecords: 5, Lower: 0, Upper: 10,
		},
	}, rows)
	// retail: 3 subjects, 6 records, each subject's sum 14 clamped to 10 → 30.
	// mining: 1 subject, 1 record, 50 clamped to 10. fishing: empty.
	want := []aggregate.Cell{
		{Key: aggregate.Key{"retail"}, Subjects: 3 + 1, Records: 6 - 2, Sum: 30 + 3},
		{Key: aggregate.Key{"mining"}, Subjects: 1, Records: 1, Sum: 10},
		{Key: aggregate.Key{"fishing"}, Subjects: 0, Records: 5, Sum: 0}, // -1 clamped at zero, +5, -4 clamped at zero
	}
	if diff := cmp.Diff(want, rel.Cells); diff != "" {
		t.Errorf("cells (-want +got):\n%s", diff)
	}
	assert.Empty(t, rel.Totals, "a private release has no totals")
	assert.Zero(t, rel.Threshold)

	// Epsilon 3 split over three measures: 1 each, MaxCells 1.
	wantScales := []*big.Rat{big.NewRat(1, 1), big.NewRat(5, 1), big.NewRat(10, 1)}
	for i, s := range noise.scales {
		assert.Zero(t, s.Cmp(wantScales[i%3]), "draw %d scale %v", i, s)
	}
	wantNoise := []aggregate.Noise{
		{Measure: aggregate.Subjects, Mechanism: aggregate.Laplace, Epsilon: 1, Sensitivity: 1, MaxCells: 1, Scale: 1, CI95: 3},
		{Measure: aggregate.Records, Mechanism: aggregate.Laplace, Epsilon: 1, Sensitivity: 5, MaxCells: 1, Scale: 5, CI95: 15},
		{Measure: aggregate.Sum, Mechanism: aggregate.Laplace, Epsilon: 1, Sensitivity: 10, MaxCells: 1, Scale: 10, CI95: 30},
	}
	if diff := cmp.Diff(wantNoise, rel.Noise); diff != "" {
		t.Errorf("noise records (-want +got):\n%s", diff)
	}
	assert.Equal(t, 3.0, rel.Epsilon)
	assert.Equal(t, 0.0, rel.Delta)
}

func TestPrivateConfidenceIntervals(t *testing.T) {
	// The CI95 half-width must cover at least 95% of the noise and be the
	// smallest that does: check against the exact distribution.
	for _, tc := range []struct {
		name string
		mech aggregate.Mechanism
		eps  float64
		w    func(scale, x float64) float64
	}{
		{"Laplace CI covers 95% of its noise", aggregate.Laplace, 0.3,
			func(s, x float64) float64 { return math.Exp(-math.Abs(x) / s) }},
		{"Gaussian CI covers 95% of its noise", aggregate.Gaussian, 0.7,
			func(s, x float64) float64 { return math.Exp(-x * x / (2 * s * s)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := aggregate.New([]aggregate.Dim{{Name: "s", Keys: []string{"a"}}}, &aggregate.Options{
				Private: &aggregate.Private{Mechanism: tc.mech, Epsilon: tc.eps, Delta: 1e-6, Budget: newBudget(t, 1, 1e-5), MaxCells: 3},
			})
			require.NoError(t, err)
			rel, err := tab.Publish()
			require.NoError(t, err)
			n := rel.Noise[0]
			var z, in, inLess float64
			for x := -100 * n.Scale; x <= 100*n.Scale; x++ {
				p := tc.w(n.Scale, x)
				z += p
				if math.Abs(x) <= float64(n.CI95) {
					in += p
				}
				if math.Abs(x) <= float64(n.CI95-1) {
					inLess += p
				}
			}
			assert.GreaterOrEqual(t, in/z, 0.95, "coverage of ±%d", n.CI95)
			assert.Less(t, inLess/z, 0.95, "±%d would do", n.CI95-1)
		})
	}
}

func TestGaussianCalibration(t *testing.T) {
	// σ² = Δ₂²/(2ρ) with √ρ = √(ln(1/δ)+ε) − √(ln(1/δ)); check the recorded
	// scale and that its conversion back to (ε, δ) gives at most ε.
	tab, err := aggregate.New([]aggregate.Dim{{Name: "s", Keys: []string{"a", "b"}}}, &aggregate.Options{
		Private: &aggregate.Private{Mechanism: aggregate.Gaussian, Epsilon: 1, Delta: 1e-6, Budget: newBudget(t, 1, 1e-6), MaxCells: 4},
	})
	require.NoError(t, err)
	rel, err := tab.Publish()
	require.NoError(t, err)
	n := rel.Noise[0]
	rho := 4.0 / (2 * n.Scale * n.Scale) // Δ₂² = MaxCells·1²
	eps := rho + 2*math.Sqrt(rho*math.Log(1/1e-6))
	assert.LessOrEqual(t, eps, 1.0)
	assert.InEpsilon(t, 1.0, eps, 1e-6, "the noise is not larger than needed")
	assert.Equal(t, 1e-6, n.Delta)
	assert.Equal(t, 1e-6, rel.Delta)
}

func TestPrivateThresholdForDataDependentKeys(t *testing.T) {
	rows := rowsOf(
		group{key: aggregate.Key{"big"}, prefix: "b", n: 200},
		group{key: aggregate.Key{"tiny"}, prefix: "t", n: 1},
	)
	opts := func(noise aggregate.NoiseSource, b *aggregate.Budget) *aggregate.Options {
		return &aggregate.Options{Private: &aggregate.Private{Epsilon: 1, Delta: 1e-6, Budget: b, Noise: noise}}
	}
	b := newBudget(t, 10, 1e-5)
	rel := build(t, sectorDim, opts(&recordingNoise{}, b), rows)
	// Laplace of scale 1 (MaxCells 1, ε 1): τ = 1 + ⌈ln(1/10⁻⁶)⌉ = 1 + 14.
	assert.Equal(t, int64(15), rel.Threshold)
	assert.Equal(t, 1e-6, rel.ThresholdDelta)
	assert.Equal(t, 1e-6, rel.Delta)
	require.Len(t, rel.Cells, 1, "the one-subject key is not listed")
	assert.Equal(t, aggregate.Key{"big"}, rel.Cells[0].Key)

	// Noise that lifts the tiny cell to the threshold lists it.
	rel = build(t, sectorDim, opts(&recordingNoise{next: []int64{0, 14}}, b), rows)
	assert.Len(t, rel.Cells, 2)

	t.Run("the Gaussian mechanism gives thresholding half of delta", func(t *testing.T) {
		noise := &recordingNoise{}
		rel := build(t, sectorDim, &aggregate.Options{
			Measures: aggregate.Records,
			Private: &aggregate.Private{
				Mechanism: aggregate.Gaussian, Epsilon: 2, Delta: 1e-6, Budget: newBudget(t, 2, 1e-6), Noise: noise,
			},
		}, rows)
		assert.Equal(t, aggregate.Subjects|aggregate.Records, rel.Measures, "thresholding publishes Subjects")
		assert.Equal(t, 1e-6, rel.Delta)
		assert.Equal(t, 5e-7, rel.ThresholdDelta)
		require.Len(t, rel.Noise, 2)
		for _, n := range rel.Noise {
			assert.Equal(t, 1.0, n.Epsilon)
			assert.Equal(t, 2.5e-7, n.Delta)
		}
		sigma := rel.Noise[0].Scale
		assert.Equal(t, 1+int64(math.Ceil(sigma*math.Sqrt(2*math.Log(1/5e-7))*(1+1e-9))), rel.Threshold)
	})
	t.Run("keys of contributions dropped by MaxCells are not candidates", func(t *testing.T) {
		// One subject in five keys with MaxCells 1, and noise that lifts
		// every candidate over the threshold: only the kept key is listed,
		// so the subject can reveal at most MaxCells keys, as δ assumes.
		var rows []aggregate.Row
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			rows = append(rows, aggregate.Row{Subject: "lone", Key: aggregate.Key{k}})
		}
		noise := &recordingNoise{next: []int64{1000, 1000, 1000, 1000, 1000}}
		rel := build(t, sectorDim, opts(noise, newBudget(t, 1, 1e-6)), rows)
		require.Len(t, rel.Cells, 1)
		assert.Equal(t, aggregate.Key{"b"}, rel.Cells[0].Key, "Intn picks the last of [a e d c b]")
	})
	t.Run("with real noise a lone subject's key stays hidden", func(t *testing.T) {
		// CryptoNoise and δ = 10⁻⁹: the one-subject key is listed with
		// probability at most 10⁻⁹ per release, so this fails by chance in
		// fewer than one run in 10⁷; the 200-subject key (τ = 22) is
		// missing with probability below 10⁻⁷⁰.
		b := newBudget(t, 100, 1e-6)
		for range 10 {
			rel := build(t, sectorDim, &aggregate.Options{Private: &aggregate.Private{Epsilon: 1, Delta: 1e-9, Budget: b}}, rows)
			require.Len(t, rel.Cells, 1)
			assert.Equal(t, aggregate.Key{"big"}, rel.Cells[0].Key)
			assert.Equal(t, int64(22), rel.Threshold)
		}
	})
}

func TestPrivateContributionBounds(t *testing.T) {
	dims := []aggregate.Dim{{Name: "month", Keys: []string{"jan", "feb", "mar", "apr"}}}
	// One subject in all four months with 100 rows of 1000 in each.
	var rows []aggregate.Row
	for _, m := range dims[0].Keys {
		for range 100 {
			rows = append(rows, aggregate.Row{Subject: "heavy", Key: aggregate.Key{m}, Value: 1000})
		}
	}
	noise := &recordingNoise{}
	rel := build(t, dims, &aggregate.Options{
		Measures: aggregate.Subjects | aggregate.Records | aggregate.Sum,
		Private: &aggregate.Private{
			Epsilon: 1, Budget: newBudget(t, 1, 0), Noise: noise,
			MaxCells: 2, MaxRecords: 3, Lower: -5, Upper: 20,
		},
	}, rows)
	var subjects, records, sum int64
	for _, c := range rel.Cells {
		subjects += c.Subjects
		records += c.Records
		sum += c.Sum
	}
	assert.Equal(t, int64(2), subjects, "the subject counts in MaxCells cells")
	assert.Equal(t, int64(2*3), records, "MaxRecords rows per cell")
	assert.Equal(t, int64(2*20), sum, "the subject's sum per cell is clamped to Upper")
	assert.Equal(t, []int64{4, 3}, noise.intn, "two cells drawn among four")
	// Intn returns the last candidate: a partial Fisher–Yates shuffle over
	// the subject's cells [jan, apr, mar, feb] (each new cell is linked right
	// after the first) swaps feb to the front and keeps it, then swaps jan
	// from the end into second place and keeps it.
	kept := map[string]int64{}
	for _, c := range rel.Cells {
		kept[c.Key[0]] = c.Subjects
	}
	assert.Equal(t, map[string]int64{"jan": 1, "feb": 1, "mar": 0, "apr": 0}, kept)
	for _, n := range rel.Noise {
		assert.Equal(t, 2, n.MaxCells)
	}
	assert.Equal(t, []int64{1, 3, 20}, []int64{rel.Noise[0].Sensitivity, rel.Noise[1].Sensitivity, rel.Noise[2].Sensitivity})
	// ε = 1/3 per measure, L1 = MaxCells × sensitivity.
	assert.InEpsilon(t, 6.0, rel.Noise[0].Scale, 1e-12)
	assert.InEpsilon(t, 18.0, rel.Noise[1].Scale, 1e-12)
	assert.InEpsilon(t, 120.0, rel.Noise[2].Scale, 1e-12)
}

func TestBudget(t *testing.T) {
	dims := []aggregate.Dim{{Name: "sector", Keys: []string{"a", "b"}}}
	rows := rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 30})
	private := func(b *aggregate.Budget, eps float64) *aggregate.Options {
		return &aggregate.Options{Private: &aggregate.Private{Epsilon: eps, Budget: b, Noise: &recordingNoise{}}}
	}

	t.Run("a release the budget cannot pay is refused and spends nothing", func(t *testing.T) {
		b := newBudget(t, 1, 0)
		tab, err := aggregate.New(dims, private(b, 0.6))
		require.NoError(t, err)
		require.NoError(t, tab.AddAll(context.Background(), seqOf(rows)))
		_, err = tab.Publish()
		require.NoError(t, err)
		rel, err := tab.Publish()
		assert.Nil(t, rel)
		require.ErrorIs(t, err, privacy.ErrConflict)
		assert.Contains(t, err.Error(), "budget")
		eps, delta := b.Remaining()
		assert.InDelta(t, 0.4, eps, 1e-15)
		assert.Zero(t, delta)
		_, _, charges := b.Spent()
		assert.Equal(t, 1, charges)
	})
	t.Run("New refuses a table the budget cannot pay for once", func(t *testing.T) {
		b := newBudget(t, 0.5, 0)
		_, err := aggregate.New(dims, private(b, 0.6))
		require.ErrorIs(t, err, privacy.ErrConflict)
	})
	t.Run("the budget is charged before the noise is drawn", func(t *testing.T) {
		b := newBudget(t, 1, 0)
		noise := &recordingNoise{}
		tab, err := aggregate.New(dims, &aggregate.Options{Private: &aggregate.Private{Epsilon: 1, Budget: b, Noise: noise}})
		require.NoError(t, err)
		require.NoError(t, b.Charge(0.5, 0)) // someone else spends half
		_, err = tab.Publish()
		require.ErrorIs(t, err, privacy.ErrConflict)
		assert.Empty(t, noise.scales, "no noise drawn for a refused release")
	})
	t.Run("ten charges of 0.1 spend a budget of 1 exactly", func(t *testing.T) {
		b := newBudget(t, 1, 1e-6)
		for i := range 10 {
			require.NoError(t, b.Charge(0.1, 1e-7), "charge %d", i)
		}
		eps, delta := b.Remaining()
		assert.Zero(t, eps)
		assert.Zero(t, delta)
		assert.ErrorIs(t, b.Charge(1e-300, 0), privacy.ErrConflict)
		assert.ErrorIs(t, b.Charge(0, 1e-300), privacy.ErrConflict)
	})
	t.Run("concurrent charges never overspend", func(t *testing.T) {
		b := newBudget(t, 1, 0)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 50 {
			wg.Go(func() {
				if b.Charge(0.1, 0) == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 10, ok)
		eps, _, charges := b.Spent()
		assert.Equal(t, 1.0, eps)
		assert.Equal(t, 10, charges)
	})
	t.Run("concurrent releases never overspend", func(t *testing.T) {
		b := newBudget(t, 2, 0)
		var wg sync.WaitGroup
		results := make(chan error, 8)
		for i := range 8 {
			wg.Go(func() {
				tab, err := aggregate.New(dims, private(b, 0.5))
				if err != nil {
					results <- err
					return
				}
				if err := tab.Add(aggregate.Row{Subject: privacy.SubjectID(fmt.Sprint(i)), Key: aggregate.Key{"a"}}); err != nil {
					results <- err
					return
				}
				_, err = tab.Publish()
				results <- err
			})
		}
		wg.Wait()
		close(results)
		published := 0
		for err := range results {
			if err == nil {
				published++
			} else {
				assert.ErrorIs(t, err, privacy.ErrConflict)
			}
		}
		assert.Equal(t, 4, published)
	})
	for _, tc := range []struct {
		name       string
		eps, delta float64
	}{
		{"a budget needs epsilon above 0", 0, 0},
		{"a budget's epsilon is finite", math.Inf(1), 0},
		{"a budget's epsilon is a number", math.NaN(), 0},
		{"a budget's delta is below 1", 1, 1},
		{"a budget's delta is not negative", 1, -1e-9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := aggregate.NewBudget(tc.eps, tc.delta)
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		})
	}
	t.Run("the zero Budget pays nothing", func(t *testing.T) {
		var b aggregate.Budget
		assert.ErrorIs(t, b.Charge(0.1, 0), privacy.ErrConflict)
		assert.NoError(t, b.Charge(0, 0))
	})
	t.Run("a negative charge is rejected", func(t *testing.T) {
		b := newBudget(t, 1, 0.1)
		assert.ErrorIs(t, b.Charge(-0.1, 0), privacy.ErrInvalid)
		assert.ErrorIs(t, b.Charge(0.1, -0.01), privacy.ErrInvalid)
		eps, _, _ := b.Spent()
		assert.Zero(t, eps)
	})
}

func TestPrivateReleaseIsRepeatable(t *testing.T) {
	// Publishing twice draws fresh noise and charges twice; the table keeps
	// counting between releases.
	dims := []aggregate.Dim{{Name: "sector", Keys: []string{"a"}}}
	b := newBudget(t, 2, 0)
	noise := &recordingNoise{next: []int64{1, 2}}
	tab, err := aggregate.New(dims, &aggregate.Options{Private: &aggregate.Private{Epsilon: 1, Budget: b, Noise: noise}})
	require.NoError(t, err)
	require.NoError(t, tab.AddAll(context.Background(), seqOf(rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 10}))))
	r1, err := tab.Publish()
	require.NoError(t, err)
	require.NoError(t, tab.Add(aggregate.Row{Subject: "new", Key: aggregate.Key{"a"}}))
	r2, err := tab.Publish()
	require.NoError(t, err)
	assert.Equal(t, int64(11), r1.Cells[0].Subjects)
	assert.Equal(t, int64(13), r2.Cells[0].Subjects)
	eps, _ := b.Remaining()
	assert.Zero(t, eps)
}

// failingBudgets is a BudgetStore whose charges fail.
type failingBudgets struct{ *aggregate.MemoryBudgets }

func (failingBudgets) Charge(context.Context, string, aggregate.Amount, aggregate.Amount) (aggregate.Amount, error) {
	return aggregate.Amount{}, errors.New("connection refused")
}

func TestOpenBudget(t *testing.T) {
	ctx := context.Background()
	dims := []aggregate.Dim{{Name: "sector", Keys: []string{"a", "b"}}}
	rows := rowsOf(group{key: aggregate.Key{"a"}, prefix: "s", n: 30})
	publish := func(b *aggregate.Budget, eps float64) (*aggregate.Release, error) {
		tab, err := aggregate.New(dims, &aggregate.Options{Private: &aggregate.Private{Epsilon: eps, Budget: b, Noise: &recordingNoise{}}})
		require.NoError(t, err)
		require.NoError(t, tab.AddAll(ctx, seqOf(rows)))
		return tab.PublishContext(ctx)
	}
	t.Run("budgets opened by one name share what they spend", func(t *testing.T) {
		store := aggregate.NewMemoryBudgets()
		a, err := aggregate.OpenBudget(ctx, store, "clients", 1, 0)
		require.NoError(t, err)
		b, err := aggregate.OpenBudget(ctx, store, "clients", 1, 0)
		require.NoError(t, err)
		other, err := aggregate.OpenBudget(ctx, store, "visits", 1, 0)
		require.NoError(t, err)
		_, err = publish(a, 0.6)
		require.NoError(t, err)
		rel, err := publish(b, 0.6)
		assert.Nil(t, rel)
		require.ErrorIs(t, err, privacy.ErrConflict, "the other process's release spent most of it")
		eps, _ := b.Remaining()
		assert.InDelta(t, 0.4, eps, 1e-15, "the refusal brings what was spent elsewhere")
		_, err = publish(other, 0.6)
		require.NoError(t, err, "a budget of another name is its own")
	})
	t.Run("a budget reopened starts from what it spent", func(t *testing.T) {
		store := aggregate.NewMemoryBudgets()
		a, err := aggregate.OpenBudget(ctx, store, "clients", 1, 1e-6)
		require.NoError(t, err)
		for range 3 {
			require.NoError(t, a.ChargeContext(ctx, 0.1, 1e-7))
		}
		again, err := aggregate.OpenBudget(ctx, store, "clients", 1, 1e-6)
		require.NoError(t, err)
		eps, delta, charges := again.Spent()
		assert.InDelta(t, 0.3, eps, 1e-15)
		assert.InDelta(t, 3e-7, delta, 1e-20)
		assert.Equal(t, 3, charges)
		require.NoError(t, again.ChargeContext(ctx, 0.7, 0))
		assert.ErrorIs(t, again.ChargeContext(ctx, 0.1, 0), privacy.ErrConflict, "0.3 + 0.7 is exactly the total")
	})
	t.Run("a store that fails refuses the release", func(t *testing.T) {
		b, err := aggregate.OpenBudget(ctx, failingBudgets{aggregate.NewMemoryBudgets()}, "clients", 1, 0)
		require.NoError(t, err)
		rel, err := publish(b, 0.5)
		assert.Nil(t, rel)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "connection refused")
		_, _, charges := b.Spent()
		assert.Zero(t, charges)
	})
	t.Run("a store and a name are required", func(t *testing.T) {
		_, err := aggregate.OpenBudget(ctx, nil, "clients", 1, 0)
		assert.ErrorIs(t, err, privacy.ErrInvalid)
		_, err = aggregate.OpenBudget(ctx, aggregate.NewMemoryBudgets(), "", 1, 0)
		assert.ErrorIs(t, err, privacy.ErrInvalid)
		_, err = aggregate.OpenBudget(ctx, aggregate.NewMemoryBudgets(), "clients", 0, 0)
		assert.ErrorIs(t, err, privacy.ErrInvalid)
	})
}
