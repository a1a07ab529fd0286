package aggregate_test

import (
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/privacy"
)

// moments returns the variance and fourth moment of a symmetric distribution
// on the integers with unnormalised probabilities w(|x|), summed until the
// terms no longer matter.
func moments(w func(x float64) float64) (variance, fourth float64) {
	z, m2, m4 := w(0), 0.0, 0.0
	for x := 1.0; ; x++ {
		p := 2 * w(x)
		z += p
		m2 += p * x * x
		m4 += p * x * x * x * x
		if p*x*x*x*x < 1e-18*m4 {
			break
		}
	}
	return m2 / z, m4 / z
}

// TestNoiseScale checks that CryptoNoise's draws have the variance of the
// distribution they claim, for both mechanisms, with crypto/rand.
//
// The statistic is a median of means: the draws are split into g = 128
// groups of m, and each group's mean of X² estimates the variance V (the mean
// is 0 by symmetry). By Chebyshev, a group mean is further than
// a = 2·sqrt((μ₄ − V²)/m) from V with probability at most 1/4. The median is
// further than a only if at least half of the groups are, which by
// Hoeffding's inequality has probability at most exp(−2g(1/2 − 1/4)²) =
// exp(−g/8) = exp(−16) ≈ 1.1·10⁻⁷. Over the four cases the test fails by
// chance with probability below 4.5·10⁻⁷, less than one in two million runs.
//
// With m = 1000 the tolerance a is 2·sqrt(κ−1)/sqrt(1000) of V, where κ =
// μ₄/V² is the kurtosis: about ±14% of the variance (±7% of the scale) for
// Laplace noise (κ ≈ 6) and ±9% (±4.5%) for Gaussian noise (κ ≈ 3). A sampler
// whose scale is off by a fifth is caught.
func TestNoiseScale(t *testing.T) {
	const groups, perGroup = 128, 1000
	var src aggregate.CryptoNoise
	for _, tc := range []struct {
		name  string
		param *big.Rat
		draw  func(*big.Rat) (int64, error)
		w     func(x float64) float64
	}{
		{"discrete Laplace of scale 3 has variance 2p/(1-p)²", big.NewRat(3, 1), src.Laplace,
			func(x float64) float64 { return math.Exp(-x / 3) }},
		{"discrete Laplace of scale 25/2 has variance 2p/(1-p)²", big.NewRat(25, 2), src.Laplace,
			func(x float64) float64 { return math.Exp(-x / 12.5) }},
		{"discrete Gaussian with σ²=9 has variance just below 9", big.NewRat(9, 1), src.Gaussian,
			func(x float64) float64 { return math.Exp(-x * x / 18) }},
		{"discrete Gaussian with σ²=1000/7 has variance just below σ²", big.NewRat(1000, 7), src.Gaussian,
			func(x float64) float64 { return math.Exp(-x * x * 7 / 2000) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, m4 := moments(tc.w)
			tol := 2 * math.Sqrt((m4-v*v)/perGroup)
			means := make([]float64, groups)
			for g := range means {
				var s float64
				for range perGroup {
					x, err := tc.draw(tc.param)
					require.NoError(t, err)
					s += float64(x) * float64(x)
				}
				means[g] = s / perGroup
			}
			slices.Sort(means)
			median := (means[groups/2-1] + means[groups/2]) / 2
			assert.InDelta(t, v, median, tol, "variance %.4g, median of group means %.4g, tolerance ±%.3g (%.1f%%)", v, median, tol, 100*tol/v)
		})
	}
}

func TestNoiseLaplaceClosedForm(t *testing.T) {
	// The variance the test above computes by summation agrees with the
	// closed form 2p/(1-p)², p = exp(-1/t), so the reference is right.
	for _, scale := range []float64{3, 12.5} {
		p := math.Exp(-1 / scale)
		v, _ := moments(func(x float64) float64 { return math.Exp(-x / scale) })
		assert.InEpsilon(t, 2*p/((1-p)*(1-p)), v, 1e-9)
	}
}

func TestCryptoNoiseRejectsBadParameters(t *testing.T) {
	var src aggregate.CryptoNoise
	for _, tc := range []struct {
		name string
		call func() (int64, error)
	}{
		{"Laplace scale must be positive", func() (int64, error) { return src.Laplace(big.NewRat(0, 1)) }},
		{"Laplace scale must not be negative", func() (int64, error) { return src.Laplace(big.NewRat(-1, 2)) }},
		{"Laplace scale must not be nil", func() (int64, error) { return src.Laplace(nil) }},
		{"Gaussian σ² must be positive", func() (int64, error) { return src.Gaussian(big.NewRat(0, 1)) }},
		{"Intn bound must be positive", func() (int64, error) { return src.Intn(0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.call()
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		})
	}
}

func TestCryptoNoiseIntnStaysInRange(t *testing.T) {
	var src aggregate.CryptoNoise
	seen := make([]int, 7)
	for range 7000 {
		x, err := src.Intn(7)
		require.NoError(t, err)
		require.True(t, x >= 0 && x < 7, "Intn(7) = %d", x)
		seen[x]++
	}
	for i, n := range seen {
		// Each count is Binomial(7000, 1/7), mean 1000, sd ≈ 29; 0 would be
		// 34 standard deviations out.
		assert.NotZero(t, n, "value %d never drawn", i)
	}
}
