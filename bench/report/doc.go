// Package report renders results.Run as text: an aligned table for the
// terminal (Table), GitHub-flavoured Markdown for summary.md, the job
// summary and the pull-request comment (Markdown), and a Mermaid chart
// (Mermaid). It reads only the results; it measures and decides nothing.
//
// Results carry text the benchmarked project controls — server log lines,
// error messages, endpoints, commands, paths — and a pull request's author
// controls that project. Everything such is escaped before it reaches
// Markdown (Escape for inline text and table cells, CodeBlock for log
// tails) so that it cannot inject HTML, ping people, link issues, break a
// table or close a code fence, and is stripped of control characters before
// it reaches a terminal.
package report
