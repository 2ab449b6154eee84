package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/internal/testtool"
	"github.com/threepar/rcopy-exporter/stage"
)

// faultLab is the exporter with its production sources (sshrun.Pool, CIM
// clients) serving /probe on a real socket, in front of the simulated pair
// over real SSH and CIM-XML sockets, configured from files as a user would
// (password files, known_hosts), with the log captured.
type faultLab struct {
	sim  *fakearray.Sim
	e    *exporter
	src  clientSources
	srv  *httptest.Server
	logs *testtool.SyncBuffer
	dir  string
}

// faultLabOptions tune a faultLab.
type faultLabOptions struct {
	maxOutputBytes int // module ssh max_output_bytes (0: the default)
	offset         time.Duration
	scenario       *fakearray.Scenario // nil: the built-in pair
}

func startFaultLab(t testing.TB, o faultLabOptions) *faultLab {
	t.Helper()
	sim, err := fakearray.Start(context.Background(), o.scenario, fakearray.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	l := &faultLab{sim: sim, logs: &testtool.SyncBuffer{}, dir: t.TempDir()}
	cfg, err := sim.WriteConfig(l.dir, fakearray.ConfigOptions{CIM: true, MaxOutputBytes: int64(o.maxOutputBytes)})
	if err != nil {
		t.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(l.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l.src = newClientSources(logger)
	t.Cleanup(func() { l.src.Close() })
	if o.offset == 0 {
		o.offset = 500 * time.Millisecond
	}
	l.e, l.srv = serve(t, logger, cfg, o.offset, l.src)
	t.Cleanup(func() {
		for _, a := range sim.Arrays() {
			if strings.Contains(l.logs.String(), a.Password) {
				t.Errorf("the array password appears in the log:\n%s", l.logs)
			}
		}
	})
	return l
}

// probeResult is one /probe answer.
type probeAnswer struct {
	code    int
	body    string
	elapsed time.Duration
	err     error
}

// probe requests /probe?QUERY with Prometheus' scrape timeout header.
func (l *faultLab) probe(query string, scrapeTimeout string) probeAnswer {
	req, err := http.NewRequest(http.MethodGet, l.srv.URL+"/probe?"+query, nil)
	if err != nil {
		return probeAnswer{err: err}
	}
	if scrapeTimeout != "" {
		req.Header.Set(scrapeTimeoutHeader, scrapeTimeout)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return probeAnswer{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return probeAnswer{code: resp.StatusCode, body: string(body), elapsed: time.Since(start), err: err}
}

// parseExposition parses a /probe answer with Prometheus' own text parser
// (legacy metric names: what every Prometheus accepts) and refuses
// duplicate series, which Prometheus would reject for the whole scrape.
func parseExposition(body string) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	for name, f := range fams {
		seen := map[string]bool{}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, lp.GetName()+"="+strconv.Quote(lp.GetValue()))
			}
			sort.Strings(labels)
			key := strings.Join(labels, ",")
			if seen[key] {
				return nil, fmt.Errorf("duplicate series %s{%s}", name, key)
			}
			seen[key] = true
		}
	}
	return fams, nil
}

// gaugeValue returns the value of the series of family name whose labels
// include want (nil: the only series), and whether it exists.
func gaugeValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// checkProbe checks one answer: HTTP 200, a valid exposition, up as
// wanted and scrape_error 1 for exactly the wanted stage ("" = none).
func checkProbe(a probeAnswer, wantStage string) error {
	if a.err != nil {
		return a.err
	}
	if a.code != http.StatusOK {
		return fmt.Errorf("HTTP %d, want 200:\n%s", a.code, a.body)
	}
	fams, err := parseExposition(a.body)
	if err != nil {
		return fmt.Errorf("invalid exposition: %v\n%s", err, a.body)
	}
	wantUp := 0.0
	if wantStage == "" {
		wantUp = 1
	}
	if up, ok := gaugeValue(fams, "threepar_rcopy_up", nil); !ok || up != wantUp {
		return fmt.Errorf("threepar_rcopy_up = %v (present %t), want %v\n%s", up, ok, wantUp, grep(a.body, "scrape_error"))
	}
	for _, st := range stage.All {
		s := string(st)
		want := 0.0
		if s == wantStage {
			want = 1
		}
		if v, ok := gaugeValue(fams, "threepar_rcopy_scrape_error", map[string]string{"stage": s}); !ok || v != want {
			return fmt.Errorf("scrape_error{stage=%q} = %v (present %t), want %v\n%s", s, v, ok, want, grep(a.body, "scrape_error"))
		}
	}
	return nil
}

// logRecord is one line of the captured text log.
type logRecord struct{ level, msg, line string }

func (l *faultLab) logLines() []logRecord {
	var out []logRecord
	for _, line := range strings.Split(strings.TrimSpace(l.logs.String()), "\n") {
		if line == "" {
			continue
		}
		r := logRecord{line: line}
		for _, f := range []struct {
			key string
			dst *string
		}{{"level=", &r.level}, {"msg=", &r.msg}} {
			if i := strings.Index(line, " "+f.key); i >= 0 {
				v := line[i+1+len(f.key):]
				if strings.HasPrefix(v, `"`) {
					if u, err := strconv.QuotedPrefix(v); err == nil {
						*f.dst, _ = strconv.Unquote(u)
						continue
					}
				}
				*f.dst, _, _ = strings.Cut(v, " ")
			}
		}
		out = append(out, r)
	}
	return out
}

// warnings returns the WARN and ERROR lines logged after the first skip lines.
func (l *faultLab) warnings(skip int) []logRecord {
	var out []logRecord
	for i, r := range l.logLines() {
		if i >= skip && (r.level == "WARN" || r.level == "ERROR") {
			out = append(out, r)
		}
	}
	return out
}

// The fault matrix: every fault the simulator injects, on an array in
// front of a running exporter. For each one, a burst of concurrent probes
// (by target name and by HOST:PORT with another module, so two SSH
// connections to one array) all answer by Prometheus' scrape timeout, with
// HTTP 200, a valid exposition, up 0 and scrape_error 1 for the right
// stage; each failed probe logs exactly one warning line naming the target
// and the stage, nothing else is logged at warning level; the array never
// sees two CLI sessions at once; and once the fault is cleared the next
// probe succeeds (host-key-change: the original key is back and accepted).
func TestFaultMatrix(t *testing.T) {
	const defaultScrapeTimeout = 2 * time.Second // X-Prometheus-Scrape-Timeout-Seconds
	type fault struct {
		name   string
		inject func(*fakearray.Sim, string) error
		clear  func(*fakearray.Sim, string) error
		stage  string
		// warm: probe once before injecting, so the fault meets an open
		// connection (login faults need a new one to show).
		warm bool
		// reason is text the log line must contain (case-insensitive).
		reason string
		// scrapeTimeout overrides the default.
		scrapeTimeout time.Duration
		// alone: not in parallel with the other cases (CPU-heavy).
		alone bool
		// lag: the array may count a session the exporter already gave up
		// (a connection lost mid-output) a moment longer than the
		// exporter does, and so see the next one beside it.
		lag bool
	}
	viaFault := func(name string) (func(*fakearray.Sim, string) error, func(*fakearray.Sim, string) error) {
		return func(s *fakearray.Sim, a string) error { return s.InjectFault(a, name) },
			func(s *fakearray.Sim, a string) error { return s.ClearFault(a, name) }
	}
	var cases []fault
	add := func(name, stage string, warm bool, reason string) {
		in, cl := viaFault(name)
		cases = append(cases, fault{name: name, inject: in, clear: cl, stage: stage, warm: warm, reason: reason})
	}
	add(fakearray.FaultSlow+":5s", "command", true, "timed out")
	add(fakearray.FaultHang, "command", true, "timed out")
	add(fakearray.FaultDisconnectMidOutput, "command", true, "connection lost")
	cases[len(cases)-1].lag = true
	add(fakearray.FaultGarbageOutput, "parse", true, "parsing showrcopy output")
	add(fakearray.FaultHugeOutput, "command", true, "exceeds 1048576 bytes (max_output_bytes)")
	// The simulator builds its 32 MiB answer in memory before sending it,
	// twice here (two modules, serialized): give it the time and the CPU,
	// so that the output cap is what ends the probes.
	cases[len(cases)-1].scrapeTimeout = 8 * time.Second
	cases[len(cases)-1].alone = true
	add(fakearray.FaultAuthFail, "auth", false, "refused")
	add(fakearray.FaultTooManySessions, "command", true, fakearray.TooManySessionsText)
	add(fakearray.FaultCLIErrorExit0, "command", true, "Error")
	add(fakearray.FaultHostKeyChange, "connect", false, "host key")
	add(fakearray.FaultCIMError, "cim", true, "CIM")
	add(fakearray.FaultCIMDown, "cim", true, "")
	cases = append(cases, fault{
		name:   "array-down",
		inject: (*fakearray.Sim).ArrayDown,
		clear:  (*fakearray.Sim).ArrayUp,
		stage:  "connect", warm: true, reason: "connection refused",
	})

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.alone {
				t.Parallel()
			}
			l := startFaultLab(t, faultLabOptions{maxOutputBytes: 1 << 20})
			const target = "sim-b"
			info, _ := l.sim.Array(target)
			byName := "target=" + target
			byAddress := "target=" + info.SSHAddress + "&module=default"
			scrapeTimeout := defaultScrapeTimeout
			if tc.scrapeTimeout > 0 {
				scrapeTimeout = tc.scrapeTimeout
			}
			header := strconv.FormatFloat(scrapeTimeout.Seconds(), 'f', -1, 64)
			if tc.warm {
				if err := checkProbe(l.probe(byName, header), ""); err != nil {
					t.Fatalf("healthy probe before the fault: %v", err)
				}
				if tc.stage != "cim" { // the default module reads no CIM
					if err := checkProbe(l.probe(byAddress, header), ""); err != nil {
						t.Fatalf("healthy probe by address before the fault: %v", err)
					}
				}
			}
			if err := l.sim.ResetSSHPeak(target); err != nil {
				t.Fatal(err)
			}
			if err := tc.inject(l.sim, target); err != nil {
				t.Fatal(err)
			}
			logged := len(l.logLines())

			queries := []string{byName, byName, byName}
			if tc.stage != "cim" {
				queries = append(queries, byAddress, byAddress)
			}
			answers := make([]probeAnswer, len(queries))
			var wg sync.WaitGroup
			for i, q := range queries {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i] = l.probe(q, header)
				}()
			}
			wg.Wait()
			for i, a := range answers {
				if err := checkProbe(a, tc.stage); err != nil {
					t.Errorf("probe %d (%s) under %s: %v", i, queries[i], tc.name, err)
				}
				if a.elapsed > scrapeTimeout {
					t.Errorf("probe %d (%s) under %s answered after %v, past the scrape timeout %v", i, queries[i], tc.name, a.elapsed, scrapeTimeout)
				}
			}

			// One clear line per failed probe, nothing else at warning level.
			warns := l.warnings(logged)
			if len(warns) != len(queries) {
				t.Errorf("%d warning lines for %d failed probes, want one each:\n%s", len(warns), len(queries), joinLines(warns))
			}
			for _, w := range warns {
				if w.msg != "probe failed" || !strings.Contains(w.line, "stage="+tc.stage) ||
					!strings.Contains(w.line, "target=") || !strings.Contains(strings.ToLower(w.line), strings.ToLower(tc.reason)) {
					t.Errorf("log line does not say probe failed, the target, stage=%s and %q:\n%s", tc.stage, tc.reason, w.line)
				}
			}

			if err := tc.clear(l.sim, target); err != nil {
				t.Fatal(err)
			}
			// A command the fault held (hang, slow) runs on until its
			// deadline, holding the array's slot, and a probe that comes
			// meanwhile waits for it: wait until the exporter runs no
			// command and the array no session before the first probe.
			for {
				st, err := l.sim.SSHStats(target)
				if err != nil {
					t.Fatal(err)
				}
				if st.Sessions == 0 && l.src.Pool().Stats().Running == 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if tc.stage == "auth" {
				// A refused login is not tried again until the back-off
				// ends (ssh.auth_backoff) or, as an operator who fixed the
				// password does, the configuration is reloaded.
				if err := checkProbe(l.probe(byName, header), "auth"); err != nil {
					t.Errorf("probe during the auth back-off: %v", err)
				}
				if err := l.e.reload(); err != nil {
					t.Fatal(err)
				}
			}
			if err := checkProbe(l.probe(byName, header), ""); err != nil {
				t.Errorf("first probe after clearing %s: %v", tc.name, err)
			}
			if tc.stage != "cim" {
				if err := checkProbe(l.probe(byAddress, header), ""); err != nil {
					t.Errorf("first probe by address after clearing %s: %v", tc.name, err)
				}
			}
			st, err := l.sim.SSHStats(target)
			if err != nil {
				t.Fatal(err)
			}
			if allowed := map[bool]int{false: 1, true: 2}[tc.lag]; st.PeakSessions > allowed {
				t.Errorf("%s: the array saw %d CLI sessions at once, want at most %d (%+v)", tc.name, st.PeakSessions, allowed, st)
			}
			if tc.stage != "connect" && tc.stage != "auth" && st.SessionsTotal == 0 {
				t.Errorf("%s: no CLI session reached the array; the test did not exercise it (%+v)", tc.name, st)
			}
			t.Logf("%s: %s; sessions %+v", tc.name, firstWarning(warns), st)
		})
	}
}

func joinLines(rs []logRecord) string {
	var b bytes.Buffer
	for _, r := range rs {
		b.WriteString(r.line + "\n")
	}
	return b.String()
}

func firstWarning(rs []logRecord) string {
	if len(rs) == 0 {
		return "(no warning)"
	}
	return rs[0].line
}
