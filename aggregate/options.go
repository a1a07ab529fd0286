package aggregate

import (
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/smartbooqing/steward/privacy"
)

// DefaultMinSubjects is the minimum number of distinct subjects a published
// cell has when Options.MinSubjects is zero.
const DefaultMinSubjects = 10

// Dim is one dimension of a table, such as "sector" or "month".
type Dim struct {
	// Name names the dimension in the release.
	Name string
	// Keys, if not nil, is the public key set: every key a row may have, in
	// the order of publication. A public key set is published in full,
	// empty cells included, and a row with another key is an error. Use one
	// whenever the keys are known without looking at the data (a fixed list
	// of sectors, the months of a year): it costs no privacy. Without Keys
	// the keys are the ones the rows have, published in ascending order; a
	// private release must then threshold them (see [Private]).
	Keys []string
}

// Dominance is the (n,k) dominance rule: a cell is withheld when its N
// largest contributors together hold more than K percent of the cell's
// magnitude. A contributor is a subject; its contribution to a cell is the
// absolute value of the sum of its rows there (for Records, its number of
// rows), and the cell's magnitude is the sum of those contributions. The
// rule checks Records and Sum when the table publishes them.
type Dominance struct {
	N int // 1 ≤ N ≤ 8; a cell of N or fewer contributors is always withheld
	K int // percent, 1 ≤ K ≤ 99
}

// maxDominanceN bounds Dominance.N so that a cell's largest contributions fit
// in a small fixed array.
const maxDominanceN = 8

// DefaultDominance returns the dominance rules applied when
// Options.Dominance is empty: no single subject may hold more than half of a
// cell, and no two subjects more than three quarters.
func DefaultDominance() []Dominance { return []Dominance{{N: 1, K: 50}, {N: 2, K: 75}} }

// Options configure a [Table]. The zero value publishes distinct-subject
// counts with cells of fewer than ten subjects suppressed.
type Options struct {
	// Measures are the figures published per cell. Zero means Subjects.
	Measures Measure

	// MinSubjects is k: a cell with at least one but fewer than k distinct
	// subjects is suppressed. Zero means [DefaultMinSubjects]; below 2 is an
	// error. It applies to exact releases only.
	MinSubjects int
	// Dominance are the dominance rules for Records and Sum; empty means
	// [DefaultDominance]. They apply to exact releases only, and only when
	// the table publishes Records or Sum.
	Dominance []Dominance

	// Private, if not nil, makes the table's releases differentially
	// private instead of exact: figures carry noise, and MinSubjects and
	// Dominance must be left zero.
	Private *Private

	// Clock stamps releases. Nil means the system clock.
	Clock privacy.Clock
}

// Mechanism is a differentially private noise distribution.
type Mechanism uint8

const (
	// Laplace adds discrete Laplace (two-sided geometric) noise and gives
	// ε-differential privacy for public key sets.
	Laplace Mechanism = iota
	// Gaussian adds discrete Gaussian noise and gives (ε, δ)-differential
	// privacy; it needs Delta > 0. Its noise grows with the square root of
	// MaxCells rather than linearly, so it suits subjects that touch many
	// cells.
	Gaussian
)

// String returns "discrete Laplace" or "discrete Gaussian".
func (m Mechanism) String() string {
	switch m {
	case Laplace:
		return "discrete Laplace"
	case Gaussian:
		return "discrete Gaussian"
	}
	return fmt.Sprintf("Mechanism(%d)", uint8(m))
}

// Private configures differentially private releases. Every release of the
// table charges Epsilon and the Delta it uses to Budget before any noise is
// drawn, and is refused if the budget cannot pay.
//
// With public key sets on every dimension, the Laplace mechanism uses no
// delta. Otherwise a cell is listed only if its noisy subject count reaches a
// threshold, so Subjects is always published, and delta pays for the
// threshold: all of it under Laplace, half of it under Gaussian, whose other
// half calibrates the noise. Epsilon, and the Gaussian's delta, are split
// evenly over the published measures.
//
// One subject's influence is bounded by the library, whatever the rows say:
// a subject counts in at most MaxCells cells (chosen uniformly at random
// among the subject's cells when there are more), adds at most MaxRecords to
// a cell's record count, and adds its sum in a cell clamped to [Lower, Upper].
type Private struct {
	// Mechanism is the noise distribution; the zero value is Laplace.
	Mechanism Mechanism
	// Epsilon is the privacy-loss bound of one release: finite and above 0.
	Epsilon float64
	// Delta is the probability with which the bound may fail: in [0, 1). It
	// must be above 0 for the Gaussian mechanism and for data-dependent keys.
	Delta float64
	// Budget is charged by every release. Required.
	Budget *Budget
	// Noise draws the noise; nil means a new [CryptoNoise].
	Noise NoiseSource

	// MaxCells is how many cells one subject may count in; zero means 1.
	MaxCells int
	// MaxRecords is how many of a subject's rows in a cell count toward the
	// cell's Records; zero means 1.
	MaxRecords int64
	// Lower and Upper clamp a subject's sum in a cell. Required when the
	// table publishes Sum: they must not both be zero, and Lower ≤ Upper.
	Lower, Upper int64
}

// maxNoiseScale bounds a mechanism's scale so that noise, confidence
// intervals and noisy figures stay far inside int64.
const maxNoiseScale = 1 << 50

// config is Options resolved and checked by New.
type config struct {
	dims     []Dim
	measures Measure
	k        int64
	dom      []Dominance
	domN     int
	priv     *privConfig
	clock    privacy.Clock
}

// privConfig is Private resolved: per measure the mechanism's parameters.
type privConfig struct {
	Private
	public         bool // every dimension has a public key set
	eps, delta     *big.Rat
	charge         *big.Rat // delta charged per release
	threshold      int64    // τ for data-dependent keys
	thresholdDelta float64
	noise          []measureNoise // in the order Subjects, Records, Sum
}

type measureNoise struct {
	Noise
	scale *big.Rat // t for Laplace, σ² for Gaussian
}

func invalid(op, format string, args ...any) error {
	return &privacy.Error{Op: op, Msg: fmt.Sprintf(format, args...), Err: privacy.ErrInvalid}
}

func resolve(dims []Dim, opts *Options) (*config, error) {
	const op = "aggregate.New"
	if opts == nil {
		opts = &Options{}
	}
	c := &config{measures: opts.Measures, clock: opts.Clock}
	if c.measures == 0 {
		c.measures = Subjects
	}
	if c.measures&^allMeasures != 0 {
		return nil, invalid(op, "unknown measure %v", c.measures&^allMeasures)
	}
	if c.clock == nil {
		c.clock = privacy.SystemClock{}
	}
	if len(dims) > MaxDims {
		return nil, invalid(op, "%d dimensions, at most %d supported", len(dims), MaxDims)
	}
	c.dims = make([]Dim, len(dims))
	for i, d := range dims {
		if d.Name == "" {
			return nil, invalid(op, "dimension %d has no name", i)
		}
		for _, e := range dims[:i] {
			if e.Name == d.Name {
				return nil, invalid(op, "dimension %q named twice", d.Name)
			}
		}
		if d.Keys != nil {
			if len(d.Keys) == 0 {
				return nil, invalid(op, "dimension %q has an empty public key set", d.Name)
			}
			seen := make(map[string]bool, len(d.Keys))
			for _, k := range d.Keys {
				if k == "" {
					return nil, invalid(op, "dimension %q has an empty public key", d.Name)
				}
				if seen[k] {
					return nil, invalid(op, "dimension %q lists a public key twice", d.Name)
				}
				seen[k] = true
			}
			d.Keys = append([]string(nil), d.Keys...)
		}
		c.dims[i] = d
	}

	if opts.Private != nil {
		if opts.MinSubjects != 0 || len(opts.Dominance) != 0 {
			return nil, invalid(op, "MinSubjects and Dominance apply to exact releases; a private release protects cells with noise")
		}
		p, err := resolvePrivate(c, *opts.Private)
		if err != nil {
			return nil, err
		}
		c.priv = p
		return c, nil
	}

	c.k = int64(opts.MinSubjects)
	if c.k == 0 {
		c.k = DefaultMinSubjects
	}
	if c.k < 2 {
		return nil, invalid(op, "MinSubjects %d: a cell needs at least 2 subjects to hide one", opts.MinSubjects)
	}
	c.dom = opts.Dominance
	if len(c.dom) == 0 {
		c.dom = DefaultDominance()
	}
	c.dom = append([]Dominance(nil), c.dom...)
	for _, d := range c.dom {
		switch {
		case d.N < 1 || d.N > maxDominanceN:
			return nil, invalid(op, "dominance rule (%d,%d): N must be in [1, %d]", d.N, d.K, maxDominanceN)
		case d.K < 1 || d.K > 99:
			return nil, invalid(op, "dominance rule (%d,%d): K must be a percentage in [1, 99]", d.N, d.K)
		}
		c.domN = max(c.domN, d.N)
	}
	return c, nil
}

// exactRat returns x as the rational of its shortest decimal form, so that an
// epsilon written 0.1 is exactly 1/10, in the noise and in the budget alike:
// ten charges of 0.1 spend a budget of 1 exactly.
func exactRat(x float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		// Unreachable for finite x, which every caller has checked.
		panic("aggregate: cannot parse " + strconv.FormatFloat(x, 'g', -1, 64))
	}
	return r
}

func checkEpsilon(op string, eps float64) error {
	if math.IsNaN(eps) || math.IsInf(eps, 0) || eps <= 0 {
		return invalid(op, "epsilon %v: must be finite and above 0", eps)
	}
	return nil
}

func checkDelta(op string, delta float64) error {
	if math.IsNaN(delta) || delta < 0 || delta >= 1 {
		return invalid(op, "delta %v: must be in [0, 1)", delta)
	}
	return nil
}

func resolvePrivate(c *config, p Private) (*privConfig, error) {
	const op = "aggregate.New"
	if err := checkEpsilon(op, p.Epsilon); err != nil {
		return nil, err
	}
	if err := checkDelta(op, p.Delta); err != nil {
		return nil, err
	}
	if p.Mechanism != Laplace && p.Mechanism != Gaussian {
		return nil, invalid(op, "unknown mechanism %v", p.Mechanism)
	}
	if p.Budget == nil {
		return nil, invalid(op, "a private release needs a Budget")
	}
	if p.Noise == nil {
		p.Noise = new(CryptoNoise)
	}
	switch {
	case p.MaxCells < 0:
		return nil, invalid(op, "MaxCells %d is negative", p.MaxCells)
	case p.MaxCells == 0:
		p.MaxCells = 1
	}
	switch {
	case p.MaxRecords < 0:
		return nil, invalid(op, "MaxRecords %d is negative", p.MaxRecords)
	case p.MaxRecords == 0:
		p.MaxRecords = 1
	}
	if p.Lower > p.Upper {
		return nil, invalid(op, "lower bound %d is above upper bound %d", p.Lower, p.Upper)
	}
	if c.measures&Sum != 0 && p.Lower == 0 && p.Upper == 0 {
		return nil, invalid(op, "a private Sum needs contribution bounds: set Lower and Upper")
	}

	pc := &privConfig{Private: p, public: true}
	for _, d := range c.dims {
		if d.Keys == nil {
			pc.public = false
		}
	}
	measures := c.measures
	if !pc.public {
		// Thresholding reads the noisy subject count, so it is published.
		measures |= Subjects
		c.measures = measures
		if p.Delta == 0 {
			return nil, invalid(op, "data-dependent keys need Delta > 0 for thresholding; give every dimension a public key set or set Delta")
		}
	}
	if p.Mechanism == Gaussian && p.Delta == 0 {
		return nil, invalid(op, "the Gaussian mechanism needs Delta > 0")
	}

	// Split the budget: thresholding takes half of delta under the Gaussian
	// mechanism and all of it under Laplace; the measures share epsilon and
	// the Gaussian's delta evenly.
	pc.eps = exactRat(p.Epsilon)
	delta := exactRat(p.Delta)
	m := big.NewRat(int64(measures.count()), 1)
	epsM := new(big.Rat).Quo(pc.eps, m)
	var selDelta, gaussDelta *big.Rat
	switch {
	case !pc.public && p.Mechanism == Gaussian:
		selDelta = new(big.Rat).Quo(delta, big.NewRat(2, 1))
		gaussDelta = new(big.Rat).Sub(delta, selDelta)
	case !pc.public:
		selDelta, gaussDelta = delta, new(big.Rat)
	case p.Mechanism == Gaussian:
		selDelta, gaussDelta = new(big.Rat), delta
	default:
		selDelta, gaussDelta = new(big.Rat), new(big.Rat)
	}
	pc.charge = new(big.Rat).Add(selDelta, gaussDelta)
	deltaM := new(big.Rat).Quo(gaussDelta, m)

	for _, x := range []struct {
		m    Measure
		sens int64
		ok   bool
		why  string
	}{
		{Subjects, 1, true, ""},
		{Records, p.MaxRecords, true, ""},
		{Sum, absMax(p.Lower, p.Upper), p.Lower != math.MinInt64, "the lower bound's magnitude overflows int64"},
	} {
		if measures&x.m == 0 {
			continue
		}
		if !x.ok {
			return nil, invalid(op, "sensitivity of %v: %s", x.m, x.why)
		}
		l1, ok := mul64(x.sens, int64(p.MaxCells))
		if !ok {
			return nil, invalid(op, "sensitivity of %v: %d cells × %d overflows int64", x.m, p.MaxCells, x.sens)
		}
		mn := measureNoise{Noise: Noise{
			Measure: x.m, Mechanism: p.Mechanism, Sensitivity: x.sens, MaxCells: p.MaxCells,
		}}
		mn.Epsilon, _ = epsM.Float64()
		var sigma2 float64
		if p.Mechanism == Laplace {
			// Laplace with scale t = L1/ε is ε-DP for L1 sensitivity L1
			// (exactly, for the discrete distribution as for the continuous one).
			mn.scale = new(big.Rat).Quo(new(big.Rat).SetInt64(l1), epsM)
			mn.Scale, _ = mn.scale.Float64()
		} else {
			mn.Delta, _ = deltaM.Float64()
			sigma2 = gaussianSigma2(mn.Epsilon, mn.Delta, x.sens, p.MaxCells)
			mn.scale = new(big.Rat).SetFloat64(sigma2)
			if mn.scale == nil {
				return nil, invalid(op, "%v: the Gaussian noise for these bounds overflows", x.m)
			}
			mn.Scale = math.Sqrt(sigma2)
		}
		if !(mn.Scale <= maxNoiseScale) {
			return nil, invalid(op, "%v: noise scale %.3g exceeds %g; raise Epsilon or tighten the bounds", x.m, mn.Scale, float64(maxNoiseScale))
		}
		if p.Mechanism == Laplace {
			mn.CI95 = laplaceCI95(mn.Scale)
		} else {
			mn.CI95 = gaussianCI95(sigma2)
		}
		pc.noise = append(pc.noise, mn)
	}

	if !pc.public {
		pc.thresholdDelta, _ = selDelta.Float64()
		sub := pc.noise[0] // Subjects comes first
		pc.threshold = noisyThreshold(p.Mechanism, sub.Scale, p.MaxCells, pc.thresholdDelta)
	}
	return pc, nil
}

func absMax(a, b int64) int64 {
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	return max(a, b)
}

// mul64 returns a*b for non-negative a and b, and whether it fits in an int64.
func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > math.MaxInt64/b {
		return 0, false
	}
	return a * b, true
}

// add64 returns a+b and whether it fits in an int64.
func add64(a, b int64) (int64, bool) {
	s := a + b
	// Overflow happened iff a and b have the same sign and s has the other.
	return s, (a^s)&(b^s) >= 0
}
