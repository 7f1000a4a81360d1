// Package bench is workerbench's engine: it boots the server under test
// once per cell of a workers × threads matrix, drives load at it over
// loopback, and measures what it achieves.
//
// Data flows one way: a Config (from flags, a config file and defaults,
// validated once) gives the Matrix of Shapes; a Runner boots a server per
// shape (a session: boot, readiness, memory sampling, stop), a meter
// measures each endpoint (the unloaded service time S0, closed-loop
// trials, bursts) and diagnose explains the figures; the cells go into a
// results.Run, saved after every shape. AB does the same for a base and a
// head version side by side, in interleaved pairs of trials, and adds the
// comparison. Package results holds what is measured; packages report and
// charts render it.
package bench
