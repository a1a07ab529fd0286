package aggregate

import (
	"context"
	"math"
	"slices"
)

// publishPrivate makes a differentially private release: it charges the
// budget, bounds each subject's contribution, adds noise to every figure
// and, for data-dependent keys, lists only the cells whose noisy subject
// count reaches the threshold.
//
// The budget is charged first and is not refunded if the release then fails
// (an overflow, a failing noise source): the failure itself can depend on
// the data.
func (t *Table) publishPrivate(ctx context.Context) (*Release, error) {
	const op = "aggregate.Table.Publish"
	p := t.cfg.priv
	if err := p.Budget.charge(ctx, op, p.eps, p.charge); err != nil {
		return nil, err
	}

	// Bounded figures per table cell.
	nc := len(t.keys)
	subj := make([]int64, nc)
	recs := make([]int64, nc)
	sums := make([]int64, nc)
	count := func(c *contribution) error {
		r, ok1 := add64(recs[c.cell], min(c.records, p.MaxRecords))
		s, ok2 := add64(sums[c.cell], min(max(c.sum, p.Lower), p.Upper))
		if !ok1 || !ok2 {
			return invalid(op, "int64 overflow: the bounded records or sum of a cell overflow")
		}
		subj[c.cell]++
		recs[c.cell], sums[c.cell] = r, s
		return nil
	}
	var mine []*contribution
	for _, si := range t.subjects.inOrder() {
		s := &t.subjects.slots[si]
		mine = mine[:0]
		for c := &s.first; c != nil; c = t.next(c) {
			mine = append(mine, c)
		}
		keep := len(mine)
		if keep > p.MaxCells {
			// Too many cells: keep MaxCells of them, chosen uniformly at
			// random (a partial Fisher–Yates shuffle), so that which cells
			// count does not depend on the order of the rows.
			keep = p.MaxCells
			for i := range keep {
				j, err := p.Noise.Intn(int64(len(mine) - i))
				if err != nil {
					return nil, err
				}
				if j < 0 || j >= int64(len(mine)-i) {
					return nil, invalid(op, "noise source returned %d from Intn(%d)", j, len(mine)-i)
				}
				k := i + int(j)
				mine[i], mine[k] = mine[k], mine[i]
			}
		}
		for _, c := range mine[:keep] {
			if err := count(c); err != nil {
				return nil, err
			}
		}
	}

	order := make([]int32, nc)
	for c := range order {
		order[c] = int32(c)
	}
	if !p.public {
		slices.SortFunc(order, func(a, b int32) int {
			ka, kb := t.keys[a], t.keys[b]
			for d := range ka {
				if ka[d] != kb[d] {
					if ka[d] < kb[d] {
						return -1
					}
					return 1
				}
			}
			return 0
		})
	}

	r := &Release{
		Dims:     t.dimNames(),
		Measures: t.cfg.measures,
		Epsilon:  p.Epsilon,
		Created:  t.cfg.clock.Now(),
	}
	r.Delta, _ = p.charge.Float64()
	for _, mn := range p.noise {
		r.Noise = append(r.Noise, mn.Noise)
	}
	if !p.public {
		r.Threshold, r.ThresholdDelta = p.threshold, p.thresholdDelta
	}
	noisy := func(mn *measureNoise, v int64) (int64, error) {
		var x int64
		var err error
		if mn.Mechanism == Laplace {
			x, err = p.Noise.Laplace(mn.scale)
		} else {
			x, err = p.Noise.Gaussian(mn.scale)
		}
		if err != nil {
			return 0, err
		}
		s, ok := add64(v, x)
		if !ok {
			return 0, invalid(op, "int64 overflow: a noisy %v overflows", mn.Measure)
		}
		return s, nil
	}
	r.Cells = make([]Cell, 0, nc)
cells:
	for _, c := range order {
		if !p.public && subj[c] == 0 {
			// Only cells with a contribution that survived the bounds are
			// candidates: a subject can then add at most MaxCells of them,
			// which is what the threshold's delta accounts for.
			continue
		}
		cell := Cell{Key: t.keys[c]}
		for i := range p.noise {
			mn := &p.noise[i]
			var v int64
			switch mn.Measure {
			case Subjects:
				v = subj[c]
			case Records:
				v = recs[c]
			case Sum:
				v = sums[c]
			}
			x, err := noisy(mn, v)
			if err != nil {
				return nil, err
			}
			switch mn.Measure {
			case Subjects:
				if !p.public && x < p.threshold {
					continue cells
				}
				cell.Subjects = max(x, 0)
			case Records:
				cell.Records = max(x, 0)
			case Sum:
				// A sum of values clamped to one sign keeps that sign.
				switch {
				case p.Lower >= 0:
					x = max(x, 0)
				case p.Upper <= 0:
					x = min(x, 0)
				}
				cell.Sum = x
			}
		}
		r.Cells = append(r.Cells, cell)
	}
	return r, nil
}

// laplaceCI95 returns the smallest c ≥ 0 with P(|X| > c) ≤ 0.05 for X
// discrete Laplace of scale t. With p = exp(-1/t), P(X = x) =
// (1-p)/(1+p)·p^|x|, so P(|X| > c) = 2p^(c+1)/(1+p).
func laplaceCI95(t float64) int64 {
	p := math.Exp(-1 / t)
	tail := func(c float64) float64 { return 2 * math.Exp(-(c+1)/t) / (1 + p) }
	c := math.Max(0, math.Ceil(t*math.Log(40/(1+p)))-1)
	// Correct for rounding in either direction.
	for tail(c) > 0.05 {
		c++
	}
	for c > 0 && tail(c-1) <= 0.05 {
		c--
	}
	return int64(c)
}

// gaussianCI95 returns c with P(|X| > c) ≤ 0.05 for X discrete Gaussian with
// parameter σ². Up to σ = 1000 it is the smallest such c, from the
// probabilities summed out to 40σ. Beyond, the discrete Gaussian is the
// normal distribution rounded to integers to within far less than float64
// precision, and c = ceil(1.959964σ) covers at least 95%.
func gaussianCI95(sigma2 float64) int64 {
	sigma := math.Sqrt(sigma2)
	if sigma > 1000 {
		return int64(math.Ceil(1.959963984540054 * sigma))
	}
	limit := int(math.Ceil(40*sigma)) + 1
	w := make([]float64, limit+1)
	z := 1.0
	w[0] = 1
	for x := 1; x <= limit; x++ {
		w[x] = math.Exp(-float64(x) * float64(x) / (2 * sigma2))
		z += 2 * w[x]
	}
	inside := w[0]
	c := 0
	for inside/z < 0.95 {
		c++
		inside += 2 * w[c]
	}
	return int64(c)
}

// gaussianSigma2 returns σ² for discrete Gaussian noise on a measure where one
// subject changes at most maxCells cells by at most sens each, at (eps,
// delta). The discrete Gaussian with parameter σ² is ρ-zCDP for ρ = Δ₂²/(2σ²)
// (Canonne, Kamath, Steinke 2020, Theorem 4; independent noise per cell
// composes, Δ₂² = maxCells·sens²), and ρ-zCDP implies (ρ + 2√(ρ ln(1/δ)),
// δ)-DP (Bun and Steinke 2016, Proposition 1.3). Solving for ρ gives
// √ρ = √(ln(1/δ)+ε) − √(ln(1/δ)). σ² is rounded up by one part in 10⁹ so
// that floating-point error can only add noise.
func gaussianSigma2(eps, delta float64, sens int64, maxCells int) float64 {
	l := math.Log(1 / delta)
	sqrtRho := eps / (math.Sqrt(l+eps) + math.Sqrt(l))
	rho := sqrtRho * sqrtRho
	s := float64(sens)
	return float64(maxCells) * s * s / (2 * rho) * (1 + 1e-9)
}

// noisyThreshold returns τ such that a cell that exists only because of one
// subject is listed with probability at most delta/maxCells, so at most
// delta over the subject's maxCells cells. Such a cell has one subject; it is
// listed when 1 + X ≥ τ. For discrete Laplace of scale t, P(X ≥ c) =
// p^c/(1+p) ≤ exp(-c/t), so c = ⌈t·ln(maxCells/δ)⌉ suffices; for the
// discrete Gaussian, which is σ²-subgaussian (CKS 2020, Proposition 25),
// P(X ≥ c) ≤ exp(-c²/(2σ²)), so c = ⌈σ·√(2 ln(maxCells/δ))⌉ suffices.
// Cells present in both neighbouring data sets are covered by the noise's
// ε; together the release is (ε, δ)-differentially private.
func noisyThreshold(m Mechanism, scale float64, maxCells int, delta float64) int64 {
	l := math.Log(float64(maxCells) / delta)
	var c float64
	if m == Laplace {
		c = scale * l
	} else {
		c = scale * math.Sqrt(2*l)
	}
	return 1 + int64(math.Ceil(c*(1+1e-9)))
}
