// Package harness is what the measurements under bench/ share: the
// simulator's showrcopy of a generated array, building and starting the
// exporter binary and probing it as Prometheus does, reading a process's
// CPU time and memory from /proc, and summarising latencies. It runs on
// Linux, on 127.0.0.1 only.
package harness

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/fakearray"
)

// moduleRoot is the repository's root directory (where go.mod is).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the rcopy-exporter module")
	}
	return filepath.Dir(mod), nil
}

// Build compiles the command package pkg (e.g. "./cmd/exporter") into dir and
// returns the binary's path.
func Build(dir, pkg string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// Exporter is a running exporter process.
type Exporter struct {
	URL string // http://127.0.0.1:PORT
	Cmd *exec.Cmd
	log *bytes.Buffer
}

// StartExporter runs the exporter binary on a free loopback port with the
// configuration file and waits until /-/healthy answers.
func StartExporter(ctx context.Context, bin, configFile string, args ...string) (*Exporter, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.CommandContext(ctx, bin, append([]string{"--config.file=" + configFile, "--web.listen-address=" + addr, "--log.level=warn"}, args...)...)
	logBuf := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logBuf, logBuf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Exporter{URL: "http://" + addr, Cmd: cmd, log: logBuf}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(e.URL + "/-/healthy")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.Stop()
	return nil, fmt.Errorf("exporter did not become healthy in 30s; its log:\n%s", logBuf)
}

// PID is the exporter's process id.
func (e *Exporter) PID() int { return e.Cmd.Process.Pid }

// Log is what the exporter printed so far (call after Stop).
func (e *Exporter) Log() string { return e.log.String() }

// Stop ends the exporter (SIGTERM, then SIGKILL after 5 s).
func (e *Exporter) Stop() {
	if e.Cmd.Process == nil {
		return
	}
	_ = e.Cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = e.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = e.Cmd.Process.Kill()
		<-done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PrometheusAccept is the Accept header Prometheus 3 sends by default
// (Probe also asks for gzip, as Prometheus does).
const PrometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5," +
	"application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3," +
	"text/plain;version=0.0.4;q=0.2,*/*;q=0.1"

// ProbeResult is one GET /probe.
type ProbeResult struct {
	Took      time.Duration // until the answer's last byte arrived
	Body      []byte        // the answer, decompressed
	WireBytes int           // the answer as sent (gzip)
	// Reported is the probe's own threepar_rcopy_scrape_duration_seconds:
	// Took less HTTP and the exporter's scheduling.
	Reported time.Duration
	Err      error // transport error, non-200 status or up != 1
}

// Probe GETs /probe?target=target as Prometheus does (Accept, gzip, scrape
// timeout header) and checks that the answer says threepar_rcopy_up 1.
// Took ends when the last byte of the answer has arrived; decompressing it
// is the client's work and is not timed.
func Probe(ctx context.Context, client *http.Client, baseURL, target string, scrapeTimeout time.Duration) ProbeResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/probe?target="+target, nil)
	if err != nil {
		return ProbeResult{Err: err}
	}
	req.Header.Set("Accept", PrometheusAccept)
	req.Header.Set("Accept-Encoding", "gzip") // set here, so the client does not unzip it itself
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(scrapeTimeout.Seconds(), 'f', -1, 64))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return ProbeResult{Took: time.Since(start), Err: err}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	res := ProbeResult{Took: time.Since(start), Body: body, WireBytes: len(body), Err: err}
	if err != nil {
		return res
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			res.Body, err = io.ReadAll(zr)
		}
		if err != nil {
			res.Err = fmt.Errorf("probe %s: gzip answer: %w", target, err)
			return res
		}
	}
	if resp.StatusCode != http.StatusOK {
		res.Err = fmt.Errorf("probe %s: HTTP %d", target, resp.StatusCode)
		return res
	}
	if d := sampleValue(res.Body, "\nthreepar_rcopy_scrape_duration_seconds "); d >= 0 {
		res.Reported = time.Duration(d * float64(time.Second))
	}
	if upValue(res.Body) != 1 {
		res.Err = fmt.Errorf("probe %s: up is not 1: %s", target, failureLines(res.Body))
	}
	return res
}

// upValue is the value of threepar_rcopy_up in a text or OpenMetrics
// exposition (-1 when absent).
func upValue(body []byte) float64 { return sampleValue(body, "\nthreepar_rcopy_up ") }

// sampleValue is the value on the line starting with prefix (which starts
// with a newline), -1 when absent.
func sampleValue(body []byte, prefix string) float64 {
	i := bytes.Index(body, []byte(prefix))
	if i < 0 {
		return -1
	}
	rest := body[i+len(prefix):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(rest)), 64)
	if err != nil {
		return -1
	}
	return v
}

// failureLines picks the scrape_error series that are 1, to say why a probe failed.
func failureLines(body []byte) string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "threepar_rcopy_scrape_error{") && (strings.HasSuffix(l, " 1") || strings.HasSuffix(l, " 1.0")) {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return "no scrape_error set"
	}
	return strings.Join(out, "; ")
}

// Metric reads one unlabelled sample (e.g. go_memstats_alloc_bytes_total)
// from the exporter's own /metrics.
func Metric(client *http.Client, baseURL, name string) (float64, error) {
	resp, err := client.Get(baseURL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if rest, ok := strings.CutPrefix(l, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s not found in %s/metrics", name, baseURL)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times; it is 100
// on every Linux architecture Go supports.
const clockTicks = 100

// CPUTime is a process's user+system CPU time so far (/proc/PID/stat).
func CPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after its ')' are fixed.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	// After ')': state(3) ... utime is field 14, stime 15 (1-based overall).
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad CPU times", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// Memory is a process's resident set size now and at its peak.
type Memory struct {
	RSS, HWM int64 // bytes (VmRSS, VmHWM)
}

// ReadMemory reads VmRSS and VmHWM from /proc/PID/status.
func ReadMemory(pid int) (Memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for _, l := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return Memory{}, fmt.Errorf("/proc/%d/status: unexpected %s line %q", pid, k, l)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return Memory{}, err
		}
		if k == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
	}
	if m.HWM == 0 {
		return Memory{}, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
	}
	return m, nil
}

// ResetPeakRSS makes the kernel start VmHWM afresh from the current RSS
// (/proc/PID/clear_refs, value 5), so that a later peak is that of one
// phase. It needs to own the process (or root).
func ResetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// Stats summarises durations.
type Stats struct {
	N                       int
	Min, P50, P90, P99, Max time.Duration
	Mean                    time.Duration
}

// Summarize computes Stats (nearest-rank percentiles) of ds.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Stats{N: len(s), Min: s[0], P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: s[len(s)-1],
		Mean: sum / time.Duration(len(s))}
}

// MS formats a duration in milliseconds with two decimals.
func MS(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

// MiB formats bytes in MiB with one decimal.
func MiB(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) }

// LoadAverage is the first field of /proc/loadavg (other work on the
// machine skews every wall-clock number; the reports print it).
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Machine describes the machine and the measured exporter binary for the
// reports: CPU model, cores, the Go version the binary was built with, load.
func Machine(exporterBin string) string {
	model := "?"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	goVersion := "?"
	if bi, err := buildinfo.ReadFile(exporterBin); err == nil {
		goVersion = bi.GoVersion
	}
	return fmt.Sprintf("%s, %d cores online; exporter built with %s; load average %s", model, numCPU(), goVersion, LoadAverage())
}

func numCPU() int {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(data)), ",") {
		lo, hi, found := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if found {
			b, _ = strconv.Atoi(hi)
		}
		n += b - a + 1
	}
	return n
}

// Showrcopy is what the simulator prints for `showrcopy` on the first
// array of a generated pair (fakearray's generate: stanza) replicating
// groups x volumes volumes.
func Showrcopy(groups, volumes int) ([]byte, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc := &fakearray.Scenario{Generate: &fakearray.GenerateConfig{Arrays: 2, GroupsPerPair: groups, VolumesPerGroup: volumes}}
	sim, err := fakearray.Start(ctx, sc, fakearray.Options{})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	name := sim.Arrays()[0].Name
	out, status := sim.Exec(name, "showrcopy")
	if status != 0 {
		return nil, fmt.Errorf("%s: showrcopy exit status %d: %.200s", name, status, out)
	}
	return []byte(out), nil
}
