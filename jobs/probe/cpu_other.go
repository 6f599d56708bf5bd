//go:build !unix

package probe

import "time"

// CPUTime is 0 where getrusage is missing: benchmarks then report no CPU.
func CPUTime() time.Duration { return 0 }
