package aggregate_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	budget, err := aggregate.NewBudget(10, 0.1)
	require.NoError(t, err)
	public := []aggregate.Dim{{Name: "sector", Keys: []string{"a", "b"}}}
	priv := func(p aggregate.Private) *aggregate.Options {
		if p.Budget == nil {
			p.Budget = budget
		}
		return &aggregate.Options{Private: &p}
	}
	privSum := func(p aggregate.Private) *aggregate.Options {
		o := priv(p)
		o.Measures = aggregate.Sum
		return o
	}
	for _, tc := range []struct {
		name string
		dims []aggregate.Dim
		opts *aggregate.Options
		msg  string // part of the error message
	}{
		{"k = 1 is rejected", sectorDim, &aggregate.Options{MinSubjects: 1}, "MinSubjects 1"},
		{"negative k is rejected", sectorDim, &aggregate.Options{MinSubjects: -3}, "MinSubjects -3"},
		{"a dominance rule needs N ≥ 1", sectorDim, &aggregate.Options{Dominance: []aggregate.Dominance{{N: 0, K: 50}}}, "N must be"},
		{"a dominance rule has N ≤ 8", sectorDim, &aggregate.Options{Dominance: []aggregate.Dominance{{N: 9, K: 50}}}, "N must be"},
		{"a dominance rule's K is below 100", sectorDim, &aggregate.Options{Dominance: []aggregate.Dominance{{N: 1, K: 100}}}, "K must be"},
		{"a dominance rule's K is above 0", sectorDim, &aggregate.Options{Dominance: []aggregate.Dominance{{N: 1, K: 0}}}, "K must be"},
		{"an unknown measure is rejected", sectorDim, &aggregate.Options{Measures: 1 << 6}, "unknown measure"},
		{"three dimensions are too many", []aggregate.Dim{{Name: "a"}, {Name: "b"}, {Name: "c"}}, nil, "at most 2"},
		{"a dimension needs a name", []aggregate.Dim{{}}, nil, "no name"},
		{"dimension names are unique", []aggregate.Dim{{Name: "a"}, {Name: "a"}}, nil, "named twice"},
		{"a public key set is not empty", []aggregate.Dim{{Name: "a", Keys: []string{}}}, nil, "empty public key set"},
		{"a public key is not empty", []aggregate.Dim{{Name: "a", Keys: []string{"x", ""}}}, nil, "empty public key"},
		{"a public key is listed once", []aggregate.Dim{{Name: "a", Keys: []string{"x", "x"}}}, nil, "twice"},

		{"epsilon 0 is rejected", public, priv(aggregate.Private{Epsilon: 0}), "epsilon 0"},
		{"negative epsilon is rejected", public, priv(aggregate.Private{Epsilon: -1}), "epsilon -1"},
		{"NaN epsilon is rejected", public, priv(aggregate.Private{Epsilon: math.NaN()}), "epsilon NaN"},
		{"infinite epsilon is rejected", public, priv(aggregate.Private{Epsilon: math.Inf(1)}), "epsilon +Inf"},
		{"negative delta is rejected", public, priv(aggregate.Private{Epsilon: 1, Delta: -0.1}), "delta -0.1"},
		{"delta 1 is rejected", public, priv(aggregate.Private{Epsilon: 1, Delta: 1}), "delta 1"},
		{"NaN delta is rejected", public, priv(aggregate.Private{Epsilon: 1, Delta: math.NaN()}), "delta NaN"},
		{"a lower bound above the upper is rejected", public, privSum(aggregate.Private{Epsilon: 1, Lower: 10, Upper: 5}), "lower bound 10 is above upper bound 5"},
		{"a lower bound of MinInt64 overflows the sensitivity", public, privSum(aggregate.Private{Epsilon: 1, Lower: math.MinInt64, Upper: 0}), "overflows"},
		{"MaxCells × bound overflowing int64 is rejected", public, privSum(aggregate.Private{Epsilon: 1, Lower: 0, Upper: math.MaxInt64 / 2, MaxCells: 3}), "overflows"},
		{"MaxCells × MaxRecords overflowing int64 is rejected", public, &aggregate.Options{Measures: aggregate.Records, Private: &aggregate.Private{Epsilon: 1, Budget: budget, MaxRecords: math.MaxInt64, MaxCells: 2}}, "overflows"},
		{"noise beyond 2^50 is rejected", public, privSum(aggregate.Private{Epsilon: 1e-6, Lower: 0, Upper: 1 << 40}), "noise scale"},
		{"a private Sum needs bounds", public, privSum(aggregate.Private{Epsilon: 1}), "bounds"},
		{"negative MaxCells is rejected", public, priv(aggregate.Private{Epsilon: 1, MaxCells: -1}), "MaxCells"},
		{"negative MaxRecords is rejected", public, priv(aggregate.Private{Epsilon: 1, MaxRecords: -1}), "MaxRecords"},
		{"the Gaussian mechanism needs delta", public, priv(aggregate.Private{Epsilon: 1, Mechanism: aggregate.Gaussian}), "Delta > 0"},
		{"data-dependent keys need delta", sectorDim, priv(aggregate.Private{Epsilon: 1}), "Delta > 0"},
		{"an unknown mechanism is rejected", public, priv(aggregate.Private{Epsilon: 1, Mechanism: 7}), "mechanism"},
		{"a private release needs a budget", public, &aggregate.Options{Private: &aggregate.Private{Epsilon: 1}}, "Budget"},
		{"MinSubjects does not apply to a private release", public, &aggregate.Options{MinSubjects: 5, Private: &aggregate.Private{Epsilon: 1, Budget: budget}}, "exact releases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := aggregate.New(tc.dims, tc.opts)
			assert.Nil(t, tab)
			require.ErrorIs(t, err, privacy.ErrInvalid)
			var perr *privacy.Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, "aggregate.New", perr.Op)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestNewAcceptsValidOptions(t *testing.T) {
	budget, err := aggregate.NewBudget(10, 0.1)
	require.NoError(t, err)
	public := []aggregate.Dim{{Name: "sector", Keys: []string{"a", "b"}}}
	for _, tc := range []struct {
		name string
		dims []aggregate.Dim
		opts *aggregate.Options
	}{
		{"nil options mean defaults", sectorDim, nil},
		{"k = 2 is the smallest threshold", sectorDim, &aggregate.Options{MinSubjects: 2}},
		{"a table may have no dimensions", nil, nil},
		{"two dimensions, one public", []aggregate.Dim{{Name: "sector"}, {Name: "month", Keys: []string{"jan"}}}, nil},
		{"Laplace on public keys needs no delta", public, &aggregate.Options{Private: &aggregate.Private{Epsilon: 0.1, Budget: budget}}},
		{"equal bounds are allowed", public, &aggregate.Options{Measures: aggregate.Sum, Private: &aggregate.Private{Epsilon: 1, Budget: budget, Lower: 5, Upper: 5}}},
		{"negative bounds are allowed", public, &aggregate.Options{Measures: aggregate.Sum, Private: &aggregate.Private{Epsilon: 1, Budget: budget, Lower: -100, Upper: -1}}},
		{"Gaussian on data-dependent keys", sectorDim, &aggregate.Options{Private: &aggregate.Private{Epsilon: 1, Delta: 1e-6, Mechanism: aggregate.Gaussian, Budget: budget}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := aggregate.New(tc.dims, tc.opts)
			assert.NoError(t, err)
		})
	}
}

func TestStrings(t *testing.T) {
	assert.Equal(t, "subjects|records|sum", (aggregate.Subjects | aggregate.Records | aggregate.Sum).String())
	assert.Equal(t, "sum", aggregate.Sum.String())
	assert.Equal(t, "published", aggregate.Published.String())
	assert.Equal(t, "suppressed (secondary)", aggregate.SuppressedSecondary.String())
	assert.Equal(t, "discrete Gaussian", aggregate.Gaussian.String())
	assert.True(t, aggregate.SuppressedDominance.Primary())
	assert.False(t, aggregate.SuppressedSecondary.Primary())
}
