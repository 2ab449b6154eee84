// Command probe measures, side by side in one run, how long it takes to get
// one array's showrcopy state several ways, against the simulator serving
// one array of 300 groups / 2400 volumes (by default) on 127.0.0.1:
//
//   - exporter: GET /probe on the built exporter binary (a separate process,
//     its SSH connection to the array already open), i.e. showrcopy over the
//     warm connection + parse + table matching + exposition; twice, as
//     shipped (an unchanged output is answered from the answer cache) and
//     with --probe.cache-size=0 (every answer written anew, as when the
//     output changed);
//   - floor: a bare x/crypto/ssh session exec of showrcopy on an already open
//     connection (output read, nothing done with it), in this process;
//   - fresh-ssh: OpenSSH's `ssh ... user@127.0.0.1 -p PORT showrcopy` started
//     anew for every poll, key auth and known_hosts checking, as shell-script
//     pollers do;
//   - the floor again from a process of its own (this program re-executed),
//     as the exporter is one, timed inside that process.
//
// Rounds interleave the methods (in rotating order) so machine load affects
// them alike. The simulator runs inside this process; the exporters in their
// own. Run: go run ./bench/probe [-rounds 30] [-groups 300 -volumes 8]
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/threepar/rcopy-exporter/bench/internal/harness"
	"github.com/threepar/rcopy-exporter/fakearray"
)

func main() {
	if spec := os.Getenv(floorHelperEnv); spec != "" {
		os.Exit(floorHelper(spec, os.Stdin, os.Stdout))
	}
	rounds := flag.Int("rounds", 30, "measured polls per method")
	warmup := flag.Int("warmup", 3, "unmeasured polls per method first")
	groups := flag.Int("groups", 300, "remote copy groups on the array")
	volumes := flag.Int("volumes", 8, "volumes per group")
	exporterBin := flag.String("exporter", "", "exporter binary (default: go build ./cmd/exporter)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *rounds, *warmup, *groups, *volumes, *exporterBin); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, rounds, warmup, groups, volumes int, exporterBin string) error {
	sshPath, err := exec.LookPath("ssh")
	if err != nil {
		return fmt.Errorf("OpenSSH client needed for the fresh-ssh column: %w", err)
	}
	dir, err := os.MkdirTemp("", "rcopy-bench-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if exporterBin == "" {
		if exporterBin, err = harness.Build(dir, "./cmd/exporter"); err != nil {
			return err
		}
	}
	key, err := harness.NewClientKey(dir)
	if err != nil {
		return err
	}

	sim, err := fakearray.Start(ctx, harness.BigPair(groups, volumes, key.AuthorizedKey), fakearray.Options{})
	if err != nil {
		return err
	}
	defer sim.Close()
	arr, _ := sim.Array("big-a")
	cfgFile, err := sim.WriteConfig(dir, fakearray.ConfigOptions{Arrays: []string{"big-a"}, SharedModule: true,
		SSHTimeout: 20 * time.Second, PrivateKeyFile: key.File, User: fakearray.DefaultUser})
	knownHosts := filepath.Join(dir, "known_hosts")
	if err != nil {
		return err
	}
	// Two exporters: one as shipped, whose answers come from its cache
	// while the array prints the same; one with the cache off, which
	// writes every answer anew, as either does when the output changed.
	exp, err := harness.StartExporter(ctx, exporterBin, cfgFile)
	if err != nil {
		return err
	}
	defer exp.Stop()
	expNoCache, err := harness.StartExporter(ctx, exporterBin, cfgFile, "--probe.cache-size=0")
	if err != nil {
		return err
	}
	defer expNoCache.Stop()

	// The floor: one connection, a session per poll.
	hostKeys, err := knownhosts.New(knownHosts)
	if err != nil {
		return err
	}
	conn, err := ssh.Dial("tcp", arr.SSHAddress, &ssh.ClientConfig{
		User: fakearray.DefaultUser, Auth: []ssh.AuthMethod{ssh.PublicKeys(key.Signer)},
		HostKeyCallback: hostKeys, Timeout: 10 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("floor connection: %w", err)
	}
	defer conn.Close()
	// The same floor from a process of its own, as the exporter is: the
	// in-process floor shares the simulator's Go runtime, which makes
	// its round trips cheaper than any other process's.
	helper, err := startFloorProcess(ctx, arr.SSHAddress, key.File, knownHosts)
	if err != nil {
		return err
	}
	defer helper.stop()
	var outputLen int
	floorOwnProcess := func() (time.Duration, error) {
		took, n, err := helper.poll()
		if err == nil && n != outputLen {
			err = fmt.Errorf("floor process: output of %d bytes, want %d", n, outputLen)
		}
		return took, err
	}
	floor := func() (time.Duration, error) {
		start := time.Now()
		s, err := conn.NewSession()
		if err != nil {
			return 0, err
		}
		out, err := s.Output("showrcopy")
		s.Close()
		took := time.Since(start)
		if err == nil && outputLen != 0 && len(out) != outputLen {
			err = fmt.Errorf("floor: output of %d bytes, want %d", len(out), outputLen)
		}
		outputLen = len(out)
		return took, err
	}

	host, port := splitHostPort(arr.SSHAddress)
	freshSSH := func() (time.Duration, error) {
		cmd := exec.CommandContext(ctx, sshPath, "-F", "/dev/null", "-i", key.File,
			"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
			"-o", "UserKnownHostsFile="+knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
			"-p", port, fakearray.DefaultUser+"@"+host, "showrcopy")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		took := time.Since(start)
		if err != nil {
			return took, fmt.Errorf("ssh: %v: %s", err, strings.TrimSpace(stderr.String()))
		}
		if len(out) != outputLen {
			return took, fmt.Errorf("fresh ssh: output of %d bytes, want %d", len(out), outputLen)
		}
		return took, nil
	}

	client := &http.Client{Timeout: 30 * time.Second}
	var probeBytes, wireBytes int
	type exporterRun struct {
		exp      *harness.Exporter
		gunzip   []time.Duration
		reported []time.Duration
		cpuStart time.Duration
		cpu      time.Duration
	}
	cached, anew := &exporterRun{exp: exp}, &exporterRun{exp: expNoCache}
	probeWith := func(er *exporterRun) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			r := harness.Probe(ctx, client, er.exp.URL, "big-a", 30*time.Second)
			probeBytes, wireBytes = r.Bytes, r.WireBytes
			er.gunzip = append(er.gunzip, r.Gunzip)
			er.reported = append(er.reported, r.Reported)
			return r.Took, r.Err
		}
	}

	methods := []struct {
		name string
		poll func() (time.Duration, error)
		took []time.Duration
	}{{name: "exporter /probe, output unchanged (answer from the cache)", poll: probeWith(cached)},
		{name: "exporter /probe, answer written anew (--probe.cache-size=0; = output changed)", poll: probeWith(anew)},
		{name: "floor: x/crypto/ssh exec on open connection", poll: floor},
		{name: "fresh OpenSSH ssh per poll", poll: freshSSH},
		{name: "floor from its own process (same exec, timed there)", poll: floorOwnProcess}}
	const floorRow, freshRow, floorProcessRow = 2, 3, 4
	if _, err := floor(); err != nil { // learns the output size
		return err
	}
	for r := -warmup; r < rounds; r++ {
		if r == 0 {
			for _, er := range []*exporterRun{cached, anew} {
				if er.cpuStart, err = harness.CPUTime(er.exp.PID()); err != nil {
					return err
				}
				er.gunzip, er.reported = nil, nil
			}
		}
		for i := range methods {
			m := &methods[(i+r+warmup)%len(methods)]
			took, err := m.poll()
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if r >= 0 {
				m.took = append(m.took, took)
			}
		}
	}
	for _, er := range []*exporterRun{cached, anew} {
		end, err := harness.CPUTime(er.exp.PID())
		if err != nil {
			return err
		}
		er.cpu = end - er.cpuStart
	}
	mem, err := harness.ReadMemory(exp.PID())
	if err != nil {
		return err
	}
	dials, err := harness.Metric(client, exp.URL, "threepar_rcopy_exporter_ssh_dials_total")
	if err != nil {
		return err
	}
	hits, err := harness.Metric(client, exp.URL, "threepar_rcopy_exporter_probe_cache_hits_total")
	if err != nil {
		return err
	}

	fmt.Printf("machine: %s\n", harness.Machine())
	fmt.Printf("array: %d groups x %d volumes = %d volumes, showrcopy output %d bytes, /probe answer %d bytes (%d gzipped)\n",
		groups, volumes, groups*volumes, outputLen, probeBytes, wireBytes)
	fmt.Printf("rounds: %d measured (+%d warm-up) per method, interleaved; simulator in this process, exporters pid %d and %d\n",
		rounds, warmup, exp.PID(), expNoCache.PID())
	fmt.Println("times: until the answer's last byte arrived (decompressing it is the client's work, below)")
	fmt.Println()
	fmt.Println("| method | min ms | p50 ms | p90 ms | mean ms | p50 / floor | p50 / fresh ssh |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	floorP50 := harness.Summarize(methods[floorRow].took).P50
	freshP50 := harness.Summarize(methods[freshRow].took).P50
	for _, m := range methods {
		s := harness.Summarize(m.took)
		fmt.Printf("| %s | %s | %s | %s | %s | %.2f | %.2f |\n", m.name, harness.MS(s.Min), harness.MS(s.P50),
			harness.MS(s.P90), harness.MS(s.Mean), float64(s.P50)/float64(floorP50), float64(s.P50)/float64(freshP50))
	}
	fmt.Printf("\ncached p50 / floor-from-its-own-process p50 = %.2f; written anew: %.2f\n",
		float64(harness.Summarize(methods[0].took).P50)/float64(harness.Summarize(methods[floorProcessRow].took).P50),
		float64(harness.Summarize(methods[1].took).P50)/float64(harness.Summarize(methods[floorProcessRow].took).P50))
	for _, er := range []struct {
		name string
		run  *exporterRun
	}{{"cache", cached}, {"no cache", anew}} {
		fmt.Printf("exporter (%s): %.1f ms CPU per probe (user+system over %d probes); its own scrape_duration_seconds p50 %s ms; client gunzip p50 %s ms\n",
			er.name, float64(er.run.cpu)/1e6/float64(rounds), rounds, harness.MS(harness.Summarize(er.run.reported).P50),
			harness.MS(harness.Summarize(er.run.gunzip).P50))
	}
	fmt.Printf("exporter (cache): peak RSS %s MiB, SSH dials %v (1 = connection reused), cache hits %v of %d probes\n",
		harness.MiB(mem.HWM), dials, hits, rounds+warmup)
	return nil
}

func splitHostPort(addr string) (string, string) {
	i := strings.LastIndex(addr, ":")
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}

// floorHelperEnv, when set (to "ADDRESS|KEY FILE|KNOWN_HOSTS FILE"), makes
// this program the floor helper: it connects once, then for every line
// read on stdin runs showrcopy in a new session and answers one line,
// "NANOSECONDS BYTES" (the exec timed in the helper, so that the pipe is
// not), or "error: ...".
const floorHelperEnv = "RCOPY_BENCH_FLOOR_HELPER"

func floorHelper(spec string, in io.Reader, out io.Writer) int {
	parts := strings.Split(spec, "|")
	if len(parts) != 3 {
		fmt.Fprintf(os.Stderr, "%s=%q: want ADDRESS|KEY|KNOWN_HOSTS\n", floorHelperEnv, spec)
		return 2
	}
	pem, err := os.ReadFile(parts[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hostKeys, err := knownhosts.New(parts[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	conn, err := ssh.Dial("tcp", parts[0], &ssh.ClientConfig{User: fakearray.DefaultUser,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hostKeys, Timeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer conn.Close()
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		start := time.Now()
		s, err := conn.NewSession()
		if err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
			continue
		}
		o, err := s.Output("showrcopy")
		s.Close()
		took := time.Since(start)
		if err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
			continue
		}
		fmt.Fprintf(out, "%d %d\n", took.Nanoseconds(), len(o))
	}
	return 0
}

// floorProcess is a running floor helper.
type floorProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startFloorProcess(ctx context.Context, addr, keyFile, knownHosts string) (*floorProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), floorHelperEnv+"="+addr+"|"+keyFile+"|"+knownHosts)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &floorProcess{cmd: cmd, in: in, out: bufio.NewReader(out)}, nil
}

// poll has the helper run showrcopy once; it returns the helper's timing.
func (f *floorProcess) poll() (time.Duration, int, error) {
	if _, err := io.WriteString(f.in, "\n"); err != nil {
		return 0, 0, fmt.Errorf("floor process: %w", err)
	}
	line, err := f.out.ReadString('\n')
	if err != nil {
		return 0, 0, fmt.Errorf("floor process: %w", err)
	}
	var ns int64
	var n int
	if _, err := fmt.Sscanf(line, "%d %d", &ns, &n); err != nil {
		return 0, 0, fmt.Errorf("floor process: %s", strings.TrimSpace(line))
	}
	return time.Duration(ns), n, nil
}

func (f *floorProcess) stop() {
	f.in.Close()
	_ = f.cmd.Wait()
}
