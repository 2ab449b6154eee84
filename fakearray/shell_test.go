package fakearray

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// terminal is an interactive session's output, read as it arrives.
type terminal struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (tm *terminal) Write(p []byte) (int, error) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.buf.Write(p)
}

// until waits for the output to end with suffix and returns it all,
// clearing the buffer.
func (tm *terminal) until(t *testing.T, suffix string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		tm.mu.Lock()
		s := tm.buf.String()
		if strings.HasSuffix(s, suffix) {
			tm.buf.Reset()
			tm.mu.Unlock()
			return s
		}
		tm.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	t.Fatalf("no %q at the end of %q", suffix, tm.buf.String())
	return ""
}

func TestInteractiveShell(t *testing.T) {
	s := startSim(t, nil, Options{})
	a := arrayInfo(t, s, "sim-a")
	c, err := gossh.Dial("tcp", a.SSHAddress, clientConfig(t, s, DefaultUser, gossh.Password(DefaultPassword)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 40, 200, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdin, _ := sess.StdinPipe()
	var tm terminal
	sess.Stdout = &tm
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	tm.until(t, CLIPrompt)
	type_ := func(line string) string {
		t.Helper()
		io.WriteString(stdin, line+"\r")
		return tm.until(t, CLIPrompt)
	}
	out := type_("showrcopy groups rcg-db")
	if !strings.HasPrefix(out, "showrcopy groups rcg-db\r\n") { // echoed on a terminal
		t.Errorf("no echo: %q", out)
	}
	if !strings.Contains(out, "Group Information\r\n") || !strings.Contains(out, "rcg-db sim-b  Started Primary") {
		t.Errorf("showrcopy in the shell: %q", out)
	}
	// setclienv lasts for the session.
	type_("setclienv csvtable 1")
	if out := type_("showrcopy groups rcg-db"); !strings.Contains(out, "rcg-db,sim-b,Started,Primary,Sync,") {
		t.Errorf("CSV mode after setclienv: %q", out)
	}
	// Without -f the shell asks; "n" leaves the group alone.
	io.WriteString(stdin, "stoprcopygroup rcg-db\r")
	tm.until(t, CLIPrompt)
	io.WriteString(stdin, "setrcopygroup failover rcg-db\r")
	if q := tm.until(t, "select q=quit y=yes n=no: "); !strings.Contains(q, "Are you sure") {
		t.Errorf("no confirmation question: %q", q)
	}
	type_("n")
	if g, _ := s.Group("sim-a", "rcg-db"); g.Phase != "stopped" {
		t.Errorf("phase %s after answering n", g.Phase)
	}
	if out := type_("bogus"); !strings.Contains(out, "Invalid command bogus") {
		t.Errorf("unknown command: %q", out)
	}
	io.WriteString(stdin, "exit\r")
	if err := sess.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// TestShellWithoutPty: commands piped in, as `ssh -T array < script`.
func TestShellWithoutPty(t *testing.T) {
	s := startSim(t, nil, Options{})
	a := arrayInfo(t, s, "sim-b")
	c, err := gossh.Dial("tcp", a.SSHAddress, clientConfig(t, s, DefaultUser, gossh.Password(DefaultPassword)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sess.Stdin = strings.NewReader("showversion\nsetclienv csvtable 1\nshowrcopy targets\nexit\n")
	var out bytes.Buffer
	sess.Stdout = &out
	if err := sess.Run(""); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Count(got, CLIPrompt) != 4 || !strings.Contains(got, "Release version") || !strings.Contains(got, "sim-a,1,IP,ready,-,mirror_config") {
		t.Fatalf("%q", got)
	}
}

func TestControlChannel(t *testing.T) {
	s := startSim(t, nil, Options{})
	user, pw := s.Admin()
	// CLI users cannot run simctl, simadmin cannot run the CLI.
	if out, status := cli(t, s, "sim-a", "simctl array down sim-b"); status == 0 || !strings.Contains(out, "Invalid command simctl") {
		t.Fatalf("CLI user ran simctl: %d %q", status, out)
	}
	if r := sshExec(t, s, "sim-a", user, pw, "showrcopy"); r.status == 0 {
		t.Fatalf("simadmin ran the CLI: %q", r.out)
	}
	if r := sshExec(t, s, "sim-a", user, "wrong", "simctl status"); r.err == nil {
		t.Fatal("simadmin with a wrong password")
	}
	// Powering off the array the session is on answers first.
	simctl(t, s, "sim-a", "array down sim-a")
	if r := sshExec(t, s, "sim-a", DefaultUser, DefaultPassword, "showrcopy"); !isConnRefused(r.err) {
		t.Fatalf("down array: %v", r.err)
	}
	r := sshExec(t, s, "sim-b", user, pw, "simctl status")
	if !strings.Contains(r.out, "array sim-a down") || !strings.Contains(r.out, "link sim-a sim-b lost,lost target=ready") ||
		!strings.Contains(r.out, "group rcg-db sim-a(Primary)->sim-b(Secondary) synced") || !strings.Contains(r.out, "pending 3") {
		t.Fatalf("status before the timeouts: %q", r.out)
	}
	// simctl next runs the timeout due first (a heartbeat: the link is
	// marked Down, the target still ready), finish runs the rest.
	simctl(t, s, "sim-b", "next")
	r = sshExec(t, s, "sim-b", user, pw, "simctl status")
	if !strings.Contains(r.out, "link sim-a sim-b down,lost target=ready") {
		t.Fatalf("status after one heartbeat timeout: %q", r.out)
	}
	simctl(t, s, "sim-b", "finish")
	r = sshExec(t, s, "sim-b", user, pw, "simctl status")
	if !strings.Contains(r.out, "link sim-a sim-b down,down target=failed") || !strings.Contains(r.out, "group rcg-db sim-a(Primary)->sim-b(Secondary) interrupted") {
		t.Fatalf("status after the timeouts: %q", r.out)
	}
	simctl(t, s, "sim-b", "array up sim-a")
	simctl(t, s, "sim-b", "link down sim-a sim-b 2")
	simctl(t, s, "sim-b", "fault inject sim-a slow:5s")
	simctl(t, s, "sim-b", "finish")
	r = sshExec(t, s, "sim-b", user, pw, "simctl status")
	if !strings.Contains(r.out, "link sim-a sim-b up,down target=ready") || !strings.Contains(r.out, "faults=slow:5s") {
		t.Fatalf("status: %q", r.out)
	}
	simctl(t, s, "sim-b", "fault clear sim-a")
	for _, bad := range []string{"simctl array down nope", "simctl fault inject sim-a bogus", "simctl link down sim-a nope",
		"simctl link down sim-a sim-b 3", "simctl volume stale rcg-db db.0", "simctl volume broken rcg-app app.0", "simctl volume stale nope x", "simctl dance"} {
		if r := sshExec(t, s, "sim-b", user, pw, bad); r.status == 0 || !strings.Contains(r.out, "Error") {
			t.Errorf("%s: %d %q", bad, r.status, r.out)
		}
	}
}

// TestPublicKeyAuth: a user with only an authorized key.
func TestPublicKeyAuth(t *testing.T) {
	_, authLine, signer := newClientKey(t)
	sc := DefaultScenario()
	sc.Arrays[0].Users = []UserConfig{{Name: "keyuser", AuthorizedKeys: []string{authLine}}}
	s := startSim(t, sc, Options{})
	a := arrayInfo(t, s, "sim-a")
	r := sshExecConfig(a.SSHAddress, clientConfig(t, s, "keyuser", gossh.PublicKeys(signer)), "showversion")
	if r.err != nil || r.status != 0 {
		t.Fatalf("key login: %v %d", r.err, r.status)
	}
	_, _, other := newClientKey(t)
	if r := sshExecConfig(a.SSHAddress, clientConfig(t, s, "keyuser", gossh.PublicKeys(other)), "showversion"); r.err == nil {
		t.Fatal("unknown key accepted")
	}
	if r := sshExec(t, s, "sim-a", "keyuser", "", "showversion"); r.err == nil {
		t.Fatal("empty password accepted for a key-only user")
	}
}
