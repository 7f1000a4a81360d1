package bench

import "time"

// Status is where a long run stands, for a live status line: the shape
// being measured, how far it got, and how long the shapes done took.
type Status struct {
	Shape   Shape
	Index   int       // 1-based, among the Total shapes this run boots
	Total   int       // shapes this run boots (its shard's, or the matrix)
	Trials  int       // trials (run) or trial pairs (ab) done on this shape
	Started time.Time // when this shape started booting
	// Done is the wall time of each shape done, in order.
	Done []time.Duration
}

// Left estimates the wall time the run still needs at now: the shapes not
// yet started at the mean of those done, and the current one's remainder
// of that mean (none once it has run longer). With no shape done there is
// nothing to go on, and ok is false.
func (s Status) Left(now time.Time) (left time.Duration, ok bool) {
	if len(s.Done) == 0 {
		return 0, false
	}
	var sum time.Duration
	for _, d := range s.Done {
		sum += d
	}
	per := sum / time.Duration(len(s.Done))
	left = per*time.Duration(max(s.Total-s.Index, 0)) + max(per-now.Sub(s.Started), 0)
	return left, true
}

// notify tells OnStatus of the run's status.
func (r *Runner) notify() {
	if r.OnStatus != nil {
		r.OnStatus(r.status)
	}
}

// shapeStarted records that the index-th (1-based) of total shapes started.
func (r *Runner) shapeStarted(shape Shape, index, total int) {
	r.status = Status{
		Shape: shape, Index: index, Total: total, Started: time.Now(), Done: r.status.Done,
	}
	r.notify()
}

// trialDone records a trial (run) or a trial pair (ab) done on the shape.
func (r *Runner) trialDone() {
	r.status.Trials++
	r.notify()
}

// shapeDone records that the current shape is done.
func (r *Runner) shapeDone() {
	r.status.Done = append(r.status.Done, time.Since(r.status.Started))
	r.notify()
}
