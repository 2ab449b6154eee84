package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/fakearray"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	var sim *fakearray.Sim
	go func() {
		done <- run(ctx, []string{"--inject", "sim-b:cim-down", "--transition-delay", "10ms", "--log.level", "warn"},
			&stdout, &stderr, func(s *fakearray.Sim) { sim = s; cancel() })
	}()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if sim == nil {
		t.Fatal("never started")
	}
	if got := sim.FaultsOf("sim-b"); len(got) != 1 || got[0] != "cim-down" {
		t.Errorf("--inject: faults %v", got)
	}
	out := stdout.String()
	for _, want := range []string{"array sim-a (system id 188150", "3paradm@127.0.0.1 showrcopy", "password 3pardata", "known_hosts: [127.0.0.1]:", "simadmin@127.0.0.1 simctl status"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// --inject FAULT, without an array, injects the fault on every array (as
// checker simulate --inject does: one parser, fakearray.ParseInjection).
func TestRunInjectsOnEveryArray(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	var sim *fakearray.Sim
	go func() {
		done <- run(ctx, []string{"--inject", "cim-error", "--inject", "sim-a:slow:1s", "--log.level", "warn"},
			&stdout, &stderr, func(s *fakearray.Sim) { sim = s; cancel() })
	}()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for array, want := range map[string]string{"sim-a": "cim-error slow:1s", "sim-b": "cim-error"} {
		if got := strings.Join(sim.FaultsOf(array), " "); got != want {
			t.Errorf("%s: faults %q, want %q", array, got, want)
		}
	}
}

// --scenario sld runs the built-in Synchronous Long Distance trio.
func TestRunSLDScenario(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	var sim *fakearray.Sim
	go func() {
		done <- run(ctx, []string{"--scenario", "sld", "--time-scale", "0.5", "--log.level", "warn"},
			&stdout, &stderr, func(s *fakearray.Sim) { sim = s; cancel() })
	}()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"array sld-a (system id 188160", "array sld-b", "array sld-c"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("no %q in\n%s", want, stdout.String())
		}
	}
	if g, err := sim.Group("sld-c", "rcg-sld"); err != nil || g.Target != "sld-a" {
		t.Errorf("%+v %v", g, err)
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "sim.yml")
	os.WriteFile(bad, []byte("arrays:\n  - name: a\n    sistem_id: 1\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", bad}, "sim.yml:3: unknown key \"sistem_id\""},
		{[]string{"--inject", "sim-a:bogus"}, `unknown fault "bogus"`},
		{[]string{"--inject", "nope:hang"}, `--inject "nope:hang": unknown array "nope" (arrays: sim-a, sim-b)`},
		{[]string{"--inject", "hang:2s"}, `fault "hang:2s": hang takes no argument`},
		{[]string{"--inject", "bogus"}, `--inject "bogus": unknown fault "bogus"`},
		{[]string{"--ssh.listen-address", "127.0.0.1:0", "--ssh.listen-address", "127.0.0.1:0", "--ssh.listen-address", "127.0.0.1:0"}, "more listen addresses than arrays"},
		{[]string{"--no-such-flag"}, "unknown long flag"},
		{[]string{"--scenario", "triangle"}, "enum value must be one of pair,sld"},
		{[]string{"--time-scale=-1"}, "--time-scale must be positive"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), c.args, &stdout, &stderr, nil); code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// TestMain keeps the tests' host keys out of the user's state directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fakearray-state-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runOnce starts fakearray with args, stops it at once and returns the
// simulation's arrays and what it printed.
func runOnce(t *testing.T, args ...string) ([]fakearray.ArrayInfo, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	var arrays []fakearray.ArrayInfo
	code := run(ctx, append(args, "--log.level", "warn"), &stdout, &stderr, func(s *fakearray.Sim) { arrays = s.Arrays(); cancel() })
	cancel()
	if code != 0 {
		t.Fatalf("fakearray %v: exit %d: %s", args, code, stderr.String())
	}
	return arrays, stdout.String()
}

// The arrays' host keys persist by default in the XDG state directory, so
// a restarted simulator presents the keys known_hosts holds; --host-key-dir
// moves them, and an empty one keeps them in memory (new at every start).
func TestHostKeysPersist(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	first, out := runOnce(t)
	second, _ := runOnce(t)
	keyDir := filepath.Join(state, "rcopy-fakearray", "host-keys")
	if !strings.Contains(out, "host keys: "+keyDir) {
		t.Errorf("fakearray does not say where the host keys are:\n%s", out)
	}
	for i, a := range first {
		if _, err := os.Stat(filepath.Join(keyDir, a.Name+".key")); err != nil {
			t.Errorf("%s: %v", a.Name, err)
		}
		if !bytes.Equal(a.HostKey.Marshal(), second[i].HostKey.Marshal()) {
			t.Errorf("%s: another host key after a restart", a.Name)
		}
	}
	if first[0].HostKey == nil || bytes.Equal(first[0].HostKey.Marshal(), first[1].HostKey.Marshal()) {
		t.Errorf("sim-a and sim-b share a host key")
	}

	elsewhere := t.TempDir()
	moved, _ := runOnce(t, "--host-key-dir", elsewhere)
	if _, err := os.Stat(filepath.Join(elsewhere, "sim-a.key")); err != nil || bytes.Equal(moved[0].HostKey.Marshal(), first[0].HostKey.Marshal()) {
		t.Errorf("--host-key-dir %s: %v, same key as the default directory: %v", elsewhere, err, bytes.Equal(moved[0].HostKey.Marshal(), first[0].HostKey.Marshal()))
	}
	memory, out := runOnce(t, "--host-key-dir=")
	again, _ := runOnce(t, "--host-key-dir=")
	if bytes.Equal(memory[0].HostKey.Marshal(), again[0].HostKey.Marshal()) || bytes.Equal(memory[0].HostKey.Marshal(), first[0].HostKey.Marshal()) {
		t.Error("--host-key-dir= still reuses a key")
	}
	if strings.Contains(out, "host keys:") {
		t.Errorf("keys in memory, yet fakearray names a directory:\n%s", out)
	}
}
