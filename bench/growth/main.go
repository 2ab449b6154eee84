// Command growth measures how a probe's cost grows with the array's size:
// for 10, 100, 1000 and 10000 volumes per array (groups of 10 volumes) it
// starts the simulator with one such array and a fresh exporter process,
// then measures, over the same rounds, the probe latency, the exporter's CPU
// time and bytes allocated per probe, its peak RSS, and the floor (a bare
// x/crypto/ssh exec of showrcopy on an open connection) for comparison.
//
// With -no-cache the exporter runs with --probe.cache-size=0, so that every
// probe writes its answer anew, as when the array's output changed between
// probes; by default unchanged answers come from the cache.
//
//	go run ./bench/growth [-sizes 10,100,1000,10000] [-rounds 20] [-no-cache]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/threepar/rcopy-exporter/bench/internal/harness"
	"github.com/threepar/rcopy-exporter/fakearray"
)

const volumesPerGroup = 10

func main() {
	sizes := flag.String("sizes", "10,100,1000,10000", "volumes per array, comma separated (multiples of 10 above 10)")
	rounds := flag.Int("rounds", 20, "measured probes per size (ten times as many up to 100 volumes, where a probe takes about one CPU tick)")
	exporterBin := flag.String("exporter", "", "exporter binary (default: go build ./cmd/exporter)")
	noCache := flag.Bool("no-cache", false, "run the exporter with --probe.cache-size=0: every answer written anew")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var exporterArgs []string
	if *noCache {
		exporterArgs = append(exporterArgs, "--probe.cache-size=0")
	}
	if err := run(ctx, *sizes, *rounds, *exporterBin, exporterArgs); err != nil {
		fmt.Fprintln(os.Stderr, "growth:", err)
		os.Exit(1)
	}
}

type row struct {
	volumes, outBytes, respBytes int
	probe, floor                 harness.Stats
	cpu                          time.Duration // per probe
	alloc                        float64       // bytes per probe
	peakRSS                      int64
}

func run(ctx context.Context, sizeList string, rounds int, exporterBin string, exporterArgs []string) error {
	var sizes []int
	for _, f := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-sizes: %q is not a positive number", f)
		}
		sizes = append(sizes, n)
	}
	if rounds < 1 {
		return fmt.Errorf("-rounds must be positive")
	}
	dir, err := os.MkdirTemp("", "rcopy-bench-growth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if exporterBin == "" {
		if exporterBin, err = harness.Build(dir, "./cmd/exporter"); err != nil {
			return err
		}
	}
	var rows []row
	for _, n := range sizes {
		k := rounds
		if n <= 100 {
			k = rounds * 10
		}
		r, err := measure(ctx, dir, exporterBin, exporterArgs, n, k)
		if err != nil {
			return fmt.Errorf("%d volumes: %w", n, err)
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "%d volumes done\n", n)
	}

	fmt.Printf("machine: %s\n", harness.Machine())
	fmt.Printf("one array per size, groups of %d volumes, %d probes each (%d up to 100 volumes; after 2 warm-up); fresh exporter process per size (flags %q); simulator in this process\n\n",
		volumesPerGroup, rounds, rounds*10, exporterArgs)
	fmt.Println("| volumes | showrcopy bytes | /probe bytes (text) | floor p50 ms | probe p50 ms | exporter CPU ms/probe | CPU µs/volume | alloc MiB/probe | alloc KiB/volume | peak RSS MiB |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Printf("| %d | %d | %d | %s | %s | %.1f | %.1f | %.2f | %.2f | %s |\n", r.volumes, r.outBytes, r.respBytes,
			harness.MS(r.floor.P50), harness.MS(r.probe.P50), float64(r.cpu)/1e6, float64(r.cpu)/1e3/float64(r.volumes),
			r.alloc/(1<<20), r.alloc/1024/float64(r.volumes), harness.MiB(r.peakRSS))
	}
	return nil
}

func measure(ctx context.Context, dir, exporterBin string, exporterArgs []string, volumes, rounds int) (row, error) {
	groups := max(1, volumes/volumesPerGroup)
	perGroup := min(volumes, volumesPerGroup)
	sim, err := fakearray.Start(ctx, harness.BigPair(groups, perGroup, ""), fakearray.Options{})
	if err != nil {
		return row{}, err
	}
	defer sim.Close()
	arr, _ := sim.Array("big-a")
	sub := filepath.Join(dir, strconv.Itoa(volumes))
	if err := os.MkdirAll(sub, 0o700); err != nil {
		return row{}, err
	}
	cfgFile, err := sim.WriteConfig(sub, fakearray.ConfigOptions{Arrays: []string{"big-a"}, SharedModule: true,
		SSHTimeout: 20 * time.Second})
	knownHosts := filepath.Join(sub, "known_hosts")
	if err != nil {
		return row{}, err
	}
	exp, err := harness.StartExporter(ctx, exporterBin, cfgFile, exporterArgs...)
	if err != nil {
		return row{}, err
	}
	defer exp.Stop()

	hostKeys, err := knownhosts.New(knownHosts)
	if err != nil {
		return row{}, err
	}
	conn, err := ssh.Dial("tcp", arr.SSHAddress, &ssh.ClientConfig{User: fakearray.DefaultUser,
		Auth: []ssh.AuthMethod{ssh.Password(fakearray.DefaultPassword)}, HostKeyCallback: hostKeys, Timeout: 10 * time.Second})
	if err != nil {
		return row{}, err
	}
	defer conn.Close()
	r := row{volumes: groups * perGroup}
	floor := func() (time.Duration, error) {
		start := time.Now()
		s, err := conn.NewSession()
		if err != nil {
			return 0, err
		}
		defer s.Close()
		out, err := s.Output("showrcopy")
		r.outBytes = len(out)
		return time.Since(start), err
	}
	client := &http.Client{Timeout: 60 * time.Second}
	probe := func() (time.Duration, error) {
		res := harness.Probe(ctx, client, exp.URL, "big-a", 60*time.Second)
		return res.Took, res.Err
	}
	for range 2 {
		if _, err := probe(); err != nil {
			return row{}, err
		}
		if _, err := floor(); err != nil {
			return row{}, err
		}
	}
	// The answer's size in the plain text format (what curl shows).
	if resp, err := client.Get(exp.URL + "/probe?target=big-a"); err == nil {
		var n int64
		buf := make([]byte, 64<<10)
		for {
			k, err := resp.Body.Read(buf)
			n += int64(k)
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		r.respBytes = int(n)
	}

	alloc0, err := harness.Metric(client, exp.URL, "go_memstats_alloc_bytes_total")
	if err != nil {
		return row{}, err
	}
	cpu0, err := harness.CPUTime(exp.PID())
	if err != nil {
		return row{}, err
	}
	var probes, floors []time.Duration
	for i := 0; i < rounds; i++ {
		p, err := probe()
		if err != nil {
			return row{}, err
		}
		f, err := floor()
		if err != nil {
			return row{}, err
		}
		probes, floors = append(probes, p), append(floors, f)
	}
	cpu1, err := harness.CPUTime(exp.PID())
	if err != nil {
		return row{}, err
	}
	alloc1, err := harness.Metric(client, exp.URL, "go_memstats_alloc_bytes_total")
	if err != nil {
		return row{}, err
	}
	mem, err := harness.ReadMemory(exp.PID())
	if err != nil {
		return row{}, err
	}
	r.probe, r.floor = harness.Summarize(probes), harness.Summarize(floors)
	r.cpu = (cpu1 - cpu0) / time.Duration(rounds)
	r.alloc = (alloc1 - alloc0) / float64(rounds)
	r.peakRSS = mem.HWM
	return r, nil
}
