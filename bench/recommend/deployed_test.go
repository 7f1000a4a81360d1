package recommend

import (
	"math"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
)

// TestVsDeployed: the advice is set against the deployed configuration,
// measured here and expected on the target.
func TestVsDeployed(t *testing.T) {
	r := sleepApp()
	r.Deployed = &results.Deployed{Cell: "3x1", Workers: 3, Threads: 1, Profile: "gunicorn",
		Sources: []results.Source{{File: "Procfile", Line: 1}}}
	rec, ok := For(r, Target{CPUs: 2, Deployed: Config{3, 1}})
	if !ok || rec.VsDeployed == nil {
		t.Fatalf("For = %+v, %v; want advice against the deployed 3x1", rec, ok)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 0.01*want }
	m := rec.VsDeployed.Measured
	// 3x3 serves 90 req/s to 3x1's 30 in 3 threads' eighth of a MiB more.
	if m == nil || m.Config != "3x3" || m.Deployed != "3x1" || !near(m.ThroughputRatio, 3) ||
		!near(m.PSSRatio, (90+9.0/8)/(90+3.0/8)) || !near(m.P99Ratio, 1) {
		t.Errorf("measured %+v, want 3x3 at 3 × 3x1's throughput", m)
	}
	// On 2 cores the model expects 2x16 to serve 320 req/s, 3x1 30.
	tg := rec.VsDeployed.Target
	if tg == nil || tg.Config != "2x16" || tg.Deployed != "3x1" || !near(tg.ThroughputRatio, 320.0/30) ||
		tg.PSSRatio <= 0 || tg.P99Ratio != 0 {
		t.Errorf("target %+v, want 2x16 at 10.7 × 3x1's throughput, no p99 (2x16 not measured)", tg)
	}

	// Slots that hold half a request each: the advice (2x10) serves what
	// the cores can, 2 × the deployed 5x2, never less than it.
	half := halfSlots()
	half.Deployed = &results.Deployed{Cell: "5x2", Workers: 5, Threads: 2, Profile: "gunicorn",
		Sources: []results.Source{{File: "gunicorn.conf.py", Line: 3}}}
	rec, _ = For(half, Target{CPUs: 2, Deployed: Config{5, 2}})
	if tg := rec.VsDeployed.Target; tg == nil || tg.Config != "2x10" || !near(tg.ThroughputRatio, 2) {
		t.Errorf("half-busy slots, 5x2 deployed on 2 cores: %+v; want 2x10 at 2 × 5x2's throughput", tg)
	}

	rec, _ = For(cpuApp(), Target{CPUs: 1, Deployed: Config{1, 1}})
	if rec.VsDeployed != nil {
		t.Errorf("nothing deployed in the run: %+v, want none", rec.VsDeployed)
	}
	// The deployed 2x1 is the recommendation for 2 cores, not the best
	// measured: Same says which.
	one := cpuApp()
	one.Deployed = &results.Deployed{Cell: "2x1", Workers: 2, Threads: 1, Profile: "gunicorn",
		Sources: []results.Source{{File: "Procfile", Line: 1}}}
	rec, _ = For(one, Target{CPUs: 2, Deployed: Config{2, 1}})
	if v := rec.VsDeployed; v == nil || v.Target == nil || !v.Target.Same() || v.Measured == nil ||
		v.Measured.Same() {
		t.Errorf("CPU-bound, 2x1 deployed on 2 cores: %+v; want the recommendation to be 2x1, "+
			"the best measured 4x1", v)
	}
}
