package stats

import "slices"

// Plan is an adaptive stopping plan for paired trials. Pair counts are
// even by default so that ABBA-interleaved pairs stay balanced.
type Plan struct {
	// Initial is the number of pairs before the first decision.
	Initial int
	// Step is the number of pairs added after an inconclusive decision.
	Step int
	// Max is the budget of the search: no further Step once it is reached.
	Max int
	// Confirm is the number of extra pairs that must uphold a regressed or
	// improved verdict (decided again on all pairs) before it stands;
	// confirmation may go up to Max+Confirm pairs. 0 disables it.
	Confirm int
	// Cells is how many cells the overall verdict corrects over (Holm);
	// 0 counts as 1. It sets the first-look boundary (see Sequential).
	Cells int
}

// DefaultPlan is the plan the acceptance targets were simulated with
// (TestSimulation, and the package documentation): 4 pairs, then 6 at a
// time up to 30 (looks at 4, 10, 16, 22, 28 and 30), and 10 more to
// confirm a change.
func DefaultPlan() Plan { return Plan{Initial: 4, Step: 3, Max: 30, Confirm: 10} }

func (p Plan) normalized() Plan {
	d := DefaultPlan()
	if p.Initial < 1 {
		p.Initial = d.Initial
	}
	if p.Step < 1 {
		p.Step = d.Step
	}
	p.Max = max(p.Max, p.Initial)
	p.Confirm = max(p.Confirm, 0)
	p.Cells = max(p.Cells, 1)
	return p
}

// Sequential decides adaptively: the caller runs the pairs Next asks for,
// Adds them, and asks again until Next returns 0; Decision is then the
// verdict. It stops at the first unchanged verdict, at a regressed or
// improved verdict that Confirm more pairs upheld, or when Max pairs are
// spent. A caller with its own budget may stop early and take Decision.
//
// One change needs no confirmation: at the first look whose pairs could
// reach p ≤ α ÷ max(Plan.Cells, 4) (10 pairs at α = 1% for up to 5
// cells), a regressed or improved verdict with p at most that whose whole
// interval lies beyond the threshold stands at once (see "Adaptive
// stopping" in the package documentation for why the error rates hold).
//
//	seq := stats.NewSequential(stats.DefaultPlan(), 0.05)
//	for k := seq.Next(); k > 0; k = seq.Next() {
//		for range k {
//			seq.Add(measurePair())
//		}
//	}
//	d := seq.Decision()
type Sequential struct {
	plan      Plan
	threshold float64
	opts      []Option

	pairs   []Pair
	target  int     // pairs wanted before the next look
	pending Verdict // awaiting confirmation
	done    bool
	early   bool // the first look that can reach significance is past

	last  Decision
	lastN int // pairs the last decision saw; -1 before any
}

// NewSequential returns a Sequential for the plan (zero fields take
// DefaultPlan's values), deciding with DecidePaired(pairs, threshold, opts...).
func NewSequential(plan Plan, threshold float64, opts ...Option) *Sequential {
	plan = plan.normalized()
	return &Sequential{
		plan:      plan,
		threshold: threshold,
		opts:      opts,
		target:    plan.Initial,
		lastN:     -1,
	}
}

// Add records measured pairs.
func (s *Sequential) Add(p ...Pair) { s.pairs = append(s.pairs, p...) }

// Pairs returns the pairs added so far.
func (s *Sequential) Pairs() []Pair { return slices.Clone(s.pairs) }

// Next returns how many more pairs to measure before the next decision,
// or 0 when the decision is final.
func (s *Sequential) Next() int {
	if s.done {
		return 0
	}
	n := len(s.pairs)
	if n < s.target {
		return s.target - n
	}
	d := s.Decision()
	switch {
	case s.atOnce(d):
		s.done = true
	case d.Changed() && d.Verdict == s.pending:
		s.done = true // confirmed
	case d.Changed() && !s.early && n < s.plan.Max:
		// The look that could stop it at once is still ahead.
		s.target = min(n+s.plan.Step, s.plan.Max)
	case d.Changed() && s.plan.Confirm > 0 && n <= s.plan.Max:
		s.pending, s.target = d.Verdict, n+s.plan.Confirm
	case d.Changed() && s.plan.Confirm == 0, d.Verdict == Unchanged, n >= s.plan.Max:
		s.done = true
	default:
		s.pending, s.target = "", min(n+s.plan.Step, s.plan.Max)
	}
	if s.done {
		return 0
	}
	return s.target - n
}

// atOnce reports whether d, decided at this look, stands without
// confirmation: this is the first look whose pairs could reach
// significance at α ÷ max(Cells, 4), d reached it, and d's whole interval
// lies beyond the threshold. It is asked once per look, in order.
func (s *Sequential) atOnce(d Decision) bool {
	alpha := newConfig(s.opts).alpha / float64(max(s.plan.Cells, minShares))
	if s.early || len(s.pairs) < minPairs(alpha) {
		return false
	}
	s.early = true
	t, _ := checkThreshold(s.threshold, nil)
	beyond := d.Verdict == Regressed && d.High < 1-t ||
		d.Verdict == Improved && d.Low > 1+t
	return beyond && d.P <= alpha
}

// minShares is the fewest shares of α a stop without confirmation is
// allowed: at most a quarter of a cell's false alarms go to it, even in a
// matrix of fewer cells, and 10 pairs that all agree (p = 2/1024) still
// reach it.
const minShares = 4

// Done reports whether Next has made the decision final.
func (s *Sequential) Done() bool { return s.done }

// Decision decides on all pairs added so far.
func (s *Sequential) Decision() Decision {
	if s.lastN != len(s.pairs) {
		s.last, s.lastN = DecidePaired(s.pairs, s.threshold, s.opts...), len(s.pairs)
	}
	return s.last
}
