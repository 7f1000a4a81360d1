//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package load

import "time"

// processCPU returns 0: getrusage is not available here, so Report.GeneratorCPU stays 0.
func processCPU() time.Duration { return 0 }
