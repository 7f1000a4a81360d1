// Package publish delivers workerbench results to GitHub: the sticky pull
// request comment (Commenter), the untrusted payload that carries a fork's
// results into a privileged workflow_run job (Payload, RunEvent,
// VerifyPayload), and the Actions runner's outputs, job summary and
// annotations (Actions).
//
// Rendering is not done here: callers pass finished Markdown, and this
// package only enforces GitHub's size limits, keeping the Markdown
// well-formed when it has to cut.
package publish
