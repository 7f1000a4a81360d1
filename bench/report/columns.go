package report

// What the two layouts of the model share: its columns, and what they
// differ in as a parameter (style) rather than as a second copy.

// style is what the two layouts differ in for the values they share.
type style struct {
	none string              // placeholder for a value not measured
	esc  func(string) string // for text from the results
	sep  string              // between burst waves
}

// textStyle is the terminal's: "-", one line without control characters.
func textStyle() style { return style{none: "-", esc: plain, sep: " "} }

// mdStyle is Markdown's: "—", escaped inline Markdown.
func mdStyle() style { return style{none: "—", esc: Escape, sep: " · "} }

// figureHeads names the columns of a cell's figures in both tables of a
// run, after the cell and its slots; all align right.
func figureHeads() []column {
	var cols []column
	for _, h := range []string{
		"req/s", "concurrency", "efficiency", "p50", "p99", "Σ PSS", "CPU/req", "errors",
	} {
		cols = append(cols, rcol(h))
	}
	return cols
}

// figures are m's values under figureHeads.
func (m measures) figures(st style) []string {
	return []string{
		or(m.throughput, st.none),
		or(m.concurrency, st.none),
		or(m.efficiency, st.none),
		or(m.p50, st.none),
		or(m.p99, st.none),
		or(m.pss, st.none),
		or(m.serverCPU, st.none),
		st.esc(m.errors),
	}
}

// column is a column of a table: its head and its alignment.
type column struct {
	head  string
	right bool
}

func lcol(head string) column { return column{head: head} }
func rcol(head string) column { return column{head: head, right: true} }

// rcols are right-aligned columns headed by heads.
func rcols(heads []string) []column {
	cols := make([]column, len(heads))
	for i, h := range heads {
		cols[i] = rcol(h)
	}
	return cols
}
