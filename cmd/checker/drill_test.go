package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/fakearray"
)

type walkJSON struct {
	Conformant   bool `json:"conformant"`
	FirstFailure *struct {
		Step, Array, Group, Volume, Reason string
	} `json:"first_failure"`
	Stopped  string `json:"stopped"`
	Recovery []struct {
		Array, Command, Do string
	} `json:"recovery"`
	SecondaryGroups []string   `json:"secondary_groups"`
	Third           string     `json:"third"`
	Steps           []stepJSON `json:"steps"`
}

type stepJSON struct {
	Name       string   `json:"name"`
	Rows       []string `json:"rows"`
	Observed   bool     `json:"observed"`
	Conformant bool     `json:"conformant"`
	Findings   []struct {
		Array, Group, Target, Volume, Verdict, Reason string
		Rows                                          []string `json:"rows"`
	} `json:"findings"`
}

func decodeWalk(t *testing.T, out string) walkJSON {
	t.Helper()
	var w walkJSON
	if err := json.Unmarshal([]byte(out), &w); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return w
}

// groupPhases is where every group of the simulated pair stands.
func groupPhases(t *testing.T, sim *fakearray.Sim) map[string]string {
	t.Helper()
	gs, err := sim.Groups("sim-a")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range gs {
		out[g.Group] = g.Phase + " " + g.Role
	}
	return out
}

func drillArgs(l *lab, extra ...string) []string {
	return append([]string{"drill", "--config", l.config, "--primary", "sim-a", "--secondary", "sim-b",
		"--group", "rcg-db", "--poll-interval", "5ms"}, extra...)
}

func TestDrillRefusals(t *testing.T) {
	l := startLab(t, labOptions{secondary: true})
	notLab := startLab(t, labOptions{secondary: false})
	before := groupPhases(t, l.sim)
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no --allow-changes", drillArgs(l), "refusing to run without --allow-changes"},
		{"secondary not lab", drillArgs(notLab, "--allow-changes"), "refusing to change sim-b: it is not marked lab: true"},
		{"not a target", []string{"drill", "--config", l.config, "--primary", "sim-a", "--secondary", "127.0.0.1:22", "--group", "rcg-db", "--allow-changes"}, "is not a target of"},
		{"no group", []string{"drill", "--config", l.config, "--primary", "sim-a", "--secondary", "sim-b", "--allow-changes"}, "needs --config FILE"},
		{"same array", []string{"drill", "--config", l.config, "--primary", "sim-a", "--secondary", "sim-a", "--group", "g", "--allow-changes"}, "the same array"},
		{"unknown group", drillArgs(l, "--allow-changes", "--group", "nope"), `no remote copy group "nope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var errb bytes.Buffer
			code, out := runCmd(context.Background(), &errb, c.args...)
			if code != exitCouldNotRun {
				t.Fatalf("exit %d, want 2; stdout %s stderr %s", code, out, errb.String())
			}
			if !strings.Contains(errb.String(), c.stderr) {
				t.Errorf("stderr %q, want %q", errb.String(), c.stderr)
			}
		})
	}
	if after := groupPhases(t, l.sim); !equalMaps(before, after) {
		t.Errorf("a refused drill changed the pair: %v -> %v", before, after)
	}
	if after := groupPhases(t, notLab.sim); !equalMaps(before, after) {
		t.Errorf("a refused drill changed the non-lab pair: %v", after)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDrillUnreachableOrUnhealthy(t *testing.T) {
	l := startLab(t, labOptions{secondary: true})
	if err := l.sim.ArrayDown("sim-b"); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	code, _ := runCmd(context.Background(), &errb, drillArgs(l, "--allow-changes")...)
	if code != exitCouldNotRun || !strings.Contains(errb.String(), "sim-b: connect: ") {
		t.Errorf("secondary down: exit %d stderr %q, want 2 and sim-b: connect", code, errb.String())
	}

	l = startLab(t, labOptions{secondary: true})
	if out, status := l.sim.Exec("sim-a", "stoprcopygroup rcg-db"); status != 0 {
		t.Fatal(out)
	}
	before := groupPhases(t, l.sim)
	errb.Reset()
	code, _ = runCmd(context.Background(), &errb, drillArgs(l, "--allow-changes")...)
	if code != exitCouldNotRun || !strings.Contains(errb.String(), "not healthy") || !strings.Contains(errb.String(), "nothing was changed") {
		t.Errorf("stopped group: exit %d stderr %q, want 2 and not healthy", code, errb.String())
	}
	if after := groupPhases(t, l.sim); !equalMaps(before, after) {
		t.Errorf("the drill changed an unhealthy pair: %v -> %v", before, after)
	}
}

func TestDrillDryRun(t *testing.T) {
	l := startLab(t, labOptions{secondary: true})
	before := groupPhases(t, l.sim)
	var errb bytes.Buffer
	code, out := runCmd(context.Background(), &errb, drillArgs(l, "--dry-run")...)
	if code != exitConforms {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	for _, s := range drill.MainPath() {
		if !strings.Contains(out, s.Name) {
			t.Errorf("plan lacks step %s:\n%s", s.Name, out)
		}
	}
	for _, want := range []string{"setrcopygroup failover -f rcg-db.r<id>", "setrcopygroup recover -f", "setrcopygroup restore -f", "sim-a goes down", "sim-b T110-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if after := groupPhases(t, l.sim); !equalMaps(before, after) {
		t.Errorf("--dry-run changed the pair: %v", after)
	}
}

// TestDrillWalkWithCommands walks the whole main path; the physical steps
// run --isolate-command / --reconnect-command, which here leave a file that
// the test (standing in for a lab's switch or PDU) turns into power off/on.
func TestDrillWalkWithCommands(t *testing.T) {
	l := startLab(t, labOptions{secondary: true})
	isolate, reconnect := filepath.Join(l.dir, "isolate"), filepath.Join(l.dir, "reconnect")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the lab's power switch
		defer wg.Done()
		down, up := false, false
		for ctx.Err() == nil && !(down && up) {
			if _, err := os.Stat(isolate); err == nil && !down {
				down = true
				l.sim.ArrayDown("sim-a")
			}
			if _, err := os.Stat(reconnect); err == nil && !up {
				up = true
				l.sim.ArrayUp("sim-a")
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	var errb bytes.Buffer
	code, out := runCmd(ctx, &errb, drillArgs(l, "--allow-changes", "--format", "json", "--step-timeout", "10s",
		"--isolate-command", "touch "+isolate+" && echo isolating $RCOPY_PRIMARY",
		"--reconnect-command", "touch "+reconnect)...)
	cancel()
	wg.Wait()
	if code != exitConforms {
		t.Fatalf("exit %d\nstderr:\n%s\nstdout:\n%s", code, errb.String(), out)
	}
	w := decodeWalk(t, out)
	var names []string
	for _, s := range w.Steps {
		names = append(names, s.Name)
		if !s.Conformant {
			t.Errorf("step %s does not conform", s.Name)
		}
		for _, f := range s.Findings {
			if f.Volume != "*" && !strings.HasPrefix(f.Group, "rcg-db") {
				t.Errorf("step %s checked group %s, which the drill does not walk", s.Name, f.Group)
			}
		}
	}
	var want []string
	for _, s := range drill.MainPath() {
		want = append(want, s.Name)
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("steps %v, want %v", names, want)
	}
	if !strings.Contains(errb.String(), "isolating sim-a") || !strings.Contains(errb.String(), "Plan:") {
		t.Errorf("stderr lacks the plan or the isolate command's output:\n%s", errb.String())
	}
	if len(w.SecondaryGroups) != 1 || w.SecondaryGroups[0] != "rcg-db.r188150" {
		t.Errorf("secondary groups %v", w.SecondaryGroups)
	}
	g, err := l.sim.Group("sim-a", "rcg-db")
	if err != nil {
		t.Fatal(err)
	}
	if g.Role != "Primary" || g.SyncStatus != "Synced" {
		t.Errorf("after the drill sim-a shows rcg-db %s/%s, want Primary/Synced", g.Role, g.SyncStatus)
	}
}

// TestDrillRecoverFails: recover fails mid-drill (fault injected in the
// simulator); the operator is asked on stderr for the physical steps. The
// drill must stop at recover-done, exit 1 and print how to go back.
func TestDrillRecoverFails(t *testing.T) {
	l := startLab(t, labOptions{secondary: true, faults: []string{"sim-a:" + fakearray.FaultRecoverFails}})
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan struct{})
	go func() { // the operator reads stderr and does what it asks
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			stderr.WriteString(line + "\n")
			switch {
			case strings.HasPrefix(line, "ACTION: take sim-a down"):
				l.sim.ArrayDown("sim-a")
			case strings.HasPrefix(line, "ACTION: bring sim-a back"):
				l.sim.ArrayUp("sim-a")
			}
		}
	}()
	code, out := runCmd(context.Background(), pw, drillArgs(l, "--allow-changes", "--step-timeout", "10s")...)
	pw.Close()
	<-done
	if code != exitNonConform {
		t.Fatalf("exit %d, want 1\nstderr:\n%s\nstdout:\n%s", code, stderr.String(), out)
	}
	for _, want := range []string{
		"FIRST FAILURE: step recover-done",
		"on sim-b: setrcopygroup recover -f rcg-db.r188150",
		"on sim-b: setrcopygroup restore -f rcg-db.r188150",
		"stopped at step recover-done",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "restore-issued") {
		t.Errorf("the drill went on after the failing step:\n%s", out)
	}
	if g, _ := l.sim.Group("sim-b", "rcg-db"); g.Row != "T110-8" {
		t.Errorf("sim-b is at %s, want T110-8 (recover failed)", g.Row)
	}

	// The printed commands do bring the pair back.
	l.sim.ClearFault("sim-a", fakearray.FaultRecoverFails)
	for _, cmd := range []string{"setrcopygroup recover -f rcg-db.r188150", "setrcopygroup restore -f rcg-db.r188150"} {
		if msg, status := l.sim.Exec("sim-b", cmd); status != 0 {
			t.Fatalf("%s: %s", cmd, msg)
		}
		if err := l.sim.WaitIdle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if g, _ := l.sim.Group("sim-a", "rcg-db"); g.Role != "Primary" || g.SyncStatus != "Synced" {
		t.Errorf("after the recovery commands sim-a shows %s/%s", g.Role, g.SyncStatus)
	}
}

func TestDrillOperatorTimeout(t *testing.T) {
	l := startLab(t, labOptions{secondary: true})
	var errb bytes.Buffer
	// Nobody takes sim-a down: the primary-down step times out and the
	// drill stops there, with sim-a to be brought back (it never left).
	code, out := runCmd(context.Background(), &errb, drillArgs(l, "--allow-changes", "--format", "json", "--step-timeout", "100ms")...)
	if code != exitNonConform {
		t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
	}
	w := decodeWalk(t, out)
	if w.FirstFailure == nil || w.FirstFailure.Step != "primary-down" || len(w.Steps) != 2 {
		t.Errorf("first failure %+v after %d steps, want primary-down after 2", w.FirstFailure, len(w.Steps))
	}
	if !strings.Contains(errb.String(), "ACTION: take sim-a down") || !strings.Contains(errb.String(), "bring sim-a back") {
		t.Errorf("stderr lacks the operator's instructions or the way back:\n%s", errb.String())
	}
	if g, _ := l.sim.Group("sim-b", "rcg-db"); g.Role != "Secondary" {
		t.Errorf("the drill failed over although the primary never went down: %+v", g)
	}
}
