package report

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// The collapsed <details> sections at the foot of the Markdown:
// diagnostics, the log tails of failed cells, further measurements, and
// the host and settings.

func (d *mdDoc) diagnostics() {
	ds := d.m.diagnostics
	if len(ds) == 0 {
		return
	}
	items, runes, _, _ := d.limits()
	d.open(fmt.Sprintf("Diagnostics (%d)", len(ds)))
	for i, x := range ds {
		if i == items {
			d.p("- … %d more in results.json\n", len(ds)-items)
			break
		}
		name := "**" + Escape(Clip(x.cell, mdCellRunes)) + "**"
		if x.cell == "" {
			name = "**all cells**"
		}
		if x.side != "" {
			name += " (" + x.side + ")"
		}
		d.line("- " + name + ": " + Escape(Clip(x.text, runes)))
	}
	d.close()
}

func (d *mdDoc) logs() {
	_, runes, maxLines, lineRunes := d.limits()
	for _, f := range d.m.failures {
		tail := f.logTail
		omitted := 0
		if maxLines > 0 && len(tail) > maxLines {
			omitted = len(tail) - maxLines
			tail = tail[omitted:]
		}
		what := "no server log captured"
		switch {
		case omitted > 0:
			what = fmt.Sprintf("server log, last %d of %d lines", len(tail), len(f.logTail))
		case len(tail) > 0:
			what = "server log, last " + Plural(len(tail), "line")
		}
		where := ""
		if f.side != "" {
			where = " on " + f.side
		}
		d.open("Failed cell " + escapeHTML(Clip(f.name, mdCellRunes)) + where + ": " + what)
		d.line("**Error:** " + Escape(Clip(f.err, runes)))
		if ex := f.logExcerpt; len(ex) > 0 {
			lines := make([]string, len(ex))
			for i, l := range ex {
				lines[i] = Clip(l, cmp.Or(lineRunes, 500))
			}
			d.line("")
			d.line("**What the server's log says:**")
			d.line("")
			d.b.WriteString(CodeBlock("text", strings.Join(lines, "\n")))
		}
		if f.log != "" {
			d.line("")
			d.line("Full log in the artifacts: " + Escape(Clip(f.log, 200)))
		}
		if len(tail) > 0 {
			lines := tail
			if lineRunes > 0 {
				lines = make([]string, len(tail))
				for i, l := range tail {
					lines[i] = Clip(l, lineRunes)
				}
			}
			d.line("")
			d.b.WriteString(CodeBlock("text", strings.Join(lines, "\n")))
		}
		d.close()
	}
}

func (d *mdDoc) measurements() {
	if len(d.m.rows) == 0 {
		return
	}
	d.open("Measurements")
	d.table(lcol("cell"), rcol("service time S0"), rcol("connections"), rcol("requests"),
		rcol("p90"), rcol("max"), rcol("Σ RSS"), rcol("processes"), rcol("server CPU/req"),
		rcol("generator CPU/req"), lcol("bound"), lcol("trials (req/s)"))
	st := mdStyle()
	add := func(name string, m measures) {
		if m.failed {
			d.line(mdRow(name, "failed", "", "", "", "", "", "", "", "", "", ""))
			return
		}
		d.line(mdRow(name,
			or(m.serviceTime, st.none),
			or(m.connections, st.none),
			m.requests,
			or(m.p90, st.none),
			or(m.max, st.none),
			or(m.rss, st.none),
			or(m.processes, st.none),
			or(m.serverCPU, st.none),
			or(m.generatorCPU, st.none),
			or(Escape(Clip(m.bound, 10)), st.none),
			or(strings.Join(m.trials, " · "), st.none),
		))
	}
	for _, c := range d.m.rows {
		name := Escape(Clip(c.name, mdCellRunes))
		if d.comparison {
			if c.base != nil {
				add(name+" base", *c.base)
			}
			add(name+" head", c.head)
		} else {
			add(name, c.head)
		}
	}
	d.close()
}

func (d *mdDoc) settings() {
	r := d.r
	d.open("Host and settings")
	h := r.Host
	host := fmt.Sprintf("%s, %s/%s",
		Plural(h.CPUs, "CPU"), Escape(Clip(h.OS, 20)), Escape(Clip(h.Arch, 20)))
	if h.CPUModel != "" {
		host += ", " + Escape(Clip(h.CPUModel, 80))
	}
	if h.Hostname != "" {
		host += ", host " + Escape(Clip(h.Hostname, 80))
	}
	d.line("- **Host:** " + host)
	s := r.Settings
	load := "closed loop"
	if s.DurationS > 0 {
		load += ", " + trimFloat(s.DurationS, 2) + " s per trial"
		if s.WarmupS > 0 {
			load += " after " + trimFloat(s.WarmupS, 2) + " s warm-up"
		}
	}
	if s.Trials > 0 {
		load += ", " + Plural(s.Trials, "trial")
	}
	if s.Connections > 0 {
		load += ", " + Plural(s.Connections, "connection")
	} else {
		load += ", 3 × slots connections (at least 8)"
	}
	if s.KeepAlive {
		load += ", keep-alive"
	} else {
		load += ", a new connection per request"
	}
	d.line("- **Load:** " + load)
	if len(s.Bursts) > 0 {
		sizes := make([]string, len(s.Bursts))
		for i, n := range s.Bursts {
			sizes[i] = itoa(n)
		}
		d.line("- **Bursts:** " + strings.Join(sizes, ", ") + " requests at once")
	}
	if d.comparison {
		d.line("- **Statistics:** threshold " + d.m.outcome.threshold)
		cell, overall := methods(r)
		if cell != "" {
			d.line("  - per cell: " + Escape(Clip(cell, 300)))
		}
		if overall != "" {
			d.line("  - overall: " + Escape(Clip(overall, 300)))
		}
	}
	if s.Seed != 0 {
		d.line("- **Seed:** " + strconv.FormatInt(s.Seed, 10))
	}
	if r.Started != "" {
		d.line("- **Started:** " + Escape(Clip(r.Started, 40)))
	}
	if r.Version != "" {
		d.line("- **workerbench:** " + Escape(Clip(r.Version, 40)))
	}
	if r.Dir != "" {
		d.line("- **Directory:** " + Escape(Clip(r.Dir, 200)))
	}
	if r.BaseDir != "" {
		d.line("- **Base directory:** " + Escape(Clip(r.BaseDir, 200)))
	}
	limit := 4000
	if d.l.detail != detailFull {
		limit = 500
	}
	if r.Command != "" {
		d.line("")
		label := "Command:"
		if d.comparison && r.BaseCommand != "" && r.BaseCommand != r.Command {
			label = "Head command:"
		}
		d.line(label)
		d.line("")
		d.b.WriteString(CodeBlock("sh", Clip(r.Command, limit)))
	}
	if r.BaseCommand != "" && r.BaseCommand != r.Command {
		d.line("")
		d.line("Base command:")
		d.line("")
		d.b.WriteString(CodeBlock("sh", Clip(r.BaseCommand, limit)))
	}
	d.close()
}

// methods names the statistics the verdicts come from: of the cells (when
// they all used the same) and of the overall verdict.
func methods(r *results.Run) (cell, overall string) {
	for _, c := range r.Cells {
		switch {
		case c.Method == "" || cellFailed(c):
		case cell == "":
			cell = c.Method
		case cell != c.Method:
			cell = "differs by cell (see results.json)"
		}
	}
	if r.Overall != nil {
		overall = r.Overall.Method
	}
	return cell, overall
}
