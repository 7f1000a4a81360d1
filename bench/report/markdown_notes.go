package report

import (
	"fmt"
	"net/url"
	"strings"
)

// The notes around the Markdown tables: the failed cells, what an
// inconclusive comparison needs, the link to the artifacts, and what the
// size limit left out.

func (d *mdDoc) failures(shown []int) {
	_, runes, _, _ := d.limits()
	if d.l.detail == detailNone {
		runes = 100
	}
	in := map[int]bool{}
	for _, i := range shown {
		in[i] = true
	}
	var lines []string
	for _, f := range d.m.failures {
		if !in[f.row] {
			continue
		}
		name := "**" + Escape(Clip(f.name, mdCellRunes)) + "**"
		mark, where := "❌", ""
		switch f.side {
		case "head":
			where = " on head"
		case "base":
			mark, where = "⚠️", " on base"
		}
		why := Escape(Clip(f.err, runes))
		lines = append(lines, "- "+mark+" "+name+" failed"+where+": "+why)
	}
	if len(lines) == 0 {
		return
	}
	for _, l := range lines {
		d.line(l)
	}
	if d.l.detail < detailNone {
		d.line("")
		d.line("The server's last log lines are in the *Failed cell* sections below.")
	}
	d.line("")
}

func (d *mdDoc) inconclusive() {
	if !d.comparison {
		return
	}
	o := d.m.outcome
	cs := o.inconclusive
	if len(cs) == 0 {
		return
	}
	var names []string
	for i, c := range cs {
		if i == 3 {
			names = append(names, fmt.Sprintf("%d more", len(cs)-3))
			break
		}
		names = append(names, Escape(Clip(c.name, mdNameRunes)))
	}
	s := "**Inconclusive** for " + strings.Join(names, ", ") +
		": too few or too noisy trials to tell a change of " + o.threshold + " from noise"
	if o.mde != "" {
		s += "; the smallest change these trials could detect is " + o.mde
	}
	d.line(s + ". More trials (`--trials`) or a quieter runner narrow the interval.")
	d.line("")
}

func (d *mdDoc) artifacts() {
	if d.o.ArtifactURL == "" {
		return
	}
	const text = "Charts, results.json and server logs"
	if u, ok := safeURL(d.o.ArtifactURL); ok {
		d.line("📦 [" + text + "](" + u + ")")
	} else {
		d.line("📦 " + text + ": " + Escape(Clip(d.o.ArtifactURL, 200)))
	}
	d.line("")
}

// safeURL returns an absolute http(s) URL in a form that cannot end the
// Markdown link early or carry markup.
func safeURL(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	s := u.String()
	r := strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", `"`, "%22",
		"`", "%60", "\\", "%5C", "|", "%7C")
	return r.Replace(s), true
}

func (d *mdDoc) omissions() {
	var what []string
	switch d.l.detail {
	case detailShort, detailTiny:
		what = append(what, "server logs and diagnostics are shortened")
	case detailNone:
		what = append(what, "diagnostics, server logs and settings are left out")
	}
	if !d.l.chart {
		what = append(what, "the chart and bursts are left out")
	}
	if len(what) == 0 {
		return
	}
	s := "*To fit the size limit, " + strings.Join(what, "; ") + ".*"
	if d.o.ArtifactURL != "" {
		s = strings.TrimSuffix(s, ".*") + ": see the artifacts.*"
	}
	d.line(s)
}
