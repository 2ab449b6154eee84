package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/fakearray"
)

// lab is a simulated pair reached the way a user reaches a real one: a
// configuration file naming both arrays as targets, password files and a
// known_hosts file on disk, SSH and CIM over 127.0.0.1.
type lab struct {
	sim    *fakearray.Sim
	config string
	dir    string
}

type labOptions struct {
	delay     time.Duration // transition delay (default 30ms)
	faults    []string      // ARRAY:FAULT at start
	secondary bool          // lab: value of the secondary (the primary is always lab: true)
	noCIM     bool
}

func startLab(t *testing.T, o labOptions) *lab {
	t.Helper()
	if o.delay == 0 {
		o.delay = 30 * time.Millisecond
	}
	sim, err := fakearray.Start(context.Background(), fakearray.DefaultScenario(),
		fakearray.Options{TransitionDelay: o.delay, Faults: o.faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	dir := t.TempDir()
	arrays := sim.Arrays()
	cfg, err := sim.WriteConfig(dir, fakearray.ConfigOptions{SSHTimeout: 5 * time.Second, CIMTimeout: 5 * time.Second,
		CIM: !o.noCIM, Lab: map[string]bool{arrays[0].Name: true, arrays[1].Name: o.secondary}})
	if err != nil {
		t.Fatal(err)
	}
	return &lab{sim: sim, config: cfg, dir: dir}
}

// runCmd runs the checker in-process with stderr going to errw.
func runCmd(ctx context.Context, errw io.Writer, args ...string) (int, string) {
	var out bytes.Buffer
	code := run(ctx, args, strings.NewReader(""), &out, errw)
	return code, out.String()
}

type checkJSON struct {
	Conformant bool `json:"conformant"`
	Findings   []struct {
		Array   string `json:"array"`
		Group   string `json:"group"`
		Volume  string `json:"volume"`
		Verdict string `json:"verdict"`
	} `json:"findings"`
}

func TestLiveCheckPair(t *testing.T) {
	l := startLab(t, labOptions{})
	var errb bytes.Buffer
	code, out := runCmd(context.Background(), &errb, "check", "--config", l.config, "--target", "sim-a", "--target", "sim-b", "--format", "json")
	if code != exitConforms {
		t.Fatalf("exit %d, stderr %s\n%s", code, errb.String(), out)
	}
	var rep checkJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	volumes, pairs := map[string]int{}, 0
	for _, f := range rep.Findings {
		if f.Volume == "*" {
			pairs++
		} else {
			volumes[f.Array]++
		}
		if f.Verdict != "match" { // CIM is read: every volume is checked, not just looked up
			t.Errorf("finding %+v: verdict %s, want match", f, f.Verdict)
		}
	}
	groups, _ := l.sim.Groups("sim-a")
	want := 0
	for _, g := range groups {
		want += len(g.Volumes)
	}
	if volumes["sim-a"] != want || volumes["sim-b"] != want || pairs != len(groups) {
		t.Errorf("findings: %v volumes and %d pair checks, want %d per array and %d", volumes, pairs, want, len(groups))
	}
}

func TestLiveCheckNonConformant(t *testing.T) {
	l := startLab(t, labOptions{faults: []string{"sim-b:" + fakearray.FaultCIMCopyStateMismatch}})
	var errb bytes.Buffer
	code, out := runCmd(context.Background(), &errb, "check", "--config", l.config, "--target", "sim-b")
	if code != exitNonConform {
		t.Fatalf("exit %d, want 1; stderr %s\n%s", code, errb.String(), out)
	}
	if !strings.Contains(out, "mismatch") || !strings.Contains(out, "NOT CONFORMANT") {
		t.Errorf("text report does not show the mismatch:\n%s", out)
	}
}

func TestLiveCheckWithoutCIM(t *testing.T) {
	l := startLab(t, labOptions{noCIM: true})
	var errb bytes.Buffer
	code, out := runCmd(context.Background(), &errb, "check", "--config", l.config, "--target", "sim-a", "--format", "json")
	if code != exitConforms {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(out, `"no_observation"`) || strings.Contains(out, `"match"`) {
		t.Errorf("without a cim: section every volume is no_observation:\n%s", out)
	}
}

func TestLiveCheckErrors(t *testing.T) {
	l := startLab(t, labOptions{})
	if err := l.sim.ArrayDown("sim-a"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unreachable", []string{"--config", l.config, "--target", "sim-b", "--target", "sim-a"}, "sim-a: connect: "},
		{"unknown target", []string{"--config", l.config, "--target", "no-such:bad:port"}, "--target no-such:bad:port"},
		{"no config", []string{"--target", "sim-a"}, "needs --config FILE"},
		{"three targets", []string{"--config", l.config, "--target", "a", "--target", "b", "--target", "c"}, "once or twice"},
		{"bad config", []string{"--config", filepath.Join(l.dir, "missing.yml"), "--target", "sim-a"}, "missing.yml"},
		{"both forms", []string{"--config", l.config, "--target", "sim-b", "--showrcopy", l.config}, "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var errb bytes.Buffer
			code, out := runCmd(context.Background(), &errb, append([]string{"check"}, c.args...)...)
			if code != exitCouldNotRun {
				t.Fatalf("exit %d, want 2; stdout %s", code, out)
			}
			if !strings.Contains(errb.String(), c.stderr) || strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 {
				t.Errorf("stderr %q, want one line containing %q", errb.String(), c.stderr)
			}
			if strings.Contains(errb.String(), fakearray.DefaultPassword) {
				t.Errorf("stderr shows the password: %q", errb.String())
			}
		})
	}
}

// TestLiveCheckSharedFlags: --format, --strict and --table of check.go
// apply to the live form too.
func TestLiveCheckSharedFlags(t *testing.T) {
	l := startLab(t, labOptions{})
	var errb bytes.Buffer
	code, out := runCmd(context.Background(), &errb, "check", "--config", l.config, "--target", "sim-a", "--format", "junit", "--strict")
	if code != exitConforms || !strings.HasPrefix(out, "<?xml") || !strings.Contains(out, "<testsuite name=\"sim-a\"") {
		t.Errorf("junit: exit %d stderr %s\n%s", code, errb.String(), out)
	}
	// A user table that marks T109-synced uncertain: --strict leaves it
	// out, so the healthy volumes match only T110-14 (restore done, the
	// same triple).
	uncertain := filepath.Join(l.dir, "uncertain.yml")
	if err := os.WriteFile(uncertain, []byte(`rows:
  - id: T109-synced
    table: "109"
    event: "SyncStatus Synced"
    array: either
    match: {role: [Primary, Secondary], sync_status: Synced, target_status: [ready, unknown]}
    copy_state: Synchronized
    sync_state: Synchronized
    progress_status: Completed
    role_reversed: false
    uncertain: true
    note: test
    source: {edition: test, table: test}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		args := []string{"check", "--config", l.config, "--target", "sim-a", "--format", "json", "--table", uncertain}
		if strict {
			args = append(args, "--strict")
		}
		errb.Reset()
		code, out = runCmd(context.Background(), &errb, args...)
		if code != exitConforms || strings.Contains(out, "uncertain row: test") == strict {
			t.Errorf("strict %t: exit %d, stderr %s, report:\n%s", strict, code, errb.String(), out)
		}
	}

	bad := filepath.Join(l.dir, "table.yml")
	if err := os.WriteFile(bad, []byte("rows:\n  - id: X\n    bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	code, _ = runCmd(context.Background(), &errb, "check", "--config", l.config, "--target", "sim-a", "--table", bad)
	if code != exitCouldNotRun || !strings.Contains(errb.String(), "table.yml:") {
		t.Errorf("bad --table: exit %d stderr %q, want 2 naming the file", code, errb.String())
	}
}
