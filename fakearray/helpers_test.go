package fakearray

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/cim"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// longDelay keeps transitions pending until the test calls
// FinishTransitions, so intermediate states are observed without races.
const longDelay = time.Hour

func startSim(t *testing.T, sc *Scenario, opts Options) *Sim {
	t.Helper()
	if opts.TransitionDelay == 0 {
		opts.TransitionDelay = longDelay
	}
	s, err := Start(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func arrayInfo(t *testing.T, s *Sim, name string) ArrayInfo {
	t.Helper()
	a, ok := s.Array(name)
	if !ok {
		t.Fatalf("no array %s", name)
	}
	return a
}

// sshResult is one exec request's outcome over a real SSH connection.
type sshResult struct {
	out    string
	status int   // -1 when the session ended without an exit status
	err    error // connection or authentication error
}

// sshExec runs cmd as user with password on the array, checking the host
// key against the simulator's known_hosts.
func sshExec(t *testing.T, s *Sim, array, user, password, cmd string) sshResult {
	t.Helper()
	a := arrayInfo(t, s, array)
	cfg := clientConfig(t, s, user, gossh.Password(password))
	return sshExecConfig(a.SSHAddress, cfg, cmd)
}

func clientConfig(t *testing.T, s *Sim, user string, auth gossh.AuthMethod) *gossh.ClientConfig {
	t.Helper()
	khFile := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(khFile, s.KnownHosts(), 0o600); err != nil {
		t.Fatal(err)
	}
	hk, err := knownhosts.New(khFile)
	if err != nil {
		t.Fatal(err)
	}
	return &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{auth}, HostKeyCallback: hk, Timeout: 5 * time.Second}
}

func sshExecConfig(addr string, cfg *gossh.ClientConfig, cmd string) sshResult {
	c, err := gossh.Dial("tcp", addr, cfg)
	if err != nil {
		return sshResult{status: -1, err: err}
	}
	defer c.Close()
	return runSession(c, cmd)
}

func runSession(c *gossh.Client, cmd string) sshResult {
	sess, err := c.NewSession()
	if err != nil {
		return sshResult{status: -1, err: err}
	}
	defer sess.Close()
	// Separate buffers: bytes.Buffer's ReadFrom is not safe for two copiers.
	var out, errOut bytes.Buffer
	sess.Stdout = &out
	sess.Stderr = &errOut
	err = sess.Run(cmd)
	res := sshResult{out: out.String() + errOut.String()}
	var exitErr *gossh.ExitError
	var missing *gossh.ExitMissingError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.status = exitErr.ExitStatus()
	case errors.As(err, &missing):
		res.status = -1
	default:
		res.status = -1
		res.err = err
	}
	return res
}

// cli runs a CLI command as 3paradm over SSH and fails the test on a
// connection error. Like `ssh -o ControlMaster`, it keeps one connection
// per array and opens a session per command (handshakes are slow under
// -race); a dropped connection is dialled again.
func cli(t *testing.T, s *Sim, array, cmd string) (string, int) {
	t.Helper()
	a := arrayInfo(t, s, array)
	clients := sshClients(t, s)
	for attempt := 0; ; attempt++ {
		c := clients[array]
		if c == nil {
			var err error
			c, err = gossh.Dial("tcp", a.SSHAddress, clientConfig(t, s, DefaultUser, gossh.Password(DefaultPassword)))
			if err != nil {
				t.Fatalf("ssh %s %q: %v", array, cmd, err)
			}
			clients[array] = c
		}
		r := runSession(c, cmd)
		if r.err != nil && attempt == 0 {
			c.Close()
			delete(clients, array)
			continue
		}
		if r.err != nil {
			t.Fatalf("ssh %s %q: %v", array, cmd, r.err)
		}
		return r.out, r.status
	}
}

var clientCache = map[*Sim]map[string]*gossh.Client{}

// sshClients returns the cached connections to s's arrays (tests in this
// package do not run in parallel).
func sshClients(t *testing.T, s *Sim) map[string]*gossh.Client {
	m := clientCache[s]
	if m == nil {
		m = map[string]*gossh.Client{}
		clientCache[s] = m
		t.Cleanup(func() {
			for _, c := range m {
				c.Close()
			}
			delete(clientCache, s)
		})
	}
	return m
}

// simctl runs a control command as simadmin over SSH on the given array.
func simctl(t *testing.T, s *Sim, via, cmd string) {
	t.Helper()
	user, pw := s.Admin()
	r := sshExec(t, s, via, user, pw, "simctl "+cmd)
	if r.err != nil || r.status != 0 {
		t.Fatalf("simctl %s via %s: status %d, %v: %s", cmd, via, r.status, r.err, r.out)
	}
}

func cimClient(t *testing.T, s *Sim, array string) *cim.Client {
	t.Helper()
	a := arrayInfo(t, s, array)
	c, err := cim.NewClient(cim.ClientOptions{URL: a.CIMURL, User: a.User, Password: a.Password})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newClientKey writes an ed25519 private key in OpenSSH format and returns
// its path and its authorized_keys line.
func newClientKey(t *testing.T) (string, string, gossh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))), signer
}

// isConnRefused reports whether err is a refused TCP connection.
func isConnRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && strings.Contains(err.Error(), "refused")
}
