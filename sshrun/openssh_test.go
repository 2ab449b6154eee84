package sshrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/internal/testtool"

	"github.com/threepar/rcopy-exporter/stage"
)

// realSSHD is Debian's OpenSSH sshd started on 127.0.0.1 with a throwaway
// configuration: key authentication only, and a ForceCommand script that
// prints the showrcopy fixture (and fails like a CLI for anything else).
type realSSHD struct {
	addr       string
	hostPub    string // "ssh-ed25519 AAAA..."
	clientKey  []byte // PEM of the authorized key
	fixture    []byte
	dir        string
	otherKey   []byte // a private key sshd does not accept
	knownHosts string // a correct known_hosts file
}

func startRealSSHD(t *testing.T) *realSSHD {
	sshd := testtool.Require(t, "sshd")
	keygen := testtool.Require(t, "ssh-keygen")
	dir := t.TempDir()
	keygenRun := func(path string) {
		out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "rcopy-exporter test", "-f", path).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	hostKey := filepath.Join(dir, "ssh_host_ed25519_key")
	clientKey := filepath.Join(dir, "id_client")
	otherKey := filepath.Join(dir, "id_other")
	keygenRun(hostKey)
	keygenRun(clientKey)
	keygenRun(otherKey)
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	s := &realSSHD{dir: dir, hostPub: strings.TrimSpace(string(read(hostKey + ".pub"))),
		clientKey: read(clientKey), otherKey: read(otherKey), fixture: read("testdata/showrcopy.txt")}
	fixture, err := filepath.Abs("testdata/showrcopy.txt")
	if err != nil {
		t.Fatal(err)
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, read(clientKey+".pub"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "cli.sh")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(`#!/bin/sh
# Plays the array's CLI: only showrcopy is known.
case "$SSH_ORIGINAL_COMMAND" in
  showrcopy) exec cat '%s' ;;
  *) echo "Error: unknown command $SSH_ORIGINAL_COMMAND" >&2; exit 2 ;;
esac
`, fixture)), 0o755); err != nil {
		t.Fatal(err)
	}
	// Privilege separation directory that Debian's sshd insists on.
	if _, err := os.Stat("/run/sshd"); errors.Is(err, os.ErrNotExist) {
		_ = os.MkdirAll("/run/sshd", 0o755)
	}

	// A port that was free a moment ago; sshd fails fast if it was taken
	// meanwhile, and we retry.
	for attempt := 1; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.addr = l.Addr().String()
		l.Close()
		cfg := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfg, []byte(strings.Join([]string{
			"ListenAddress " + s.addr,
			"HostKey " + hostKey,
			"AuthorizedKeysFile " + authorized,
			"PubkeyAuthentication yes",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"UsePAM no",
			"StrictModes no",
			"PermitRootLogin prohibit-password",
			"PidFile " + filepath.Join(dir, "sshd.pid"),
			"ForceCommand " + script,
			"LogLevel VERBOSE",
			"",
		}, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		cmd := exec.Command(sshd, "-D", "-e", "-f", cfg)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		if waitListening(s.addr, exited) {
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
				if t.Failed() {
					t.Logf("sshd log:\n%s", logs.String())
				}
			})
			break
		}
		cmd.Process.Kill()
		<-exited
		if attempt == 3 {
			t.Fatalf("sshd did not start:\n%s", logs.String())
		}
	}
	s.knownHosts = s.writeKnownHosts(t, s.hostPub)
	return s
}

// waitListening reports whether addr accepts connections before sshd exits.
func waitListening(addr string, exited <-chan struct{}) bool {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func (s *realSSHD) writeKnownHosts(t *testing.T, pub string) string {
	host, port, _ := net.SplitHostPort(s.addr)
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("[%s]:%s %s\n", host, port, pub)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (s *realSSHD) options(t *testing.T, key []byte, knownHosts string) Options {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return Options{User: u.Username, PrivateKey: config.NewSecret(string(key)), KnownHostsFile: knownHosts, Timeout: 20 * time.Second}
}

// TestRealOpenSSH proves the runner against a real OpenSSH server: key
// authentication, host key checking against a known_hosts file, the
// command reaching the server, output and exit status coming back, and the
// connection reused.
func TestRealOpenSSH(t *testing.T) {
	s := startRealSSHD(t)
	pool := newPool(t, PoolOptions{})
	ctx := context.Background()

	t.Run("good known_hosts and key", func(t *testing.T) {
		r := pool.Runner(s.addr, "default", s.options(t, s.clientKey, s.knownHosts))
		for i := 0; i < 2; i++ {
			out, err := r.Run(ctx, "showrcopy")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, s.fixture) {
				t.Fatalf("output differs from the fixture:\n%s", out)
			}
		}
		if st := pool.Stats(); st.Dials != 1 {
			t.Errorf("%d dials for 2 runs, want 1 (connection reused)", st.Dials)
		}
		_, err := r.Run(ctx, "showversion")
		var ee *ExitError
		if wantStage(t, err, stage.Command); !errors.As(err, &ee) || ee.Status != 2 || ee.Message != "Error: unknown command showversion" {
			t.Errorf("want exit status 2 with the script's stderr, got %v", err)
		}
	})
	t.Run("wrong known_hosts", func(t *testing.T) {
		other, err := os.ReadFile(filepath.Join(s.dir, "id_other.pub"))
		if err != nil {
			t.Fatal(err)
		}
		kh := s.writeKnownHosts(t, strings.TrimSpace(string(other)))
		_, err = pool.Runner(s.addr, "wrong-kh", s.options(t, s.clientKey, kh)).Run(ctx, "showrcopy")
		e := wantStage(t, err, stage.Connect)
		var hk *HostKeyError
		if !errors.As(e, &hk) || !hk.Changed() {
			t.Errorf("want a changed host key error, got %v", err)
		}
	})
	t.Run("unknown host", func(t *testing.T) {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(kh, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := pool.Runner(s.addr, "no-kh", s.options(t, s.clientKey, kh)).Run(ctx, "showrcopy")
		e := wantStage(t, err, stage.Connect)
		var hk *HostKeyError
		if !errors.As(e, &hk) || hk.Changed() {
			t.Errorf("want an unknown host error, got %v", err)
		}
	})
	t.Run("key not authorized", func(t *testing.T) {
		_, err := pool.Runner(s.addr, "other-key", s.options(t, s.otherKey, s.knownHosts)).Run(ctx, "showrcopy")
		wantStage(t, err, stage.Auth)
	})
}
