// Command probe compares, in one run, the two ways of getting one array's
// showrcopy state from a real OpenSSH sshd on 127.0.0.1 that prints the
// simulator's showrcopy of a 300-group / 2400-volume array (by default):
//
//   - exporter: GET /probe on the built exporter binary (its own process,
//     its SSH connection to sshd kept open across probes), as Prometheus
//     scrapes it (OpenMetrics, gzip): showrcopy over the open connection,
//     parse, judgement, series, exposition;
//   - fresh-ssh: OpenSSH's `ssh -p PORT USER@127.0.0.1 showrcopy` started
//     anew for every poll (key auth, known_hosts checked), as shell-script
//     pollers do.
//
// Both read the identical output from the identical server. Rounds
// alternate the two (in turn first), so that the load of a shared machine
// falls on both alike. The exporter's CPU time is read from /proc over the
// measured probes: everything its process spent, SSH, HTTP, gzip and
// garbage collection included.
//
// sshd runs every command through the user's login shell, so the user
// must not have start-up files that do work of their own (root's bash on a
// developer machine may initialise pyenv or the like, which would be
// measured instead). The program therefore needs root: it creates a user
// of its own whose login shell is /bin/sh (useradd) and removes it at the
// end; sshd then serves that user only.
//
//	go run ./bench/probe [-rounds 30] [-warmup 3] [-groups 300 -volumes 8]
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/threepar/rcopy-exporter/bench/internal/harness"
	"github.com/threepar/rcopy-exporter/internal/testtool"
)

type params struct {
	rounds, warmup, groups, volumes int
	exporterBin                     string
}

// geteuid is os.Geteuid; a test replaces it to see the refusal as root.
var geteuid = os.Geteuid

func main() {
	var p params
	flag.IntVar(&p.rounds, "rounds", 30, "measured polls per method")
	flag.IntVar(&p.warmup, "warmup", 3, "unmeasured polls per method first")
	flag.IntVar(&p.groups, "groups", 300, "remote copy groups on the array")
	flag.IntVar(&p.volumes, "volumes", 8, "volumes per group")
	flag.StringVar(&p.exporterBin, "exporter", "", "exporter binary (default: go build ./cmd/exporter)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, p); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, p params) error {
	if p.rounds < 1 || p.warmup < 0 || p.groups < 1 || p.volumes < 1 {
		return errors.New("-rounds, -groups and -volumes must be positive, -warmup not negative")
	}
	if geteuid() != 0 {
		return errors.New("needs root: it starts OpenSSH sshd on 127.0.0.1 serving a user of its own whose login shell is /bin/sh, " +
			"which it creates with useradd and removes at the end (run it as root)")
	}
	sshdPath, ok := testtool.Find("sshd")
	if !ok {
		return errors.New("OpenSSH sshd not found (Debian package openssh-server)")
	}
	sshPath, ok := testtool.Find("ssh")
	if !ok {
		return errors.New("OpenSSH ssh not found (Debian package openssh-client)")
	}
	dir, err := os.MkdirTemp("", "rcopy-bench-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The login user reads the output and runs the script from here.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if p.exporterBin == "" {
		if p.exporterBin, err = harness.Build(dir, "./cmd/exporter"); err != nil {
			return err
		}
	}
	output, err := harness.Showrcopy(p.groups, p.volumes)
	if err != nil {
		return err
	}
	loginUser, err := createUser(dir)
	if err != nil {
		return err
	}
	defer loginUser.remove()
	srv, err := startSSHD(ctx, sshdPath, dir, loginUser.name, output)
	if err != nil {
		return err
	}
	defer srv.stop()

	cfgFile := filepath.Join(dir, "rcopy.yml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(`modules:
  bench:
    ssh:
      user: %s
      private_key_file: %s
      known_hosts_file: %s
      timeout: 30s
targets:
  big: {address: "%s", module: bench}
`, loginUser.name, srv.clientKey, srv.knownHosts, srv.addr)), 0o600); err != nil {
		return err
	}
	exp, err := harness.StartExporter(ctx, p.exporterBin, cfgFile)
	if err != nil {
		return err
	}
	defer exp.Stop()

	client := &http.Client{Timeout: 60 * time.Second}
	var answer harness.ProbeResult
	var reported []time.Duration
	probe := func() (time.Duration, error) {
		answer = harness.Probe(ctx, client, exp.URL, "big", 30*time.Second)
		if answer.Err == nil {
			// Every volume must be in the answer: the exporter read the whole output.
			if n := bytes.Count(answer.Body, []byte("\nthreepar_rcopy_volume_sync_status{")); n != p.groups*p.volumes {
				answer.Err = fmt.Errorf("answer has %d volume_sync_status series, want %d", n, p.groups*p.volumes)
			}
		}
		reported = append(reported, answer.Reported)
		return answer.Took, answer.Err
	}
	host, port, _ := net.SplitHostPort(srv.addr)
	freshSSH := func(options ...string) func() (time.Duration, error) {
		args := append([]string{"-F", "/dev/null", "-i", srv.clientKey,
			"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
			"-o", "UserKnownHostsFile=" + srv.knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "ConnectTimeout=30", "-o", "LogLevel=ERROR"}, options...)
		args = append(args, "-p", port, loginUser.name+"@"+host, "showrcopy")
		return func() (time.Duration, error) { return poll(ctx, sshPath, args, output) }
	}
	methods := []struct {
		name string
		poll func() (time.Duration, error)
		took []time.Duration
	}{
		{name: "exporter /probe (SSH connection kept open)", poll: probe},
		{name: "fresh OpenSSH `ssh ... showrcopy`, default key exchange", poll: freshSSH()},
		// OpenSSH's default key exchange (sntrup761x25519-sha512, post-quantum)
		// is the slow part of a fresh connection; servers without it
		// (older arrays) negotiate curve25519, which makes fresh ssh faster.
		{name: "fresh OpenSSH, `-o KexAlgorithms=curve25519-sha256`", poll: freshSSH("-o", "KexAlgorithms=curve25519-sha256")},
	}

	loadBefore := harness.LoadAverage()
	var cpuStart time.Duration
	ratios := make([][]float64, len(methods)) // per round: exporter / that method
	for r := -p.warmup; r < p.rounds; r++ {
		if r == 0 {
			if cpuStart, err = harness.CPUTime(exp.PID()); err != nil {
				return err
			}
			reported = nil
		}
		took := make([]time.Duration, len(methods))
		for i := range methods {
			k := (i + r + p.warmup) % len(methods) // each method first in turn
			m := &methods[k]
			if took[k], err = m.poll(); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if r >= 0 {
				m.took = append(m.took, took[k])
			}
		}
		for k := 1; r >= 0 && k < len(methods); k++ {
			ratios[k] = append(ratios[k], float64(took[0])/float64(took[k]))
		}
	}
	cpuEnd, err := harness.CPUTime(exp.PID())
	if err != nil {
		return err
	}
	cpuPerProbe := (cpuEnd - cpuStart) / time.Duration(p.rounds)
	mem, err := harness.ReadMemory(exp.PID())
	if err != nil {
		return err
	}
	dials, err := harness.Metric(client, exp.URL, "threepar_rcopy_exporter_ssh_dials_total")
	if err != nil {
		return err
	}

	vols := p.groups * p.volumes
	series := sampleLines(answer.Body)
	exporterStats := harness.Summarize(methods[0].took)
	fmt.Printf("machine: %s (at the start: %s)\n", harness.Machine(p.exporterBin), loadBefore)
	fmt.Printf("array: %d groups x %d volumes = %d volumes, showrcopy output %d bytes; /probe answer (OpenMetrics) %d bytes, %d gzipped, %d series (%.2f per volume)\n",
		p.groups, p.volumes, vols, len(output), len(answer.Body), answer.WireBytes, series, float64(series)/float64(vols))
	fmt.Printf("rounds: %d measured (+%d warm-up), the methods alternated (each first in turn); sshd %s as user %s (login shell /bin/sh), exporter pid %d\n\n",
		p.rounds, p.warmup, srv.addr, loginUser.name, exp.PID())
	fmt.Println("| method | min ms | p50 ms | p90 ms | mean ms | exporter p50 / p50 | exporter p90 / p90 | median of per-round exporter / this |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for k, m := range methods {
		s := harness.Summarize(m.took)
		fmt.Printf("| %s | %s | %s | %s | %s |", m.name, harness.MS(s.Min), harness.MS(s.P50), harness.MS(s.P90), harness.MS(s.Mean))
		if k == 0 {
			fmt.Println(" | | |")
			continue
		}
		fmt.Printf(" %.3f | %.3f | %.3f |\n", float64(exporterStats.P50)/float64(s.P50), float64(exporterStats.P90)/float64(s.P90), median(ratios[k]))
	}
	fmt.Println()
	fmt.Printf("exporter CPU (/proc/%d/stat, user+system, over the %d measured probes): %s ms per probe = %.1f µs per volume\n",
		exp.PID(), p.rounds, harness.MS(cpuPerProbe), float64(cpuPerProbe)/1e3/float64(vols))
	fmt.Printf("exporter: own scrape_duration_seconds p50 %s ms; peak RSS %s MiB; SSH dials %v (1 = connection kept open)\n",
		harness.MS(harness.Summarize(reported).P50), harness.MiB(mem.HWM), dials)
	fmt.Printf("load average at the end %s\n", harness.LoadAverage())
	return nil
}

// poll runs ssh once and checks that it printed want.
func poll(ctx context.Context, ssh string, args []string, want []byte) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, ssh, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if !bytes.Equal(out, want) {
		return took, fmt.Errorf("output of %d bytes differs from the %d bytes served", len(out), len(want))
	}
	return took, nil
}

// sampleLines counts the samples (series) of a text or OpenMetrics answer.
func sampleLines(body []byte) int {
	n := 0
	for line := range bytes.Lines(body) {
		if len(line) > 1 && line[0] != '#' {
			n++
		}
	}
	return n
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// loginUser is the throwaway user sshd logs in as.
type loginUser struct{ name string }

// createUser adds a user with login shell /bin/sh, no password (key
// authentication only; "*" is not the "!" of a locked account, which sshd
// without PAM refuses) and its home in dir. The name carries this
// process's id, so that concurrent runs do not share a user.
func createUser(dir string) (*loginUser, error) {
	name := fmt.Sprintf("rcopybench%d", os.Getpid())
	if _, err := user.Lookup(name); err == nil {
		return nil, fmt.Errorf("user %s exists already (left by a killed run? remove it: userdel %s)", name, name)
	}
	home := filepath.Join(dir, "home")
	out, err := exec.Command("useradd", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh",
		"--password", "*", "--comment", "rcopy-exporter bench/probe, removed at its end", name).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("useradd %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	u := &loginUser{name: name}
	lu, err := user.Lookup(name)
	if err == nil {
		err = os.Mkdir(home, 0o700)
	}
	if err == nil {
		uid, _ := strconv.Atoi(lu.Uid)
		gid, _ := strconv.Atoi(lu.Gid)
		err = os.Chown(home, uid, gid)
	}
	if err != nil {
		u.remove()
		return nil, err
	}
	return u, nil
}

func (u *loginUser) remove() {
	if out, err := exec.Command("userdel", u.name).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "probe: userdel %s: %v: %s\n", u.name, err, strings.TrimSpace(string(out)))
	}
}

// sshServer is a running OpenSSH sshd.
type sshServer struct {
	addr       string // 127.0.0.1:PORT
	clientKey  string // private key file it accepts
	knownHosts string // a known_hosts file with its host key
	cmd        *exec.Cmd
	exited     chan struct{}
}

// startSSHD runs sshd on a free loopback port: key authentication of
// loginName only, and a ForceCommand script that plays the array's CLI,
// printing output for showrcopy and failing like a CLI for anything else.
func startSSHD(ctx context.Context, sshd, dir, loginName string, output []byte) (*sshServer, error) {
	hostKey, hostPub, err := writeKey(filepath.Join(dir, "ssh_host_ed25519_key"))
	if err != nil {
		return nil, err
	}
	clientKey, clientPub, err := writeKey(filepath.Join(dir, "id_ed25519"))
	if err != nil {
		return nil, err
	}
	authorized := filepath.Join(dir, "authorized_keys")
	outputFile := filepath.Join(dir, "showrcopy.out")
	script := filepath.Join(dir, "cli.sh")
	for file, data := range map[string]string{
		authorized: clientPub,
		outputFile: string(output),
		script: fmt.Sprintf(`#!/bin/sh
case "$SSH_ORIGINAL_COMMAND" in
  showrcopy) exec cat '%s' ;;
  *) echo "Error: unknown command $SSH_ORIGINAL_COMMAND" >&2; exit 2 ;;
esac
`, outputFile),
	} {
		if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(script, 0o755); err != nil {
		return nil, err
	}
	// The privilege separation directory Debian's sshd insists on.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	// A port that was free a moment ago; sshd fails at once if it was
	// taken meanwhile, and we try another.
	var logs bytes.Buffer
	for attempt := 1; attempt <= 3; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addr := l.Addr().String()
		l.Close()
		cfg := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfg, []byte(strings.Join([]string{
			"ListenAddress " + addr,
			"HostKey " + hostKey,
			"AuthorizedKeysFile " + authorized,
			"AllowUsers " + loginName,
			"PubkeyAuthentication yes",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"UsePAM no",
			"StrictModes no",
			"PidFile " + filepath.Join(dir, "sshd.pid"),
			"ForceCommand " + script,
			"LogLevel ERROR",
			"",
		}, "\n")), 0o600); err != nil {
			return nil, err
		}
		logs.Reset()
		cmd := exec.CommandContext(ctx, sshd, "-D", "-e", "-f", cfg)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		s := &sshServer{addr: addr, clientKey: clientKey, cmd: cmd, exited: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(s.exited) }()
		if s.waitListening() {
			host, port, _ := net.SplitHostPort(addr)
			s.knownHosts = filepath.Join(dir, "known_hosts")
			if err := os.WriteFile(s.knownHosts, []byte(fmt.Sprintf("[%s]:%s %s", host, port, hostPub)), 0o644); err != nil {
				s.stop()
				return nil, err
			}
			return s, nil
		}
		s.stop()
	}
	return nil, fmt.Errorf("sshd did not start:\n%s", logs.String())
}

// waitListening reports whether sshd accepts connections before it exits.
func (s *sshServer) waitListening() bool {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-s.exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func (s *sshServer) stop() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// writeKey writes a new ed25519 private key to file (OpenSSH format, mode
// 0600) and returns the file and the public key's authorized_keys line.
func writeKey(file string) (string, string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "rcopy-exporter bench/probe")
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", "", err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return "", "", err
	}
	return file, string(ssh.MarshalAuthorizedKey(signer.PublicKey())), nil
}
