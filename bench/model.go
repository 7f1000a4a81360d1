package bench

import "github.com/workerbench/workerbench/bench/profile"

// model is the concurrency model of the configured server, told from its
// command by profile.Classify ("slots" unless the command names a server
// that runs an event loop, such as uvicorn or node).
func (c *Config) model() string {
	m, _ := profile.Classify(c.template.argv)
	return string(m)
}
