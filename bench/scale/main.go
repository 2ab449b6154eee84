// Command scale runs one exporter (the built binary, its own process)
// against many simulated arrays (one in-process simulator serving them all
// on 127.0.0.1) and probes every array once per interval, as Prometheus
// would, for a fixed duration. It reports the exporter's CPU use, peak RSS,
// probe latency percentiles and errors, then stops by itself. CPU and
// memory are the exporter process's own (/proc), not the simulator's or the
// load driver's, which run in this process. The first round, in which the
// exporter dials every array, is left out of the CPU share and the
// latencies but not out of the errors and the peak RSS.
//
//	go run ./bench/scale [-arrays 500] [-interval 15s] [-duration 3m] [-groups 25 -volumes 4]
//	go run ./bench/scale -arrays 50 -groups 300 -volumes 8 -interval 60s -duration 5m
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/threepar/rcopy-exporter/bench/internal/harness"
	"github.com/threepar/rcopy-exporter/fakearray"
)

type params struct {
	arrays, groupsPerPair, volumes int
	interval, duration             time.Duration
	exporterBin                    string
}

func main() {
	var p params
	flag.IntVar(&p.arrays, "arrays", 500, "simulated arrays (paired two by two), each probed once per interval")
	flag.IntVar(&p.groupsPerPair, "groups", 25, "remote copy groups per pair of arrays")
	flag.IntVar(&p.volumes, "volumes", 4, "volumes per group")
	flag.DurationVar(&p.interval, "interval", 15*time.Second, "probe interval per array (Prometheus' scrape_interval)")
	flag.DurationVar(&p.duration, "duration", 3*time.Minute, "how long to measure (after the first round)")
	flag.StringVar(&p.exporterBin, "exporter", "", "exporter binary (default: go build ./cmd/exporter)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, p); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

type sample struct {
	took  time.Duration
	err   error
	first bool // in the first round, which dials every array
}

func run(ctx context.Context, p params) error {
	if p.arrays < 1 || p.interval <= 0 || p.duration <= 0 {
		return errors.New("-arrays, -interval and -duration must be positive")
	}
	dir, err := os.MkdirTemp("", "rcopy-bench-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if p.exporterBin == "" {
		if p.exporterBin, err = harness.Build(dir, "./cmd/exporter"); err != nil {
			return err
		}
	}
	sc := &fakearray.Scenario{Generate: &fakearray.GenerateConfig{
		Arrays: p.arrays, GroupsPerPair: p.groupsPerPair, VolumesPerGroup: p.volumes}}
	sim, err := fakearray.Start(ctx, sc, fakearray.Options{})
	if err != nil {
		return err
	}
	defer sim.Close()
	arrays := sim.Arrays()
	cfgFile, err := sim.WriteConfig(dir, fakearray.ConfigOptions{SharedModule: true, SSHTimeout: 20 * time.Second})
	if err != nil {
		return err
	}
	exp, err := harness.StartExporter(ctx, p.exporterBin, cfgFile)
	if err != nil {
		return err
	}
	defer exp.Stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	// Prometheus' scrape_timeout defaults to 10 s.
	const scrapeTimeout = 10 * time.Second

	// Each array on its own ticker, first probes spread evenly over the
	// interval as Prometheus spreads its targets. The first round dials
	// every array (SSH handshakes); the measurement is the rounds after it.
	loadBefore := harness.LoadAverage()
	start := time.Now()
	measureStart := start.Add(p.interval)
	runCtx, cancel := context.WithDeadline(ctx, measureStart.Add(p.duration))
	defer cancel()
	results := make([][]sample, len(arrays))
	var inFlight, peakInFlight atomic.Int64
	var wg sync.WaitGroup
	for i, t := range arrays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			offset := time.Duration(int64(p.interval) * int64(i) / int64(len(arrays)))
			for next := start.Add(offset); ; next = next.Add(p.interval) {
				select {
				case <-runCtx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				n := inFlight.Add(1)
				for {
					p := peakInFlight.Load()
					if n <= p || peakInFlight.CompareAndSwap(p, n) {
						break
					}
				}
				r := harness.Probe(ctx, client, exp.URL, t.Name, scrapeTimeout)
				inFlight.Add(-1)
				results[i] = append(results[i], sample{r.Took, r.Err, next.Before(measureStart)})
			}
		}()
	}
	select {
	case <-time.After(time.Until(measureStart)):
	case <-ctx.Done():
		wg.Wait()
		return ctx.Err()
	}
	firstMem, err := harness.ReadMemory(exp.PID())
	if err != nil {
		return err
	}
	if err := harness.ResetPeakRSS(exp.PID()); err != nil {
		return fmt.Errorf("resetting the peak RSS after the first round: %w", err)
	}
	cpu0, err := harness.CPUTime(exp.PID())
	if err != nil {
		return err
	}
	self0, err := harness.CPUTime(os.Getpid())
	if err != nil {
		return err
	}
	wg.Wait()
	wall := time.Since(measureStart)
	cpu1, err := harness.CPUTime(exp.PID())
	if err != nil {
		return err
	}
	self1, err := harness.CPUTime(os.Getpid())
	if err != nil {
		return err
	}
	mem, err := harness.ReadMemory(exp.PID())
	if err != nil {
		return err
	}
	dials, err := harness.Metric(client, exp.URL, "threepar_rcopy_exporter_ssh_dials_total")
	if err != nil {
		return err
	}
	// Where the memory is, as the exporter's Go runtime sees it.
	var goMem []string
	for _, name := range []string{"go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes"} {
		v, err := harness.Metric(client, exp.URL, name)
		if err != nil {
			return err
		}
		goMem = append(goMem, fmt.Sprintf("%s %s MiB", strings.TrimPrefix(name, "go_memstats_"), harness.MiB(int64(v))))
	}
	goroutines, err := harness.Metric(client, exp.URL, "go_goroutines")
	if err != nil {
		return err
	}

	var took []time.Duration
	var errs []error
	firstProbes := 0
	for _, rs := range results {
		for _, s := range rs {
			if s.err != nil {
				errs = append(errs, s.err) // in any round
			}
			if s.first {
				firstProbes++
				continue
			}
			took = append(took, s.took)
		}
	}
	st := harness.Summarize(took)
	cpuShare := float64(cpu1-cpu0) / float64(wall)
	fmt.Printf("machine: %s (at the start: %s)\n", harness.Machine(p.exporterBin), loadBefore)
	fmt.Printf("setup: %d arrays x %d volumes (%d groups x %d), probed every %s; simulator in this process, exporter pid %d\n",
		len(arrays), p.groupsPerPair*p.volumes, p.groupsPerPair, p.volumes, p.interval, exp.PID())
	fmt.Printf("first round (%d probes, every array dialled): exporter RSS after it %s MiB, peak %s MiB\n",
		firstProbes, harness.MiB(firstMem.RSS), harness.MiB(firstMem.HWM))
	fmt.Printf("measured: the %s after it; simulator + load driver (this process) used %.1f%% of one core\n",
		wall.Round(time.Second), 100*float64(self1-self0)/float64(wall))
	fmt.Printf("peak in-flight probes %d, exporter RSS at the end %s MiB (%s, %v goroutines)\n\n",
		peakInFlight.Load(), harness.MiB(mem.RSS), strings.Join(goMem, ", "), goroutines)
	fmt.Println("| probes | errors (all rounds) | exporter CPU (share of one core) | exporter peak RSS MiB (whole run / after the first round) | p50 ms | p99 ms | max ms | SSH dials |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Printf("| %d | %d | %.1f%% | %s / %s | %s | %s | %s | %v |\n", st.N, len(errs), 100*cpuShare,
		harness.MiB(max(mem.HWM, firstMem.HWM)), harness.MiB(mem.HWM), harness.MS(st.P50), harness.MS(st.P99), harness.MS(st.Max), dials)
	for i, e := range errs {
		if i == 5 {
			fmt.Printf("... and %d more errors\n", len(errs)-5)
			break
		}
		fmt.Println("error:", e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d probes failed", len(errs))
	}
	return nil
}
