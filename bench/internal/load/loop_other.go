//go:build !linux

package load

// newLoops reports false: elsewhere a closed loop runs a goroutine per connection.
func newLoops(*request, int, int) (driver, bool) { return nil, false }
