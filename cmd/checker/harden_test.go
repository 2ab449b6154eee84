package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The drill's lab: true interlock is on arrays, not on names: a target
// marked lab: true whose address is also that of a target not marked lab
// (spelled another way) is refused before anything is changed.
func TestDrillRefusesALabAliasOfAProductionTarget(t *testing.T) {
	l := startLab(t, labOptions{secondary: true})
	addrA := l.sim.Arrays()[0].SSHAddress // 127.0.0.1:PORT
	port := addrA[strings.LastIndex(addrA, ":")+1:]
	f, err := os.OpenFile(l.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Targets are the last section of the written configuration.
	if _, err := f.WriteString(`  "prod-a": {address: "localhost:` + port + `", module: "sim-a"}` + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before := groupPhases(t, l.sim)
	for _, extra := range [][]string{{"--allow-changes"}, {"--dry-run"}} {
		var errb bytes.Buffer
		code, out := runCmd(t.Context(), &errb, drillArgs(l, extra...)...)
		want := `refusing to run: target "prod-a" (localhost:` + port + `, not lab: true) is the same array as lab target "sim-a" (` + addrA + `): both are ` + addrA
		if code != exitCouldNotRun || !strings.Contains(errb.String(), want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line %q\nstdout %s", extra, code, errb.String(), want, out)
		}
	}
	if after := groupPhases(t, l.sim); !equalMaps(before, after) {
		t.Errorf("the drill changed an array a production target names: %v -> %v", before, after)
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return p
}

// Input files that are no files (a device that never ends, a pipe nobody
// writes) fail at once with one line naming the file: /dev/zero ran the
// checker out of memory, a pipe hung it.
func TestCheckerInputsThatAreNotFiles(t *testing.T) {
	fifo := mkfifo(t)
	a := "testdata/check/array-a.txt"
	for _, args := range [][]string{
		{"check", "--showrcopy", "/dev/zero"},
		{"check", "--showrcopy", fifo},
		{"check", "--showrcopy", a, "--cim", "/dev/zero"},
		{"check", "--showrcopy", a, "--cim", fifo},
		{"check", "--showrcopy", a, "--table", "/dev/zero"},
		{"check", "--showrcopy", a, "--table", fifo},
		{"expect", "--role", "Primary", "--sync-status", "Synced", "--table", fifo},
		{"parse", "/dev/zero"},
		{"parse", fifo},
	} {
		var errb bytes.Buffer
		code, _ := runCmd(t.Context(), &errb, args...)
		bad := args[len(args)-1]
		if code != exitCouldNotRun || !strings.HasPrefix(errb.String(), "checker: "+bad+": ") || !strings.Contains(errb.String(), "not a regular file") ||
			strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("checker %s: exit %d, stderr %q; want 2 and one line %q", strings.Join(args, " "), code, errb.String(), "checker: "+bad+": ... not a regular file ...")
		}
	}
}

// `checker parse -` reading a pipe that never closes ends on SIGTERM and
// SIGINT, with exit status 2 and one line; it used to ignore both.
func TestParseStdinEndsOnSignals(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "checker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			cmd := exec.Command(bin, "parse", "-")
			cmd.Stdin = r
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r.Close()
			// A write larger than the pipe's buffer returns only once the
			// checker reads: by then its signal handling is in place.
			if _, err := w.Write(bytes.Repeat([]byte("Remote Copy System Information\n"), 8192)); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var waitErr error
			select {
			case waitErr = <-exited:
			case <-time.After(30 * time.Second): // a hang, not slowness
				cmd.Process.Kill()
				<-exited
				t.Fatalf("checker parse - did not end on %s", sig)
			}
			var exit *exec.ExitError
			if !errors.As(waitErr, &exit) || exit.ExitCode() != exitCouldNotRun {
				t.Errorf("exit: %v, want status 2", waitErr)
			}
			t.Logf("stderr: %s", stderr.String())
			if msg := stderr.String(); !strings.HasPrefix(msg, "checker: <stdin>: cannot read: reading interrupted") || strings.Count(msg, "\n") != 1 || stdout.Len() != 0 {
				t.Errorf("stderr %q stdout %q; want one line checker: <stdin>: cannot read: reading interrupted...", msg, stdout.String())
			}
		})
	}
}
