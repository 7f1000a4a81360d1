// Package report renders results.Run as text: an aligned table for the
// terminal (Table), GitHub-flavoured Markdown for summary.md, the job
// summary and the pull-request comment (Markdown), and a Mermaid chart
// (Mermaid). It reads only the results; it measures and decides nothing.
//
// The terminal table and the Markdown show the same figures of each cell
// and state the same outcome, so both lay out one model of the run,
// computed once: a row per cell with its figures as plain text, neither
// escaped nor clipped (model.go), and the outcome, the verdict and the
// cells that carry it (outcome.go) — as benchstat builds one table for its
// text and CSV output. table.go lays the model out as aligned text, the
// markdown*.go files (one per section of the document) as GitHub-flavoured
// Markdown; each chooses its columns and wording, clips and escapes.
//
// Results carry text the benchmarked project controls — server log lines,
// error messages, endpoints, commands, paths — and a pull request's author
// controls that project. Everything such is escaped before it reaches
// Markdown (Escape for inline text and table cells, CodeBlock for log
// tails) so that it cannot inject HTML, ping people, link issues, break a
// table or close a code fence, and is stripped of control characters before
// it reaches a terminal.
package report
