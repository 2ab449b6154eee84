package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/fakearray"
)

// The live check under every fault the simulator injects: `checker check
// --config FILE --target sim-b` exits 2 (could not run) with one line on
// stderr naming the array, the stage and the reason, never the password,
// within the module's timeout; the array never sees two CLI sessions at
// once; and once the fault is cleared the same command exits 0.
func TestLiveCheckFaultMatrix(t *testing.T) {
	cases := []struct {
		fault  string
		stage  string
		reason string // in the stderr line, case-insensitive
		down   bool   // array down (ArrayDown/ArrayUp) instead of a fault
	}{
		{fault: fakearray.FaultSlow + ":10s", stage: "command", reason: "timed out"},
		{fault: fakearray.FaultHang, stage: "command", reason: "timed out"},
		{fault: fakearray.FaultDisconnectMidOutput, stage: "command", reason: "connection lost"},
		{fault: fakearray.FaultGarbageOutput, stage: "parse", reason: "line 1"},
		{fault: fakearray.FaultHugeOutput, stage: "command", reason: "exceeds 1048576 bytes"},
		{fault: fakearray.FaultAuthFail, stage: "auth", reason: "refused"},
		{fault: fakearray.FaultTooManySessions, stage: "command", reason: fakearray.TooManySessionsText},
		{fault: fakearray.FaultCLIErrorExit0, stage: "command", reason: "Error: "},
		{fault: fakearray.FaultHostKeyChange, stage: "connect", reason: "host key changed"},
		{fault: fakearray.FaultCIMError, stage: "cim", reason: "CIM_ERR_FAILED"},
		{fault: fakearray.FaultCIMDown, stage: "cim", reason: "connection refused"},
		{fault: "array-down", stage: "connect", reason: "connection refused", down: true},
	}
	for _, tc := range cases {
		t.Run(tc.fault, func(t *testing.T) {
			if tc.fault != fakearray.FaultHugeOutput { // CPU-heavy: alone
				t.Parallel()
			}
			sim, cfg := startFaultLab(t)
			const target = "sim-b"
			var err error
			if tc.down {
				err = sim.ArrayDown(target)
			} else {
				err = sim.InjectFault(target, tc.fault)
			}
			if err != nil {
				t.Fatal(err)
			}
			// A hung checker fails the test instead of the whole run.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var errb bytes.Buffer
			code, out := runCmd(ctx, &errb, "check", "--config", cfg, "--target", target)
			line := strings.TrimSpace(errb.String())
			if code != exitCouldNotRun {
				t.Errorf("exit %d, want %d; stderr %q; stdout:\n%s", code, exitCouldNotRun, line, out)
			}
			if ctx.Err() != nil {
				t.Errorf("the checker ran into the test's own 30s limit")
			}
			want := "checker: " + target + ": " + tc.stage + ": "
			if !strings.HasPrefix(line, want) || strings.Contains(line, "\n") ||
				!strings.Contains(strings.ToLower(line), strings.ToLower(tc.reason)) {
				t.Errorf("stderr %q, want one line starting %q and containing %q", line, want, tc.reason)
			}
			if strings.Contains(errb.String()+out, fakearray.DefaultPassword) {
				t.Errorf("output shows the password")
			}

			if tc.down {
				err = sim.ArrayUp(target)
			} else {
				err = sim.ClearFault(target, tc.fault)
			}
			if err != nil {
				t.Fatal(err)
			}
			errb.Reset()
			if code, out := runCmd(ctx, &errb, "check", "--config", cfg, "--target", target); code != exitConforms {
				t.Errorf("after clearing %s: exit %d, want 0; stderr %q\n%s", tc.fault, code, errb.String(), out)
			}
			st, err := sim.SSHStats(target)
			if err != nil {
				t.Fatal(err)
			}
			if st.PeakSessions > 1 {
				t.Errorf("the array saw %d CLI sessions at once, want at most 1 (%+v)", st.PeakSessions, st)
			}
			t.Logf("%s -> %s", tc.fault, line)
		})
	}
}

// startFaultLab starts the simulated pair and writes a configuration for
// it with short timeouts and a 1 MiB output cap (so that hang and huge
// output end quickly), CIM included.
func startFaultLab(t *testing.T) (*fakearray.Sim, string) {
	t.Helper()
	sim, err := fakearray.Start(context.Background(), fakearray.DefaultScenario(), fakearray.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg, err := sim.WriteConfig(t.TempDir(), fakearray.ConfigOptions{SSHTimeout: 2 * time.Second,
		CIMTimeout: 2 * time.Second, MaxOutputBytes: 1 << 20, CIM: true})
	if err != nil {
		t.Fatal(err)
	}
	return sim, cfg
}
