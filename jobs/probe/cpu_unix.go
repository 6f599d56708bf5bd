//go:build unix

package probe

import (
	"syscall"
	"time"
)

// CPUTime is the process's user+system CPU time: a figure that stays
// comparable when other work shares the machine, unlike wall-clock rates.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
