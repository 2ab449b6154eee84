//go:build unix

package safefile

import "syscall"

// openFlags: a named pipe swapped in after the type check must not block
// the open (a FIFO's open waits for a writer), and the descriptor must not
// leak into child processes.
const openFlags = syscall.O_NONBLOCK | syscall.O_CLOEXEC
