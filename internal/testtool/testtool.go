// Package testtool finds the external programs that interoperability tests
// run (OpenSSH's sshd and ssh, promtool, prometheus, wbemcli, chromium,
// systemd-analyze).
// Under CI (CI set in the environment) a missing program fails the test,
// because .ci/run installs them; on a developer machine the test is
// skipped with a message saying which Debian package to install. A test
// that needs root (RequireRoot) is handled alike: .ci/run runs as root.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Debian packages that provide each program, for the skip message.
var packages = map[string]string{
	"sshd":       "openssh-server",
	"ssh":        "openssh-client",
	"ssh-keygen": "openssh-client",
	"promtool":   "prometheus",
	"prometheus": "prometheus",
	"wbemcli":    "sblim-wbemcli",
	"chromium":   "chromium",
	// systemd-analyze checks the example unit (it needs no running systemd).
	"systemd-analyze": "systemd",
}

// Find returns the absolute path of program, looking in PATH and in the
// sbin directories that are often missing from a non-root PATH.
func Find(program string) (string, bool) {
	if p, err := exec.LookPath(program); err == nil {
		return p, true
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"} {
		p := filepath.Join(dir, program)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// Require returns the path of program or ends the test: Fatal under CI,
// Skip elsewhere.
func Require(t testing.TB, program string) string {
	t.Helper()
	if p, ok := Find(program); ok {
		return p
	}
	pkg := packages[program]
	if pkg == "" {
		pkg = program
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found: .ci/run must install Debian package %s", program, pkg)
	}
	t.Skipf("%s not found; install Debian package %s to run this test", program, pkg)
	return ""
}

// RequireRoot ends the test unless it runs as root, as Require does for a
// missing program: Fatal under CI (which runs .ci/run as root), Skip
// elsewhere. why says what needs root.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("needs root: %s", why)
	}
	t.Skipf("needs root: %s", why)
}
