package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// TestE2EActJobTime measures the job a pull request runs with
// examples/workflows/workerbench.yml as users copy it (its matrix, path and
// the default windows and pairs; the action through the release path),
// from act's start to the comment posted, and where the time went. Opt-in:
//
//	WORKERBENCH_E2E=1 WORKERBENCH_E2E_JOBTIME=1 WORKERBENCH_RELEASE_DIST=$PWD/dist \
//	  go test -run TestE2EActJobTime -v ./cmd/workerbench/
func TestE2EActJobTime(t *testing.T) {
	if os.Getenv("WORKERBENCH_E2E_JOBTIME") != "1" {
		t.Skip("set WORKERBENCH_E2E_JOBTIME=1 (and WORKERBENCH_E2E=1) to time the default " +
			"pull-request job (about a minute and a half)")
	}
	e := newE2E(t)
	e.workflow = e.writeExample(t, "workerbench.yml", exampleSetup...)
	start := time.Now()
	out, dir := e.actRun(t, "pull-request", true, nil)
	job := time.Since(start)
	e.checkComment(t, 1, 0, out)
	actionStart, binaryReady := readStamps(t, filepath.Join(dir, "stamps"))
	firstRequest := readUnixTime(t, filepath.Join(dir, "first-request"))
	res, err := results.Read(filepath.Join(dir, "artifacts", "workerbench", "results.json"))
	if err != nil {
		t.Fatalf("the run's results (uploaded as the workerbench artifact): %v", err)
	}
	var measured float64
	for _, c := range res.Cells {
		if c.WallTime != nil {
			measured += c.WallTime.TotalS
		}
	}
	t.Logf("default pull-request job under act: %s from act's start to the comment posted "+
		"(%d cells, verdict %s); the action's first step to its binary %s, to the first "+
		"request %s; measuring the cells %.1f s",
		job.Round(100*time.Millisecond), len(res.Cells), res.Verdict,
		binaryReady.Sub(actionStart).Round(10*time.Millisecond),
		firstRequest.Sub(actionStart).Round(10*time.Millisecond), measured)
}
