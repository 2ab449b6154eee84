// Command probe measures, side by side in one run, how long it takes to get
// one array's showrcopy state three ways, against the simulator serving one
// array of 300 groups / 2400 volumes (by default) on 127.0.0.1:
//
//   - exporter: GET /probe on the built exporter binary (a separate process,
//     its SSH connection to the array already open), i.e. showrcopy over the
//     warm connection + parse + table matching + exposition;
//   - floor: a bare x/crypto/ssh session exec of showrcopy on an already open
//     connection (output read, nothing done with it);
//   - fresh-ssh: OpenSSH's `ssh ... user@127.0.0.1 -p PORT showrcopy` started
//     anew for every poll, key auth and known_hosts checking, as shell-script
//     pollers do.
//
// Rounds interleave the three (in rotating order) so machine load affects
// them alike. The simulator runs inside this process; the exporter in its
// own. Run: go run ./bench/probe [-rounds 30] [-groups 300 -volumes 8]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
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
	var outputLen int
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
		{name: "fresh OpenSSH ssh per poll", poll: freshSSH}}
	const floorRow, freshRow = 2, 3
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
	fmt.Println()
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
