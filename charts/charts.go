// Package charts renders workerbench results as charts with gonum/plot.
//
// Each chart is a function from plain data (cells of a results.Run) to a
// *plot.Plot, or an error wrapping ErrNotApplicable when the data cannot
// make that chart: no bursts, no comparison, not a full grid. Write renders
// every applicable chart of a results file as PNG and SVG. Nothing here
// measures; the same input always gives byte-identical files.
package charts

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
)

// ErrNotApplicable is wrapped by the errors of chart functions when the data
// cannot make the chart. Write skips those charts silently.
var ErrNotApplicable = errors.New("chart not applicable")

// Chart is a chart ready to render, with the stem of its file names.
type Chart struct {
	Name string // e.g. "throughput", "timeline-3x3-burst20"
	Plot *plot.Plot
}

// Charts builds every chart that applies to r, in a stable order:
// concurrency, throughput, ratio, latency, memory, heatmap, a sweep per
// swept cell, a timeline of all cells per burst size, then a timeline per
// cell and burst. The deployed cell (results.Run.Deployed) is outlined
// and labelled in the charts with a place per cell. Charts that
// do not apply are left out; the error joins the failures of the others.
func Charts(r *results.Run) ([]Chart, error) {
	var out []Chart
	var errs []error
	used := map[string]bool{}
	add := func(name string, p *plot.Plot, err error) {
		switch {
		case err == nil:
			out = append(out, Chart{Name: name, Plot: p})
		case !errors.Is(err, ErrNotApplicable):
			errs = append(errs, fmt.Errorf("chart %s: %w", name, err))
		}
	}
	d := r.Deployed
	p, err := concurrency(r.Cells, r.Model)
	add("concurrency", markColumns(p, r.Cells, d), err)
	p, err = Throughput(r.Cells)
	add("throughput", markColumns(p, r.Cells, d), err)
	p, err = Ratio(r.Cells, r.Overall, r.Threshold())
	add("ratio", markColumns(p, r.Cells, d), err)
	p, err = Latency(r.Cells)
	add("latency", markColumns(p, r.Cells, d), err)
	p, err = Memory(r.Cells)
	add("memory", p, err)
	p, err = heatmap(r.Cells, r.Model)
	add("heatmap", markTile(p, r.Cells, d), err)
	for _, c := range r.Cells {
		if c.Sweep != nil && !c.Failed() {
			p, err := Sweep(c)
			add(unique(used, "sweep-"+cmp.Or(results.Slug(c.Name(), 60), "cell")), p, err)
		}
	}

	for _, size := range burstSizes(r.Cells) {
		name := unique(used, fmt.Sprintf("timeline-burst%d", size))
		p, err := Timelines(r.Cells, size)
		add(name, p, err)
	}
	for _, c := range r.Cells {
		for _, b := range c.Bursts {
			name := unique(used, fmt.Sprintf("timeline-%s-burst%d", cmp.Or(results.Slug(c.Name(), 60), "cell"), b.Size))
			p, err := Timeline(c, b)
			add(name, p, err)
		}
	}
	return out, errors.Join(errs...)
}

// Write renders every applicable chart of r as NAME.png and NAME.svg in
// dir, creating dir if needed, at Width × Height (800 × 450 pixels for the
// PNG). It returns the paths written, PNG before SVG, in the order of Charts.
// A chart that fails does not stop the others; the error joins the failures.
func Write(r *results.Run, dir string) ([]string, error) {
	charts, err := Charts(r)
	errs := []error{err}
	if len(charts) > 0 {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("write charts: %w", err)
		}
	}
	var paths []string
	for _, c := range charts {
		for _, format := range []string{"png", "svg"} {
			data, err := Render(c.Plot, format)
			if err != nil {
				errs = append(errs, fmt.Errorf("chart %s: %w", c.Name, err))
				continue
			}
			path := filepath.Join(dir, c.Name+"."+format)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				errs = append(errs, fmt.Errorf("write chart: %w", err))
				continue
			}
			paths = append(paths, path)
		}
	}
	return paths, errors.Join(errs...)
}

// Render draws p at Width × Height in format ("png" or "svg"; any format
// gonum/plot knows works).
func Render(p *plot.Plot, format string) (data []byte, err error) {
	// gonum/plot panics on some degenerate input; results files can come
	// from untrusted pull requests, so a bad one must not take the run down.
	defer func() {
		if v := recover(); v != nil {
			data, err = nil, fmt.Errorf("render %s: %v", format, v)
		}
	}()
	w, err := p.WriterTo(Width, Height, format)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", format, err)
	}
	return encode(w, format)
}

// encode writes a drawn canvas out in format.
func encode(w io.WriterTo, format string) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("render %s: %w", format, err)
	}
	if format == "svg" {
		// gonum names only Liberation Sans; a viewer without it would fall
		// back to a serif. Arial has the same metrics, so text still fits.
		return bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte(svgFonts)), nil
	}
	return buf.Bytes(), nil
}

const svgFonts = "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"

// unique returns name, or name with a numeric suffix if it was used.
func unique(used map[string]bool, name string) string {
	n := name
	for i := 2; used[n]; i++ {
		n = fmt.Sprintf("%s-%d", name, i)
	}
	used[n] = true
	return n
}

// burstSizes lists the burst sizes of the cells, ascending.
func burstSizes(cells []results.Cell) []int {
	var sizes []int
	for _, c := range cells {
		for _, b := range c.Bursts {
			sizes = append(sizes, b.Size)
		}
	}
	slices.Sort(sizes)
	return slices.Compact(sizes)
}
