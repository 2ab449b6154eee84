package fakearray

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/parser"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestParseFault(t *testing.T) {
	for _, ok := range []string{"hang", "slow:2s", "slow:150ms", "cim-down", "host-key-change"} {
		if _, err := ParseFault(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "slow", "slow:0s", "slow:x", "hang:1s", "nope"} {
		if _, err := ParseFault(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestParseInjection: the --inject syntax of cmd/fakearray and checker
// simulate. FAULT is every array, ARRAY:FAULT one; a word before the colon
// that is neither is an unknown array, named with the arrays there are;
// an unknown fault lists the known ones once.
func TestParseInjection(t *testing.T) {
	arrays := []string{"sim-a", "sim-b"}
	for _, c := range []struct {
		spec string
		want string // "array=fault ..." or the error
	}{
		{"split-brain", "sim-a=split-brain sim-b=split-brain"},
		{"sim-b:split-brain", "sim-b=split-brain"},
		{"slow:2s", "sim-a=slow:2s sim-b=slow:2s"},
		{"sim-a:slow:250ms", "sim-a=slow:250ms"},
		{"sim-c:split-brain", `unknown array "sim-c" (arrays: sim-a, sim-b)`},
		{"bogus:hang", `unknown array "bogus" (arrays: sim-a, sim-b)`},
		{"hang:2s", `fault "hang:2s": hang takes no argument`},
		{"slow:x", `fault "slow:x": want slow:DURATION with a positive duration, e.g. slow:5s`},
		{"sim-a:bogus", `unknown fault "bogus" (known: ` + strings.Join(Faults, ", ") + `)`},
		{"bogus", `unknown fault "bogus" (known: ` + strings.Join(Faults, ", ") + `)`},
	} {
		var got string
		injections, err := ParseInjection(c.spec, arrays)
		if err != nil {
			got = err.Error()
		}
		for _, in := range injections {
			got = strings.TrimSpace(got + " " + in.Array + "=" + in.Fault.String())
		}
		if got != c.want {
			t.Errorf("ParseInjection(%q) = %s, want %s", c.spec, got, c.want)
		}
		if strings.Count(got, "cim-copy-state-mismatch") > 1 {
			t.Errorf("ParseInjection(%q) lists the faults more than once: %s", c.spec, got)
		}
	}
}

// notDoneWithin reports whether the exec request is still unanswered after
// a short wait (the fault delays it by an hour); closing the client ends it.
func notDoneWithin(t *testing.T, s *Sim, array string) bool {
	t.Helper()
	a := arrayInfo(t, s, array)
	c, err := gossh.Dial("tcp", a.SSHAddress, clientConfig(t, s, DefaultUser, gossh.Password(DefaultPassword)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Run("showrcopy") }()
	select {
	case err := <-done:
		t.Logf("answered: %v", err)
		return false
	case <-time.After(200 * time.Millisecond):
	}
	c.Close()
	<-done
	return true
}

func TestFaultsSSH(t *testing.T) {
	s := startSim(t, nil, Options{})
	full, _ := s.Exec("sim-a", "showrcopy")
	inject := func(fault string) {
		t.Helper()
		if err := s.InjectFault("sim-a", fault); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.ClearFault("sim-a", "") })
	}
	clear := func() {
		t.Helper()
		if err := s.ClearFault("sim-a", "all"); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("too-many-sessions", func(t *testing.T) {
		inject(FaultTooManySessions)
		out, status := cli(t, s, "sim-a", "showrcopy")
		if status == 0 || strings.TrimSpace(out) != TooManySessionsText {
			t.Fatalf("status %d %q", status, out)
		}
		clear()
	})
	t.Run("cli-error-exit-0", func(t *testing.T) {
		inject(FaultCLIErrorExit0)
		out, status := cli(t, s, "sim-a", "showrcopy")
		if status != 0 || !strings.HasPrefix(out, "Error:") {
			t.Fatalf("status %d %q", status, out)
		}
		clear()
	})
	t.Run("garbage-output", func(t *testing.T) {
		inject(FaultGarbageOutput)
		out, status := cli(t, s, "sim-a", "showrcopy")
		if status != 0 {
			t.Fatalf("status %d", status)
		}
		if _, err := parser.Parse([]byte(out)); err == nil {
			t.Fatalf("garbage parses:\n%q", out)
		}
		clear()
	})
	t.Run("huge-output", func(t *testing.T) {
		inject(FaultHugeOutput)
		// In-process: 32 MB through an SSH channel takes seconds under -race.
		out, status := s.Exec("sim-a", "showrcopy")
		if status != 0 || len(out) < 20<<20 || !strings.HasPrefix(out, full) {
			t.Fatalf("status %d, %d bytes", status, len(out))
		}
		if !strings.HasPrefix(out[len(full):], "\nName ") {
			t.Fatalf("synthetic groups do not follow the real ones: %q", out[len(full):len(full)+100])
		}
		csv, _ := s.Exec("sim-a", "showrcopy -csvtable groups rcg-db")
		if len(csv) < 20<<20 || strings.Contains(csv, "huge-00000001 huge-target") || !strings.Contains(csv, "huge-00000001,huge-target,") {
			t.Fatalf("huge-output in CSV mode is not CSV: %q", csv[:300])
		}
		clear()
	})
	t.Run("disconnect-mid-output", func(t *testing.T) {
		inject(FaultDisconnectMidOutput)
		r := sshExec(t, s, "sim-a", DefaultUser, DefaultPassword, "showrcopy")
		if r.status != -1 || len(r.out) == 0 || len(r.out) >= len(full) || !strings.HasPrefix(full, r.out) {
			t.Fatalf("status %d, %d of %d bytes, err %v", r.status, len(r.out), len(full), r.err)
		}
		clear()
	})
	t.Run("auth-fail", func(t *testing.T) {
		inject(FaultAuthFail)
		r := sshExec(t, s, "sim-a", DefaultUser, DefaultPassword, "showrcopy")
		if r.err == nil || !strings.Contains(r.err.Error(), "unable to authenticate") {
			t.Fatalf("login with auth-fail: %v", r.err)
		}
		// The control user still gets in, to clear the fault.
		simctl(t, s, "sim-a", "fault clear sim-a auth-fail")
		if r := sshExec(t, s, "sim-a", DefaultUser, DefaultPassword, "showrcopy"); r.err != nil {
			t.Fatal(r.err)
		}
		if r := sshExec(t, s, "sim-a", DefaultUser, "wrong", "showrcopy"); r.err == nil {
			t.Fatal("wrong password accepted")
		}
	})
	t.Run("host-key-change", func(t *testing.T) {
		inject(FaultHostKeyChange)
		r := sshExec(t, s, "sim-a", DefaultUser, DefaultPassword, "showrcopy")
		var ke *knownhosts.KeyError
		if !errors.As(r.err, &ke) || len(ke.Want) == 0 {
			t.Fatalf("host-key-change: %v, want a known_hosts key mismatch", r.err)
		}
		clear()
		if r := sshExec(t, s, "sim-a", DefaultUser, DefaultPassword, "showrcopy"); r.err != nil {
			t.Fatal(r.err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		inject("slow:1h")
		if !notDoneWithin(t, s, "sim-a") {
			t.Fatal("slow:1h answered at once")
		}
		clear()
	})
	t.Run("hang", func(t *testing.T) {
		inject(FaultHang)
		if !notDoneWithin(t, s, "sim-a") {
			t.Fatal("hang answered")
		}
		clear()
		if !strings.HasPrefix(mustOut(t, s, "sim-a", "showrcopy"), "Remote Copy System Information") {
			t.Fatal("no output after clearing hang")
		}
	})
}

func mustOut(t *testing.T, s *Sim, array, cmd string) string {
	t.Helper()
	out, status := cli(t, s, array, cmd)
	if status != 0 {
		t.Fatalf("%s %s: %d %s", array, cmd, status, out)
	}
	return out
}

func TestFaultsCIM(t *testing.T) {
	s := startSim(t, nil, Options{})
	ctx := context.Background()
	volumes := func(array string) ([]cim.RemoteCopyVolume, error) {
		return cimClient(t, s, array).RemoteCopyVolumes(ctx)
	}
	synced := manualEntry(t, "T109-synced")

	if err := s.InjectFault("sim-a", FaultCIMCopyStateMismatch); err != nil {
		t.Fatal(err)
	}
	vs, err := volumes("sim-a")
	if err != nil || len(vs) != 13 {
		t.Fatalf("%d volumes, %v", len(vs), err)
	}
	for _, v := range vs {
		if v.CopyState == synced.CopyState {
			t.Fatalf("cim-copy-state-mismatch: %s still reports %d", v.Volume, v.CopyState)
		}
		for _, e := range CIMAnswers() {
			if e.CopyState == v.CopyState {
				t.Fatalf("cim-copy-state-mismatch reports CopyState %d, which the simulator's line %v gives", v.CopyState, e.Rows)
			}
		}
	}
	if vs, _ := volumes("sim-b"); vs[0].CopyState != synced.CopyState {
		t.Fatal("the fault leaked to sim-b")
	}
	s.ClearFault("sim-a", "")

	s.InjectFault("sim-a", FaultCIMMissingVolume)
	if vs, err := volumes("sim-a"); err != nil || len(vs) != 12 {
		t.Fatalf("cim-missing-volume: %d instances, %v; want 12", len(vs), err)
	}
	s.ClearFault("sim-a", "")

	s.InjectFault("sim-a", FaultCIMError)
	_, err = volumes("sim-a")
	if !errors.Is(err, &cim.Error{Code: cim.ErrFailed}) {
		t.Fatalf("cim-error: %v", err)
	}
	s.ClearFault("sim-a", "")

	s.InjectFault("sim-a", FaultCIMDown)
	_, err = volumes("sim-a")
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("cim-down: %v", err)
	}
	if out := mustOut(t, s, "sim-a", "showversion"); !strings.Contains(out, "Release version") {
		t.Fatal("SSH should stay up under cim-down")
	}
	s.ClearFault("sim-a", FaultCIMDown)
	if _, err := volumes("sim-a"); err != nil {
		t.Fatalf("after clearing cim-down: %v", err)
	}

	// hang and slow hold CIM requests too.
	s.InjectFault("sim-a", FaultHang)
	a := arrayInfo(t, s, "sim-a")
	c, _ := cim.NewClient(cim.ClientOptions{URL: a.CIMURL, User: a.User, Password: a.Password,
		HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
	if _, err := c.EnumerateInstances(ctx, "TPD_StorageVolume"); err == nil {
		t.Fatal("hang: CIM answered")
	}
	s.ClearFault("sim-a", "")

	// Wrong namespace, wrong password.
	c, _ = cim.NewClient(cim.ClientOptions{URL: a.CIMURL, Namespace: "root/cimv2", User: a.User, Password: a.Password})
	if _, err := c.EnumerateInstances(ctx, "TPD_StorageVolume"); !errors.Is(err, &cim.Error{Code: cim.ErrInvalidNamespace}) {
		t.Fatalf("wrong namespace: %v", err)
	}
	c, _ = cim.NewClient(cim.ClientOptions{URL: a.CIMURL, User: a.User, Password: "wrong"})
	if _, err := c.EnumerateInstances(ctx, "TPD_StorageVolume"); !errors.Is(err, cim.ErrUnauthorized) {
		t.Fatalf("wrong password: %v", err)
	}
}

// TestFaultsState: split-brain and no-role-reversal change what the array
// prints, so that pair checks and CIM checks see the contradiction.
func TestFaultsState(t *testing.T) {
	s := startSim(t, nil, Options{Faults: []string{"sim-a:split-brain", "sim-b:no-role-reversal"}})
	s.ArrayDown("sim-a")
	s.FinishTransitions()
	mustCLI(t, s, "sim-b", "setrcopygroup failover -f rcg-db.r188150")
	s.FinishTransitions()
	b, _ := s.Group("sim-b", "rcg-db")
	if b.Role != "Secondary" || b.Row != "T110-3" {
		t.Fatalf("no-role-reversal: %+v, want role Secondary at T110-3", b)
	}
	vs, err := cimClient(t, s, "sim-b").RemoteCopyVolumes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if strings.HasPrefix(v.Volume, "db.") && (!v.RoleReversed || v.CopyState != copyFailedover) {
			t.Fatalf("no-role-reversal: CIM should still say failed over: %+v", v)
		}
	}
	s.ArrayUp("sim-a")
	a, _ := s.Group("sim-a", "rcg-db")
	if a.Role != "Primary" {
		t.Fatalf("split-brain: the returning primary shows %s", a.Role)
	}
	s.ClearFault("sim-b", "")
	b, _ = s.Group("sim-b", "rcg-db")
	if !isSource(a.Role) || !isSource(b.Role) {
		t.Fatalf("split-brain: roles %s / %s, want two primaries", a.Role, b.Role)
	}
	s.ClearFault("sim-a", "")
	if a, _ := s.Group("sim-a", "rcg-db"); a.Role != "Secondary-Rev" || a.Row != "T110-4" {
		t.Fatalf("without split-brain: %+v", a)
	}
}
