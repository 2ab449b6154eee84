package fakearray

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/internal/testtool"
	"github.com/threepar/rcopy-exporter/parser"
)

// openSSH runs the real OpenSSH client against an array with a key, a
// known_hosts file holding the simulator's host keys, strict host key
// checking and no prompts.
func openSSH(t *testing.T, s *Sim, array, keyPath string, command ...string) (string, error) {
	t.Helper()
	sshPath := testtool.Require(t, "ssh")
	a := arrayInfo(t, s, array)
	host, port, err := net.SplitHostPort(a.SSHAddress)
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, s.KnownHosts(), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-F", "/dev/null", "-i", keyPath, "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + kh, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
		"-p", port, DefaultUser + "@" + host}
	cmd := exec.Command(sshPath, append(args, command...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

// keyScenario is the default pair with a client key authorized for 3paradm.
func keyScenario(t *testing.T) (*Scenario, string) {
	keyPath, authLine, _ := newClientKey(t)
	sc := DefaultScenario()
	for i := range sc.Arrays {
		sc.Arrays[i].Users = []UserConfig{{Name: DefaultUser, Password: DefaultPassword, AuthorizedKeys: []string{authLine}}}
	}
	return sc, keyPath
}

func TestOpenSSHClientReadsShowrcopy(t *testing.T) {
	sc, keyPath := keyScenario(t)
	s := startSim(t, sc, Options{})
	for _, array := range []string{"sim-a", "sim-b"} {
		for _, cmd := range []string{"showrcopy", "showrcopy -d", "showrcopy -csvtable groups", "showrcopy links", "showrcopy targets"} {
			out, err := openSSH(t, s, array, keyPath, cmd)
			if err != nil {
				t.Fatalf("%s: ssh %s: %v\n%s", array, cmd, err, out)
			}
			parsed, err := parser.Parse([]byte(out))
			if err != nil {
				t.Fatalf("%s: %s does not parse: %v\n%s", array, cmd, err, out)
			}
			if strings.HasSuffix(cmd, "showrcopy") && (len(parsed.Groups) != 3 || len(parsed.Targets) != 1 || len(parsed.Links) != 4) {
				t.Fatalf("%s: %s: %d groups, %d targets, %d links", array, cmd, len(parsed.Groups), len(parsed.Targets), len(parsed.Links))
			}
		}
	}
	// An unknown command: error text and a non-zero status, as the CLI.
	out, err := openSSH(t, s, "sim-a", keyPath, "showfoo")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out, "Invalid command showfoo") {
		t.Fatalf("unknown command: %v %q", err, out)
	}
	// host-key-change: OpenSSH refuses the connection.
	if err := s.InjectFault("sim-a", FaultHostKeyChange); err != nil {
		t.Fatal(err)
	}
	out, err = openSSH(t, s, "sim-a", keyPath, "showrcopy")
	if err == nil || !strings.Contains(out, "REMOTE HOST IDENTIFICATION HAS CHANGED") {
		t.Fatalf("host-key-change: %v %q", err, out)
	}
}

// TestWbemcliReadsCopyState enumerates TPD_RemoteStorageSynchronized with
// Debian's wbemcli and compares CopyState with the row each array is at.
func TestWbemcliReadsCopyState(t *testing.T) {
	wbemcli := testtool.Require(t, "wbemcli")
	s := startSim(t, nil, Options{})
	if err := s.ArrayDown("sim-a"); err != nil {
		t.Fatal(err)
	}
	s.FinishTransitions() // sim-b's target fails
	read := func(array, class string) (string, error) {
		a := arrayInfo(t, s, array)
		// wbemcli takes credentials only in the URL; these are the
		// simulator's built-in, public test credentials.
		url := "http://" + a.User + ":" + a.Password + "@" + strings.TrimPrefix(a.CIMURL, "http://") + "/root/tpd:" + class
		out, err := exec.Command(wbemcli, "-nl", "ei", url).CombinedOutput()
		return string(out), err
	}
	out, err := read("sim-b", "TPD_RemoteStorageSynchronized")
	if err != nil {
		t.Fatalf("wbemcli: %v\n%s", err, out)
	}
	want := manualEntry(t, "T110-1").CopyState
	var copyStates []int
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "-CopyState="); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("CopyState %q", v)
			}
			copyStates = append(copyStates, n)
		}
	}
	if len(copyStates) != 13 {
		t.Fatalf("%d instances, want 13 (one per volume pair):\n%s", len(copyStates), out)
	}
	for _, cs := range copyStates {
		if cs != int(want) {
			t.Fatalf("CopyState %d, want T110-1's %d", cs, want)
		}
	}
	// Volumes and groups enumerate too; an unknown class is a CIM error
	// (wbemcli exits 16).
	for class, want := range map[string]string{"TPD_StorageVolume": `-ElementName="db.0"`, "TPD_RemoteReplicationGroup": `-InstanceID="HP_3PAR:rcg-db.r188150"`} {
		out, err := read("sim-b", class)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("%s: %v, want %s in\n%s", class, err, want, out)
		}
	}
	out, err = read("sim-b", "TPD_NoSuchClass")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 16 || !strings.Contains(out, "CIM_ERR_INVALID_CLASS") {
		t.Fatalf("unknown class: %v\n%s", err, out)
	}
	// The down array refuses the connection.
	if out, err := read("sim-a", "TPD_RemoteStorageSynchronized"); err == nil {
		t.Fatalf("wbemcli on a down array succeeded:\n%s", out)
	}
}
