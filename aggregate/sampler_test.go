package aggregate

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// seededSampler returns a sampler reading a fixed ChaCha8 stream, so that
// these tests of the algorithms' output distribution are deterministic: they
// either always pass or always fail. Production code never seeds a sampler.
func seededSampler(seed byte) *sampler {
	var key [32]byte
	key[0] = seed
	rng := rand.NewChaCha8(key)
	return &sampler{fill: func(b []byte) { _, _ = rng.Read(b) }}
}

// within asserts that the frequency of an event with probability p among n
// independent draws is within 5 standard deviations of p.
func within(t *testing.T, p float64, hits, n int, msgAndArgs ...any) {
	t.Helper()
	sd := math.Sqrt(p * (1 - p) / float64(n))
	assert.InDelta(t, p, float64(hits)/float64(n), 5*sd+1e-12, msgAndArgs...)
}

func TestBernoulliExpMatchesExp(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), 80) // forces big-integer arithmetic
	for _, tc := range []struct {
		name     string
		num, den *big.Int
		gamma    float64
	}{
		{"γ = 0 always succeeds", big.NewInt(0), big.NewInt(1), 0},
		{"γ = 1/3", big.NewInt(1), big.NewInt(3), 1.0 / 3},
		{"γ = 1", big.NewInt(1), big.NewInt(1), 1},
		{"γ = 5/2 splits into whole and fraction", big.NewInt(5), big.NewInt(2), 2.5},
		{"γ = 3/4 with 80-bit numbers", new(big.Int).Mul(huge, big.NewInt(3)), new(big.Int).Mul(huge, big.NewInt(4)), 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := seededSampler(1)
			const n = 100_000
			hits := 0
			for range n {
				if s.bernoulliExp(tc.num, tc.den) {
					hits++
				}
			}
			within(t, math.Exp(-tc.gamma), hits, n)
		})
	}
}

// TestExactSamplersFollowTheirDistribution compares the frequency of each
// value in [-4, 4] and of the tails with the exact probabilities, including
// parameters whose numerators and denominators need big integers.
func TestExactSamplersFollowTheirDistribution(t *testing.T) {
	big2to70 := new(big.Int).Lsh(big.NewInt(1), 70)
	bigScale := new(big.Rat).SetFrac(new(big.Int).Add(new(big.Int).Mul(big2to70, big.NewInt(5)), big.NewInt(1)), new(big.Int).Mul(big2to70, big.NewInt(2))) // ≈ 2.5
	for _, tc := range []struct {
		name string
		draw func(*sampler) *big.Int
		w    func(x float64) float64
	}{
		{"discrete Laplace of scale 2", func(s *sampler) *big.Int { return s.laplace(big.NewInt(2), big.NewInt(1)) },
			func(x float64) float64 { return math.Exp(-math.Abs(x) / 2) }},
		{"discrete Laplace of scale 7/5", func(s *sampler) *big.Int { return s.laplace(big.NewInt(7), big.NewInt(5)) },
			func(x float64) float64 { return math.Exp(-math.Abs(x) * 5 / 7) }},
		{"discrete Laplace of a scale with 73-bit terms", func(s *sampler) *big.Int { return s.laplace(bigScale.Num(), bigScale.Denom()) },
			func(x float64) float64 { f, _ := bigScale.Float64(); return math.Exp(-math.Abs(x) / f) }},
		{"discrete Gaussian with σ² = 2", func(s *sampler) *big.Int { return s.gaussian(big.NewInt(2), big.NewInt(1)) },
			func(x float64) float64 { return math.Exp(-x * x / 4) }},
		{"discrete Gaussian with σ² = 7/3", func(s *sampler) *big.Int { return s.gaussian(big.NewInt(7), big.NewInt(3)) },
			func(x float64) float64 { return math.Exp(-x * x * 3 / 14) }},
		{"discrete Gaussian with σ² of 73-bit terms", func(s *sampler) *big.Int { return s.gaussian(bigScale.Num(), bigScale.Denom()) },
			func(x float64) float64 { f, _ := bigScale.Float64(); return math.Exp(-x * x / (2 * f)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n = 40_000
			var z float64
			for x := -200.0; x <= 200; x++ {
				z += tc.w(x)
			}
			s := seededSampler(2)
			counts := map[int64]int{}
			tail := 0
			for range n {
				x := tc.draw(s).Int64()
				if x < -4 || x > 4 {
					tail++
					continue
				}
				counts[x]++
			}
			inside := 0.0
			for x := int64(-4); x <= 4; x++ {
				p := tc.w(float64(x)) / z
				inside += p
				within(t, p, counts[x], n, "P(X = %d)", x)
			}
			within(t, 1-inside, tail, n, "P(|X| > 4)")
		})
	}
}

func TestUniformBelowIsUniform(t *testing.T) {
	s := seededSampler(3)
	n := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 65), big.NewInt(3)) // just past a power of two: most rejections
	third := new(big.Int).Quo(n, big.NewInt(3))
	const draws = 30_000
	low := 0
	var z big.Int
	for range draws {
		s.uniform(&z, n)
		assert.True(t, z.Sign() >= 0 && z.Cmp(n) < 0)
		if z.Cmp(third) < 0 {
			low++
		}
	}
	within(t, 1.0/3, low, draws, "P(U < n/3)")
}
