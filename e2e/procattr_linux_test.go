package e2e

import (
	"os/exec"
	"syscall"
)

// endWithTest makes the kernel kill cmd if the test binary dies without
// running its cleanups (a panic, go test -timeout), so that no Prometheus
// or exporter outlives it.
func endWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
