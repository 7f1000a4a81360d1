package history

import (
	"fmt"
	"slices"
	"time"

	"github.com/workerbench/workerbench/bench/internal/stats"
)

// Policy bounds the size of a series file. The newest Full pushes stay as
// they were recorded. Older pushes are merged Group at a time into one
// summary record (per cell: the median of each push's trials, the median
// of its other figures). When there are more than Summaries summaries, the
// two neighbours that cover the fewest pushes merge, so resolution fades
// with age but the whole history stays drawn. MaxBytes is a hard cap on
// top: should records be so large that the rest does not keep the file
// under it, fewer pushes stay at full detail, summaries merge further, and
// as a last resort the oldest record is dropped.
//
// With the defaults and a typical record (4 cells, 3 trials, ≈ 0.9 KB), a
// file levels off at 300 records and ≈ 340 KB however many pushes it has
// seen (TestPolicyBoundsFileSize: 10,000 pushes, at most 344 KB).
type Policy struct {
	Full      int // newest pushes kept as recorded (default 200)
	Group     int // older pushes merged this many at a time (default 10)
	Summaries int // most summary records (default 100)
	MaxBytes  int // hard cap on a file's size in bytes (default 2 MiB)
}

// DefaultPolicy is the policy of a Dir whose Policy is the zero value.
func DefaultPolicy() Policy {
	return Policy{Full: 200, Group: 10, Summaries: 100, MaxBytes: 2 << 20}
}

func (p Policy) normalized() Policy {
	d := DefaultPolicy()
	if p.Full < 1 {
		p.Full = d.Full
	}
	if p.Group < 2 {
		p.Group = d.Group
	}
	if p.Summaries < 1 {
		p.Summaries = d.Summaries
	}
	if p.MaxBytes < 1 {
		p.MaxBytes = d.MaxBytes
	}
	// One record can be as large as MaxLine; the cap must hold one.
	p.MaxBytes = max(p.MaxBytes, MaxLine+1)
	return p
}

// summaryValues is how many throughput values a summary keeps per cell.
const summaryValues = 20

// compact applies the policy to a file's entries, oldest first. dropped
// counts records deleted to meet MaxBytes.
func (p Policy) compact(es []entry) (out []entry, dropped int, err error) {
	p = p.normalized()
	full, summaries := p.Full, p.Summaries
	for {
		es, err = thin(es, full, p.Group, summaries)
		if err != nil {
			return nil, 0, err
		}
		if size(es) <= p.MaxBytes {
			return es, dropped, nil
		}
		switch n := count(es, entry.summary); {
		case full > p.Group:
			full -= p.Group
		case n > 1 && summaries >= n:
			summaries = n - 1
		default:
			es = es[1:]
			dropped++
		}
	}
}

func count(es []entry, f func(entry) bool) int {
	n := 0
	for _, e := range es {
		if f(e) {
			n++
		}
	}
	return n
}

// thin folds runs of group full records older than the newest keep
// entries into summaries, then merges neighbouring summaries until at most
// maxSummaries are left.
func thin(es []entry, keep, group, maxSummaries int) ([]entry, error) {
	if len(es) <= keep {
		return es, nil
	}
	head, tail := es[:len(es)-keep], es[len(es)-keep:]
	var out []entry
	for i := 0; i < len(head); {
		if !head[i].full() {
			out = append(out, head[i])
			i++
			continue
		}
		j := i
		for j < len(head) && j-i < group && head[j].full() {
			j++
		}
		if j-i < group { // a run still filling up: wait for more
			out = append(out, head[i:j]...)
			i = j
			continue
		}
		e, err := mergeEntries(head[i:j])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		i = j
	}
	for count(out, entry.summary) > maxSummaries {
		best := -1
		for i := 0; i+1 < len(out); i++ {
			if !out[i].summary() || !out[i+1].summary() {
				continue
			}
			if best < 0 || pushes(out[i:i+2]) < pushes(out[best:best+2]) {
				best = i
			}
		}
		if best < 0 { // no two summaries side by side: drop the oldest
			i := slices.IndexFunc(out, entry.summary)
			out = slices.Delete(out, i, i+1)
			continue
		}
		e, err := mergeEntries(out[best : best+2])
		if err != nil {
			return nil, err
		}
		out = slices.Replace(out, best, best+2, e)
	}
	return append(out, tail...), nil
}

func pushes(es []entry) int {
	n := 0
	for _, e := range es {
		n += e.rec.PushCount()
	}
	return n
}

func mergeEntries(es []entry) (entry, error) {
	recs := make([]*Record, len(es))
	for i, e := range es {
		recs[i] = e.rec
	}
	r := Merge(recs)
	e, err := newEntry(&r)
	if err != nil {
		return entry{}, fmt.Errorf("summarise %d records: %w", len(recs), err)
	}
	return e, nil
}

// Merge summarises consecutive records of one series, oldest first, into
// one: it spans the first commit to the last, counts their pushes, carries
// the newest record's host, command and settings, and per cell keeps the
// median of each push (a summary's values count as pushes) and the median
// of the other figures. A cell failed in every record stays failed.
func Merge(recs []*Record) Record {
	first, last := recs[0], recs[len(recs)-1]
	out := *last
	out.Cells = nil
	out.Pushes = 0
	out.FirstCommit = first.Commit
	ft := first.Time
	if first.FirstCommit != "" {
		out.FirstCommit = first.FirstCommit
	}
	if first.FirstTime != nil {
		ft = *first.FirstTime
	}
	out.FirstTime = &ft
	for _, r := range recs {
		out.Pushes += r.PushCount()
	}

	type acc struct {
		cell                    Cell
		values, k, s0, p99, pss []float64
		errs                    int
	}
	var order []string
	cells := map[string]*acc{}
	for _, r := range recs {
		for _, c := range r.Cells {
			a := cells[c.Name()]
			if a == nil {
				a = &acc{cell: Cell{Workers: c.Workers, Threads: c.Threads}}
				cells[c.Name()] = a
				order = append(order, c.Name())
			}
			a.cell.Slots = c.Slots
			if c.Failed() {
				a.errs++
				a.cell.Error = c.Error
				continue
			}
			if r.PushCount() > 1 {
				a.values = append(a.values, c.Throughput...)
			} else {
				a.values = append(a.values, c.Median())
			}
			a.k = append(a.k, c.Concurrency)
			a.s0 = append(a.s0, c.ServiceTimeS)
			a.p99 = append(a.p99, c.P99S)
			a.pss = append(a.pss, float64(c.PSSBytes))
		}
	}
	// Cells in the order the newest record lists them, then older ones.
	slices.SortStableFunc(order, func(a, b string) int {
		return indexOf(last, a) - indexOf(last, b)
	})
	for _, name := range order {
		a := cells[name]
		c := a.cell
		if len(a.values) == 0 {
			if c.Error == "" {
				c.Error = "no throughput measured"
			}
			out.Cells = append(out.Cells, c)
			continue
		}
		c.Error = ""
		c.Throughput = spread(roundAll(a.values), summaryValues)
		c.Concurrency = round(stats.Median(a.k))
		c.ServiceTimeS = round(stats.Median(a.s0))
		c.P99S = round(stats.Median(a.p99))
		c.PSSBytes = uint64(stats.Median(a.pss))
		out.Cells = append(out.Cells, c)
	}
	return out
}

// indexOf is the position of the cell named name in r, or len(r.Cells).
func indexOf(r *Record, name string) int {
	for i, c := range r.Cells {
		if c.Name() == name {
			return i
		}
	}
	return len(r.Cells)
}

func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = round(x)
	}
	return out
}

// Span is the time range a record covers: one instant, or from the first
// push a summary holds to its last.
func (r *Record) Span() (from, to time.Time) {
	if r.FirstTime != nil {
		return *r.FirstTime, r.Time
	}
	return r.Time, r.Time
}
