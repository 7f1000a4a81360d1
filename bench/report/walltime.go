package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// WallTime writes where the wall time of r went, one row per cell and a
// total: booting and stopping servers, the sequential requests measuring
// S0, closed-loop warm-ups and windows, bursts, sweeps, and the rest
// ("other": deciding, diagnosing, saving). It is what --verbose prints at
// the end of run and ab. Cells without a record (older results) are left
// out; it writes nothing when none has one.
func WallTime(w io.Writer, r *results.Run) error {
	if r == nil {
		return errors.New("render wall time: no results")
	}
	t := newTextTable(lcol("wall time"), rcol("boot"), rcol("S0"), rcol("warm-up"),
		rcol("windows"), rcol("bursts"), rcol("sweep"), rcol("stop"), rcol("other"),
		rcol("total"))
	var sum results.WallTime
	rows := 0
	for _, c := range r.Cells {
		if c.WallTime == nil {
			continue
		}
		rows++
		sum.Add(*c.WallTime)
		t.add("", wallRow(Clip(plain(c.Name()), termNameRunes), *c.WallTime)...)
	}
	if rows == 0 && r.Setup == nil {
		return nil
	}
	if rows > 1 {
		t.add("", wallRow("total", sum)...)
	}
	var b strings.Builder
	t.write(&b)
	if s := r.Setup; s != nil {
		b.WriteString("setup, before any cell and apart from the total: " + SetupTimes(s) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SetupTimes says how long setup took on each side: "base 12.1 s, head
// 11.9 s", or "12.1 s" in a run.
func SetupTimes(s *results.Setup) string {
	if s.WallTime.BaseS == 0 {
		return secs(s.WallTime.HeadS)
	}
	return "base " + secs(s.WallTime.BaseS) + ", head " + secs(s.WallTime.HeadS)
}

// wallRow is a row of the wall-time table: the name, then each phase.
func wallRow(name string, w results.WallTime) []string {
	return []string{name, secs(w.BootS), secs(w.ServiceTimeS), secs(w.WarmupS),
		secs(w.WindowS), secs(w.BurstS), secs(w.SweepS), secs(w.StopS), secs(w.OtherS()),
		secs(w.TotalS)}
}

// secs is a wall time in seconds to a tenth, "-" for none: phases that
// add up to the total read best in one unit, so not human.Seconds, but
// with its space before the unit.
func secs(s float64) string {
	if s < 0.05 && s > -0.05 {
		return "-"
	}
	return fmt.Sprintf("%.1f s", s)
}
