package recommend

import "github.com/workerbench/workerbench/bench/results"

// vsDeployed sets rec, the recommendation for t, against what r's project
// deploys: the best cell measured here against the deployed cell measured
// here, and rec against the deployed configuration on t (t.Deployed), both
// as the model expects them (throughput at w workers of threads each, m
// for memory), so that the ratio compares like with like. nil when
// nothing is deployed.
func vsDeployed(r *results.Run, t Target, rec results.Recommendation,
	throughput func(w, threads int) float64, m memory,
) *results.VersusDeployed {
	if r.Deployed == nil || t.Deployed.Workers < 1 || t.Deployed.Threads < 1 {
		return nil
	}
	v := &results.VersusDeployed{TargetFromDeployment: t.FromDeployment}
	if d, ok := r.DeployedCell(); ok {
		best, _ := r.Best()
		v.Measured = &results.Versus{
			Config:          Config{best.Workers, best.Threads}.String(),
			Deployed:        Config{d.Workers, d.Threads}.String(),
			ThroughputRatio: ratio(best.PeakThroughput(), d.PeakThroughput()),
			P99Ratio:        ratio(best.Latency.P99, d.Latency.P99),
			PSSRatio:        ratio(pss(best), pss(d)),
		}
	}
	dw, dt := t.Deployed.Workers, t.Deployed.Threads
	v.Target = &results.Versus{
		Config:          rec.Config(),
		Deployed:        t.Deployed.String(),
		ThroughputRatio: ratio(rec.ExpectedRPS, throughput(dw, dt)),
	}
	if pssRec, told := m.at(rec.Workers, rec.Threads); told {
		if pssDep, told := m.at(dw, dt); told {
			v.Target.PSSRatio = ratio(pssRec, pssDep)
		}
	}
	// p99 is measured, never modelled: a ratio only between measured cells.
	if a, ok := cellAt(r, rec.Workers, rec.Threads); ok {
		if b, ok := cellAt(r, dw, dt); ok {
			v.Target.P99Ratio = ratio(a.Latency.P99, b.Latency.P99)
		}
	}
	return v
}

// cellAt is the measured cell of r's first endpoint at w workers of
// threads each.
func cellAt(r *results.Run, w, threads int) (results.Cell, bool) {
	for _, c := range measured(r) {
		if c.Workers == w && c.Threads == threads {
			return c, true
		}
	}
	return results.Cell{}, false
}

// ratio is a ÷ b, 0 when either is not a positive figure.
func ratio(a, b float64) float64 {
	if !(a > 0) || !(b > 0) || !results.Finite(a/b) {
		return 0
	}
	return a / b
}
