//go:build unix

package parser

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used so far,
// all threads, the garbage collector's included.
func processCPU() time.Duration {
	var r syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &r) != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
