// Package stats holds the statistics behind workerbench's regression
// verdict: medians and order-statistic intervals, rank tests, a seeded
// bootstrap, geometric means, Holm's correction, and the decisions built
// from them. It knows nothing of package bench; it works on float64s.
//
// # Paired decision
//
// Base and head are measured on the same machine as interleaved pairs, one
// throughput value each per pair. DecidePaired works on the log ratios
// dᵢ = log(headᵢ/baseᵢ): a slowdown is multiplicative, log ratios make
// 0.5× and 2× symmetric, and the interval for the ratio is exp of the
// interval for the log ratio.
//
// The p-value is the Wilcoxon signed-rank test of "the dᵢ are symmetric
// about 0" (exact up to 50 pairs, ties included). The estimate is the
// Hodges-Lehmann pseudo-median of the dᵢ (the median of the Walsh averages
// (dᵢ+dⱼ)/2) and the interval is the exact distribution-free interval
// between two Walsh averages, at confidence 1−α. That interval is the set
// of shifts the same test does not reject, so "interval excludes 1" and
// "p ≤ α" are one fact, not two procedures that can disagree. Rank methods
// shrug off a trial that a noisy neighbour knocked out, which widens and
// shifts a t interval, and cost about 5% efficiency when the noise is
// normal.
// A percentile bootstrap of the mean log ratio is available
// (WithBootstrap), but at ten pairs it is too narrow (it acts like a z
// interval where a t interval is due): in the simulation below it declared
// a real 4.8% drop "unchanged" 7% of the time (the rank interval: 2.6%) and
// detected it 93% of the time (97%).
//
// # Decision rule
//
// With threshold t (default 5%) and α (default 1%, so intervals are 99%):
//
//   - regressed: significant (p ≤ α, so the interval lies entirely below 1)
//     and the interval reaches below 1 − t: the drop is real, and a drop of
//     the threshold's size is plausible;
//   - improved: the mirror image: p ≤ α, interval entirely above 1, and
//     reaching above 1 + t;
//   - unchanged: the interval lies strictly inside (1 − t, 1 + t): whatever
//     the change, it is provably smaller than the threshold;
//   - inconclusive: anything else, and always when there are too few pairs
//     for any result to be significant (fewer than 8 at α = 1%; but see
//     "Fewer pairs" for unchanged). The decision then carries the minimum
//     detectable effect.
//
// The four cases are exclusive. The plainer rule "regressed only when the
// interval lies below 1 − t" cannot meet the acceptance targets (see
// "Adaptive stopping"): a 5% slowdown is a throughput ratio of 1/1.05 ≈
// 0.952, whose interval straddles 0.95 however many pairs are run, so it
// would be detected less than half the time. The rule above asks two separate questions:
// whether there is a drop at all (significance, which is what controls
// false alarms) and whether it may matter (the threshold, which decides
// which real drops are worth reporting). A drop that is significant but
// shown to be smaller than the threshold ([0.96, 0.99], say) is unchanged.
// Unchanged is an equivalence test (two one-sided tests at α/2 each).
//
// # Fewer pairs
//
// Below 8 pairs no change can be significant at α = 1%, but "unchanged"
// can still be shown, by the sign test: from MinEquivalencePairs (4) pairs,
// when every log ratio lies inside ±t/2 the verdict is unchanged, with the
// range of the data as its interval. Were the true change t/2 or more (a
// median log ratio at or beyond ±t/2), each pair would land inside with
// probability at most one half, so all n inside has probability at most
// 2⁻ⁿ: 1/16 on each side at 4 pairs (the interval's confidence, 1 − 2¹⁻ⁿ,
// is 87.5%). That bound holds whatever the noise; at the noise of real
// pairs the chance is far smaller, because a pair then lands inside only
// when its own noise carries it back across t/2: with log ratios of SD
// 1.4% (1% per trial), a 4.8% drop puts a pair inside ±2.5% with
// probability 0.05, and all four 10⁻⁵ (TestSimulation: no 5% slowdown
// passed the first look at 1% or 3% noise). The band is half the
// threshold, not the threshold, so that a change just inside the threshold
// (a 5% slower sleep is 4.8% less throughput) is not waved through after 4
// pairs: it goes on to the rank test, which reports it as regressed when
// it is significant and may reach past t. This cannot raise a false alarm
// (it never says regressed or improved), and it lets an adaptive plan stop
// at its first look when the two sides are clearly the same, which is the
// common case for a pull request. The calibration on real servers checks
// that a 5% slowdown is still caught (docs/statistics.md).
//
// From 7 pairs the test may leave out one pair on each side (from 10, two):
// unchanged when the interval between the j-th smallest and j-th largest
// log ratio lies inside ±t/2, j the largest such that fewer than j of n
// pairs fall on one side of the median with probability at most 1/16
// (signDepth). That interval covers the median at 87.5% at 7 pairs, as the
// range does at 4, so the bound per look and side stays 1/16, and over the
// looks at 4 and 7 it is at most 1/8. One trial that a neighbour slowed no
// longer costs an A/A comparison its chance to stop before the rank test:
// on quiet pairs (1% noise) the look at 7 now ends what the look at 4
// did not (90th percentile 7 pairs, was 10), and detection in
// TestSimulation is unchanged (5% slower at 3% noise: 97.4% either way).
//
// # Invalid values
//
// NaN, infinite and negative throughput is not a measurement: such pairs
// are dropped with a warning. A pair where both sides served nothing says
// nothing and is dropped. A pair where one side served nothing is kept as a
// change of MaxRatio (1000×): the rank test treats it as the most extreme
// change, which it is, and the ratio and interval stay finite, so
// results.json (JSON has no ∞) can hold them. A Decision's numbers are
// always finite.
//
// # Minimum detectable effect
//
// MDE converts the interval's width into the drop these pairs would detect
// with 80% power at this noise: the half-width is z(1−α/2) standard errors
// of the log ratio and a drop of z(1−α/2)+z(0.8) standard errors is
// detected 80% of the time. It is 1 when too few pairs were run.
//
// # Adaptive stopping
//
// Sequential runs a Plan: decide after Initial pairs, add Step pairs while
// inconclusive until Max, stop at unchanged, and confirm any regressed or
// improved verdict with Confirm more pairs, decided again on all pairs,
// before it stands. DefaultPlan is 4 pairs, steps of 3 up to 30 (looks at
// 4, 7, 10, 13, …), and 10 to confirm. Four pairs is the fewest that can
// show unchanged (see "Fewer pairs"), which ends most comparisons of a
// pull request that changed nothing; 10 pairs is the fewest at which the
// exact test reaches p ≈ 0.002, enough for Holm over a four-cell matrix
// (α/4), and at 3% noise per trial it detects a 10% slowdown there; steps
// of 3 reach it from 4 and then let a noisy comparison stop at 13 rather
// than 14 or 16 (the look at 7 costs nothing: no pairs are run for it).
// The steps buy the power for 5% only when it is needed. Confirmation is
// what keeps repeated looks from inflating false alarms.
//
// A large change need not wait for confirmation. At the first look whose
// pairs could reach p ≤ α ÷ m, where m is Plan.Cells, the number of cells
// the overall verdict corrects over, but at least 4, a regressed or
// improved verdict stands at once when p ≤ α ÷ m and its whole interval
// lies beyond the threshold. With n pairs all of one sign the exact two-sided p is 2¹⁻ⁿ,
// 2/1024 ≈ 0.002 at 10 pairs, below 1% ÷ 4 (and ÷ 5): a 15% drop in a
// four-cell matrix is decided at 10 pairs, where confirming took 20. For a
// larger matrix the boundary falls (1% ÷ 16 needs 12 pairs), and a change
// found before that look steps on to it rather than confirming. The error
// rates hold: this stop is tried once per cell, so it spends at most α ÷ m
// of a cell's false alarms (a quarter of them in a matrix of 4 cells or
// fewer; with the full α, on a machine so loaded that pairs varied by
// ±20%, an A/A calibration said improved in 2 of 180 verdicts) and at
// most α across the cells; α ÷ m is the share Holm grants the cell with
// the smallest p, so a cell that stops here survives the overall
// correction whatever the others show. It asks in addition that the whole
// interval lie beyond the threshold, which a difference between two boots
// of one version (a percent or two) does not reach on a quiet machine.
// Every other change is confirmed as before.
//
// Simulated (TestSimulation: each trial has its own 3% CV noise, so a log
// ratio has SD ≈ 4.2%, plus 3% pair-level noise that pairing cancels;
// 2000 runs for A/A, 1000 otherwise), with the default plan and threshold:
//
//	base/head   regressed   unchanged   pairs: mean  median  p90  max
//	A/A         0.0%        100%               13     13      19   32
//	5% slower   97.4%       2.6%               22     20      26   38
//	10% slower  100%        0%                 15     10      20   23
//	15% slower  100%        0%                 10     10      10   20
//
// (The previous plan, 6 pairs first and steps of 4, with every change
// confirmed: 0.0%, 96.7% and 100%, at 13, 22 and 20 pairs, and 20 for
// 15%.) With 1% noise per trial, as on a quiet machine, A/A stops at 4
// pairs in most runs (mean 4.9, 90th percentile 7). TestSimulationMatrix: a four-cell A/A
// matrix said regressed after Holm in 0.1% of 1000 runs; with one cell
// 15% slower, in all 500, that cell stopping at 10 pairs in 496.
// With 5% noise per trial the same plan gives 0.3% false regressions (and
// 0.3% false improvements) and detects a 5% slowdown 83% of the time; with
// a further 20% loss on 5% of trials (a noisy neighbour), 0.1% (0.4%) and
// 91%. At this much noise the first look rarely ends a comparison; on the
// quiet loopback benchmarks workerbench runs, where pairs of trials differ
// by well under 1%, it ends most of them.
//
// # Several cells
//
// A matrix compares several cells at once. The overall verdict (bench's
// OverallVerdict) applies Holm to the cells' p-values: a cell's regression
// counts only if it survives the correction, which keeps the chance of any
// false alarm across the matrix at α. The geometric mean of the cells'
// ratios (GeoMeanCI) is reported as the summary but does not gate: a 10%
// regression confined to one cell of four is a 2.6% drop of the geometric
// mean, within the threshold, and would be averaged away.
//
// # Unpaired decision
//
// DecideUnpaired compares two samples measured separately (two results
// files) with the Mann-Whitney U test and the Hodges-Lehmann shift of log
// throughput with its Moses interval, by the same rule. Trials of one run
// share its machine, so between-run noise is not in that interval: prefer
// paired runs.
//
// The design follows golang.org/x/perf/benchmath (medians, order-statistic
// intervals, Mann-Whitney U, caveats as warnings rather than errors).
package stats
