//go:build unix

package bow

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, every thread's.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
