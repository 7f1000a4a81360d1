package history

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/workerbench/workerbench/bench/internal/stats"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// commitOf is a fake, stable 40-digit commit for push i.
func commitOf(i int) string { return fmt.Sprintf("%08x%032x", uint32(i*2654435761), i) }

// synth makes n pushes of a four-cell matrix with 3 trials each at CV cv;
// every cell's throughput is multiplied by ratio from push step on.
func synth(seed uint64, n, step int, ratio, cv float64) []Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	cells := []struct{ w, t int }{{1, 1}, {1, 3}, {3, 1}, {3, 3}}
	recs := make([]Record, n)
	for i := range recs {
		r := Record{
			Schema: Schema, Series: DefaultSeries, Commit: commitOf(i),
			Time:     t0.Add(time.Duration(i) * time.Hour),
			Version:  "0.1.0-dev",
			Host:     Host{CPUs: 2, OS: "linux", Arch: "amd64", CPUModel: "AMD EPYC"},
			Command:  "gunicorn --bind {bind} --workers {workers} --threads {threads} app:app",
			Settings: Settings{DurationS: 5, WarmupS: 1, Trials: 3, KeepAlive: true},
		}
		for _, c := range cells {
			slots := c.w * c.t
			level := 10 * float64(slots) // a 100 ms handler
			if i >= step {
				level *= ratio
			}
			day := 1 + cv*rng.NormFloat64() // run-to-run noise, shared by the trials
			cell := Cell{
				Workers:      c.w,
				Threads:      c.t,
				Slots:        slots,
				ServiceTimeS: 0.1,
				P99S:         0.12,
				PSSBytes:     uint64(30+15*c.w) << 20,
			}
			for range 3 {
				cell.Throughput = append(
					cell.Throughput,
					round(level*day*(1+0.005*rng.NormFloat64())),
				)
			}
			cell.Concurrency = round(stats.Median(cell.Throughput) * 0.1)
			r.Cells = append(r.Cells, cell)
		}
		recs[i] = r
	}
	return recs
}

// trendFixture is the history the trend goldens show: a series whose
// cells fell 5% at push 30, whose runner changed at push 55 and whose 3x3
// failed at the latest push, and twelve flat pushes of a second endpoint
// with two cells.
func trendFixture() (series, endpoint []Record) {
	series = synth(7, 60, 30, 0.95, 0.02)
	series[59].Cells[3].Error, series[59].Cells[3].Throughput = "server exited", nil
	for i := 55; i < 60; i++ {
		series[i].Host.CPUs = 4
	}
	endpoint = synth(11, 12, 12, 1, 0.02)
	for i := range endpoint {
		endpoint[i].Endpoint = "GET /cpu"
		endpoint[i].Cells = endpoint[i].Cells[:2]
	}
	return series, endpoint
}
