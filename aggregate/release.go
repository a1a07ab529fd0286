package aggregate

import (
	"fmt"
	"strings"
	"time"
)

// MaxDims is the largest number of dimensions a table has.
const MaxDims = 2

// Key names a cell: one value per dimension, in the order of the table's
// dimensions, with "" for every position past the last dimension. In a total
// the dimensions it sums over are "" as well: in a sector × month table,
// Key{"retail", ""} is the total of retail over all months.
type Key [MaxDims]string

// Measure is a set of figures a table publishes per cell.
type Measure uint8

// The measures. Combine them with |.
const (
	// Subjects is the number of distinct subjects in a cell: a subject with
	// a thousand records in a cell counts once.
	Subjects Measure = 1 << iota
	// Records is the number of rows in a cell.
	Records
	// Sum is the sum of Row.Value over a cell's rows.
	Sum

	allMeasures = Subjects | Records | Sum
)

// String returns the measures joined by "|", such as "subjects|sum".
func (m Measure) String() string {
	var parts []string
	for _, x := range []struct {
		m    Measure
		name string
	}{{Subjects, "subjects"}, {Records, "records"}, {Sum, "sum"}} {
		if m&x.m != 0 {
			parts = append(parts, x.name)
		}
	}
	if rest := m &^ allMeasures; rest != 0 {
		parts = append(parts, fmt.Sprintf("Measure(%#x)", uint8(rest)))
	}
	return strings.Join(parts, "|")
}

// count returns how many measures m holds.
func (m Measure) count() int {
	n := 0
	for _, x := range [...]Measure{Subjects, Records, Sum} {
		if m&x != 0 {
			n++
		}
	}
	return n
}

// Status says whether a cell is published and, if not, which rule withheld it.
type Status uint8

const (
	// Published: the cell's figures are in the release.
	Published Status = iota
	// SuppressedThreshold (primary): the cell has at least one but fewer
	// than MinSubjects distinct subjects.
	SuppressedThreshold
	// SuppressedDominance (primary): the largest contributors to the cell's
	// records or sum hold more than a dominance rule allows.
	SuppressedDominance
	// SuppressedSecondary: the cell passes every primary rule but is
	// withheld so that a suppressed cell cannot be recovered from the totals.
	SuppressedSecondary
)

// String returns "published", "suppressed (threshold)", "suppressed
// (dominance)" or "suppressed (secondary)".
func (s Status) String() string {
	switch s {
	case Published:
		return "published"
	case SuppressedThreshold:
		return "suppressed (threshold)"
	case SuppressedDominance:
		return "suppressed (dominance)"
	case SuppressedSecondary:
		return "suppressed (secondary)"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Suppressed reports whether the cell is withheld.
func (s Status) Suppressed() bool { return s != Published }

// Primary reports whether the cell was withheld by a primary rule (threshold
// or dominance) rather than to protect another cell.
func (s Status) Primary() bool { return s == SuppressedThreshold || s == SuppressedDominance }

// Cell is one published figure of a release. A suppressed cell carries its
// key and status and zero figures: the release holds nothing that is not
// safe to publish. Figures of measures the table does not publish are zero.
type Cell struct {
	Key Key
	// Total marks a row, column or grand total rather than an interior cell.
	Total    bool
	Subjects int64
	Records  int64
	Sum      int64
	Status   Status
}

// Release is a table made safe to publish: every figure in it passed the
// table's disclosure rules or carries calibrated noise. It holds no exact
// figure of a suppressed cell and no subject identifier.
type Release struct {
	// Dims names the dimensions, in key order.
	Dims []string
	// Measures says which figures of each cell are meaningful.
	Measures Measure
	// Cells are the interior cells: for public key sets the full cross
	// product in the given order, otherwise the observed keys in ascending
	// order. A private release with data-dependent keys lists only the cells
	// whose noisy subject count reached Threshold.
	Cells []Cell
	// Totals are the margins of an exact release: for one dimension the grand
	// total; for two, the row totals, then the column totals, then the grand
	// total. A table without dimensions has a single cell and no totals. A
	// private release has no totals; sum its cells, whose noise is
	// independent.
	Totals []Cell

	// MinSubjects and Dominance are the primary rules an exact release
	// applied (zero in a private release).
	MinSubjects int
	Dominance   []Dominance

	// Epsilon and Delta are what a private release charged to its budget
	// (zero in an exact release).
	Epsilon float64
	Delta   float64
	// Noise records, per published measure, how a private release was made.
	Noise []Noise
	// Threshold is the noisy subject count a cell with data-dependent keys
	// needed to be listed in a private release, and ThresholdDelta the part
	// of Delta that thresholding spent; both zero for public key sets.
	Threshold      int64
	ThresholdDelta float64

	// Created is when the release was made, read from Options.Clock.
	Created time.Time
}

// Noise records how the figures of one measure of a private release were made.
type Noise struct {
	Measure   Measure
	Mechanism Mechanism
	// Epsilon and Delta are the measure's share of the release's budget.
	Epsilon float64
	Delta   float64
	// Sensitivity is how much one subject can change one cell's figure after
	// the contribution bounds; MaxCells is how many cells a subject can
	// change.
	Sensitivity int64
	MaxCells    int
	// Scale is the noise parameter: t of the discrete Laplace distribution
	// (P(x) ∝ exp(-|x|/t)) or σ of the discrete Gaussian (P(x) ∝
	// exp(-x²/2σ²)).
	Scale float64
	// CI95 is the half-width of a 95% confidence interval: the noise added
	// to each cell lies in [-CI95, +CI95] with probability at least 0.95. It
	// describes the noise only; it does not cover the bias that contribution
	// bounds (clamping, MaxCells, MaxRecords) or clamping at zero introduce.
	CI95 int64
}

// Cell returns the interior cell or total with the given key.
func (r *Release) Cell(k Key) (Cell, bool) {
	for _, cells := range [2][]Cell{r.Cells, r.Totals} {
		for _, c := range cells {
			if c.Key == k {
				return c, true
			}
		}
	}
	return Cell{}, false
}

// Suppressed returns how many interior cells and totals are withheld.
func (r *Release) Suppressed() int {
	n := 0
	for _, cells := range [2][]Cell{r.Cells, r.Totals} {
		for _, c := range cells {
			if c.Status.Suppressed() {
				n++
			}
		}
	}
	return n
}
