package history

import (
	"strings"
	"testing"
)

// TestRender pins the trend as workerbench trend prints it (trend.txt),
// its Markdown beside the charts (trend_charts.md) and the data branch's
// README.md (dashboard.md), of the history of trendFixture.
func TestRender(t *testing.T) {
	recs, other := trendFixture()
	trends := []Trend{
		Analyze(Series{Name: DefaultSeries, Records: recs}, Options{}),
		Analyze(Series{Name: DefaultSeries, Endpoint: "GET /cpu", Records: other}, Options{}),
	}

	var text, md, dash strings.Builder
	for _, tr := range trends {
		if err := WriteTrendText(&text, tr, 5); err != nil {
			t.Fatal(err)
		}
		if err := WriteTrendMarkdown(&md, tr, ChartLinks{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteDashboard(&dash, trends, commitOf(59)); err != nil {
		t.Fatal(err)
	}
	golden(t, "trend.txt", text.String())
	golden(t, "trend_charts.md", md.String())
	golden(t, "dashboard.md", dash.String())

	stem := ChartStem(trends[0], trends[0].Cells[3])
	if stem != "trend-default-3x3" {
		t.Errorf("chart stem %q, want trend-default-3x3", stem)
	}
	if !strings.Contains(md.String(), "[![3x3: throughput and achieved concurrency per push]("+
		stem+".png)]("+stem+".svg)") {
		t.Errorf("trend Markdown does not link the PNG to the SVG:\n%s", md.String())
	}
	if !strings.Contains(dash.String(), "](charts/"+stem+".svg)\n") ||
		!strings.Contains(dash.String(), "Last recorded: `"+commitOf(59)[:7]+"`") {
		t.Errorf("README.md does not embed the SVGs under charts/:\n%s", dash.String())
	}
}
