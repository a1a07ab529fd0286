// Package aggregate makes tables of figures that are safe to publish: how
// many users, how many processed documents, per sector or per month, without
// identifying anyone. It counts exactly, in integer arithmetic, and then
// either withholds the cells that could reveal someone (statistical
// disclosure control) or adds calibrated noise (differential privacy).
//
// # Basics
//
// A [Table] has up to two dimensions ([Dim]), such as sector and month, and
// counts [Row] values: a subject, the row's key in each dimension, and a value
// for sums. Per cell it publishes the figures [Options].Measures asks for:
// [Subjects], the number of distinct subjects (a subject with a thousand
// records in a cell counts once); [Records], the number of rows; and [Sum],
// the sum of the rows' values, in int64, where an overflow is an error
// wrapping [privacy.ErrInvalid] and is never wrapped around.
//
//	t, err := aggregate.New([]aggregate.Dim{{Name: "sector", Keys: sectors}}, nil)
//	err = t.AddAll(ctx, rows)   // rows is an iter.Seq2[aggregate.Row, error]
//	rel, err := t.Publish()     // a *Release: cells, totals, what was withheld and why
//
// [Rows] turns a stream of the host's own values, such as privacy.Record, into
// rows; [Build] does New, AddAll and Publish in one call. A dimension with a
// public key set ([Dim].Keys: a fixed list of sectors, the months of a year)
// is published in full, empty cells included, in the given order; without
// one, the keys are those the rows have, in ascending order.
//
// New checks every option before a row is read; each mistake is an
// [*privacy.Error] wrapping [privacy.ErrInvalid] that says what is wrong.
//
// # Suppression
//
// An exact release (the default) publishes a cell only if it passes the
// primary rules:
//
//   - the threshold rule: a cell with at least one but fewer than
//     [Options].MinSubjects distinct subjects (k, default 10) is withheld as
//     [SuppressedThreshold]. Empty cells are published as zero: they describe
//     no one;
//   - the (n,k) dominance rule ([Dominance]): when Records or Sum is
//     published, a cell whose N largest contributors hold more than K percent
//     of the cell is withheld as [SuppressedDominance]. A contributor is a
//     subject, with all of its rows in the cell together. The defaults are
//     (1, 50) and (2, 75).
//
// A release also holds totals: the grand total, and for two dimensions every
// row and column total. The totals pass the same rules. Because a total is
// the sum of its cells, one withheld cell in a row would follow from the
// row's total, so secondary suppression withholds more cells
// ([SuppressedSecondary]) until no row or column (totals included) has
// exactly one withheld entry and, for two dimensions, no withheld entry is a
// "bridge" that the totals on either side determine. Every withheld figure
// can then move up or down without changing a published one, so none follows
// exactly from the others. The search is greedy: it prefers non-empty
// interior cells with the fewest subjects, and does not minimise the
// information lost. It guarantees no protection interval: published figures
// combined with known bounds (counts are not negative, a cell withheld by the
// threshold has fewer than k subjects) can narrow a withheld figure to a
// range. Distinct-subject totals are additive only when each subject falls in
// one cell of a row or column; the rules treat them as if they were, which
// can only withhold more.
//
// A withheld cell is listed with its key and its [Status], and zero figures:
// a [Release] never holds a figure that is not safe to publish.
//
// # Differential privacy
//
// With [Options].Private set, a release adds noise instead of withholding
// cells, with ε-differential privacy (Laplace, public key sets) or (ε,
// δ)-differential privacy (Gaussian, or data-dependent keys) per subject:
//
//   - the library bounds each subject's influence, whatever the rows say: at
//     most [Private].MaxCells cells per subject (chosen at random when there
//     are more), at most MaxRecords rows per cell, and a per-cell sum clamped
//     to [Lower, Upper];
//   - noise is discrete Laplace (two-sided geometric) or discrete Gaussian,
//     drawn exactly from crypto/rand by [CryptoNoise] with integer
//     arithmetic only; tests inject their own [NoiseSource];
//   - a [Budget] is charged before the noise is drawn and refuses a release
//     it cannot pay; it is safe for concurrent use;
//   - each [Release] records, per measure, the mechanism, epsilon, delta,
//     sensitivity, noise scale and a 95% confidence interval ([Noise]);
//   - public key sets are published in full, zeros included. Data-dependent
//     keys would reveal that someone has them, so a cell is listed only if
//     its noisy subject count reaches a threshold chosen so that a cell that
//     exists because of one subject is listed with probability at most δ
//     (all of δ under Laplace, half under Gaussian).
//
// Epsilon is split evenly over the published measures. Noisy counts are
// clamped at zero; that and the contribution bounds bias figures, which the
// confidence intervals do not cover.
//
// # Caveats
//
// Each release is protected on its own. Releases of overlapping data
// interact: two exact tables whose cells differ by one subject give that
// subject away by subtraction, and secondary suppression only considers the
// totals of its own table. Publish exact tables from one table design, or use
// differential privacy, where the [Budget] accounts for every release.
//
// The dominance rule and the threshold protect magnitudes and small groups;
// they do not hide what is true of a whole cell (that every client in a
// sector uses a feature, say).
//
// A [Table] holds each subject's identifier and per-cell contribution in
// memory until it is dropped, and is not safe for concurrent use. An exact
// two-dimensional release lays out the full cross product of the keys, and
// the secondary suppression search grows with it: keep dimensions to
// hundreds of keys. A Budget made by [NewBudget] lives in memory and starts
// from nothing in every process; one made by [OpenBudget] keeps what it
// spent in a [BudgetStore] (package sqlstore has one), so that restarts and
// other processes charge the same budget.
package aggregate
