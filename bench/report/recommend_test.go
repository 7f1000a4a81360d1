package report

import (
	"bytes"
	"testing"

	"github.com/workerbench/workerbench/bench/recommend"
	"github.com/workerbench/workerbench/bench/results"
)

// TestRecommendationGolden pins the recommendation as the terminal and the
// Markdown show it: with the costs fitted (the seed matrix), and with
// neither fitted (1x1 and 2x2 alone), where the headline says
// the memory is not estimated instead of giving a wrong figure.
func TestRecommendationGolden(t *testing.T) {
	tests := []struct {
		name   string
		run    func() *results.Run
		target recommend.Target
	}{
		{"recommend_fitted", seedRun, recommend.Target{CPUs: 8, MemoryBudget: 512 * mib}},
		{"recommend_unknown_costs", func() *results.Run {
			r := seedRun()
			r.Cells = []results.Cell{seedCell(1, 1, 4.97, 44.1), seedCell(2, 2, 19.9, 60.7)}
			return r
		}, recommend.Target{CPUs: 8, MemoryBudget: 512 * mib}},
		// A project that deploys 3x1 on a machine of 4 cores and 512 MiB,
		// as its files state: the advice is set against it.
		{"recommend_deployed", func() *results.Run {
			r := seedRun()
			r.Deployed = procfile(3, 1)
			r.Deployed.Sources = append(r.Deployed.Sources,
				results.Source{File: "fly.toml", Line: 12, What: "[[vm]]"})
			r.Deployed.Machine = &results.Machine{CPUs: 4, MemoryMiB: 512}
			return r
		}, recommend.Target{CPUs: 4, MemoryBudget: 512 * mib, FromDeployment: true,
			Deployed: recommend.Config{Workers: 3, Threads: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.run()
			r.Runtime, r.Model = "cpython", "slots" // gunicorn's, as the run would record
			rec, ok := recommend.For(r, tt.target)
			if !ok {
				t.Fatal("no recommendation")
			}
			r.Recommendation = &rec
			r = roundTrip(t, r)
			var tb bytes.Buffer
			if err := Table(&tb, r); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".txt", tb.Bytes())
			var md bytes.Buffer
			if err := Markdown(&md, r, MarkdownOptions{}); err != nil {
				t.Fatal(err)
			}
			checkMarkdown(t, md.String())
			golden(t, tt.name+".md", md.Bytes())
		})
	}
}
