package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/threepar/rcopy-exporter/collector"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// rawProbe is one /probe answer as sent: its headers and its body, gzip
// not undone.
type rawProbe struct {
	header http.Header
	body   []byte
}

// text is the answer's text, the gzip stream checked to be one member.
func (p rawProbe) text(t *testing.T) string {
	t.Helper()
	if p.header.Get("Content-Encoding") != "gzip" {
		return string(p.body)
	}
	text, err := testtool.GunzipOne(p.body)
	if err != nil {
		t.Fatalf("gzip answer: %v", err)
	}
	return string(text)
}

var durationLine = regexp.MustCompile(`(?m)^` + collector.Namespace + `_scrape_duration_seconds [0-9.e+-]+\n`)

// withoutDuration is an answer's text without its duration sample (the
// one line that differs between two answers to the same inputs).
func withoutDuration(t *testing.T, text string) string {
	t.Helper()
	if len(durationLine.FindAllString(text, -1)) != 1 {
		t.Fatalf("want one duration sample in\n%s", text)
	}
	return durationLine.ReplaceAllString(text, "")
}

// TestProbeAnswerCache probes the simulated pair over real SSH and CIM and
// checks that unchanged inputs are answered from the cache with the same
// bytes, changed ones anew, failures never from the cache, and that the
// cached, plain, gzip and protocol buffer answers all agree.
func TestProbeAnswerCache(t *testing.T) {
	sim, e, srv := serveSimulation(t)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	probe := func(target string, header http.Header) rawProbe {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/probe?target="+target, nil)
		req.Header = header
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d, %v\n%s", resp.StatusCode, err, body)
		}
		if cl := resp.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
			t.Fatalf("Content-Length %s for %d bytes", cl, len(body))
		}
		return rawProbe{resp.Header, body}
	}
	prometheus := http.Header{"Accept": {prometheusAccept}, "Accept-Encoding": {"gzip"}}
	plain := http.Header{"Accept": {prometheusAccept}}
	hits := func() float64 { return testutil.ToFloat64(e.cacheHits) }
	misses := func() float64 { return testutil.ToFloat64(e.cacheMisses) }

	first := probe("sim-a", prometheus)
	if first.header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(first.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("answer headers %v", first.header)
	}
	firstText := first.text(t)
	if !strings.Contains(firstText, "\nthreepar_rcopy_up 1\n") || !strings.Contains(firstText, "threepar_rcopy_volume_cim_conformant{") {
		t.Fatalf("not a healthy answer with CIM series:\n%s", firstText)
	}
	if hits() != 0 || misses() != 1 {
		t.Fatalf("after one probe: %v hits, %v misses", hits(), misses())
	}
	second := probe("sim-a", prometheus)
	if hits() != 1 || misses() != 1 {
		t.Fatalf("after the same probe again: %v hits, %v misses", hits(), misses())
	}
	if withoutDuration(t, second.text(t)) != withoutDuration(t, firstText) {
		t.Fatalf("the cached answer differs:\n%s\n---\n%s", second.text(t), firstText)
	}
	if n, b := e.cacheStats(); n != 1 || b <= 0 {
		t.Fatalf("cache holds %d answers, %d bytes", n, b)
	}

	// Written anew, without gzip, the answer is the same.
	if got := withoutDuration(t, probe("sim-a", plain).text(t)); got != withoutDuration(t, firstText) {
		t.Fatalf("the plain answer differs from the cached one:\n%s\n---\n%s", got, firstText)
	}
	// So is the protocol buffer answer (never cached), once decoded.
	pb := probe("sim-a", http.Header{"Accept": {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}})
	if got := withoutDuration(t, protoAsText(t, pb)); got != withoutDuration(t, firstText) {
		t.Fatalf("the protocol buffer answer differs:\n%s\n---\n%s", got, firstText)
	}

	// A changed state is written anew and then cached.
	if out, rc := sim.sim.Exec("sim-a", "stoprcopygroup -f rcg-db"); rc != 0 {
		t.Fatalf("stoprcopygroup: %s", out)
	}
	sim.sim.FinishTransitions()
	stopped := probe("sim-a", prometheus).text(t)
	if !strings.Contains(stopped, `threepar_rcopy_group_status{group="rcg-db",status="Stopped",target="sim-b"} 1`) {
		t.Fatalf("the stopped group is not in the answer:\n%s", grep(stopped, "group_status"))
	}
	if hits() != 1 || misses() != 2 {
		t.Fatalf("after a change: %v hits, %v misses", hits(), misses())
	}
	if again := probe("sim-a", prometheus).text(t); withoutDuration(t, again) != withoutDuration(t, stopped) || hits() != 2 {
		t.Fatalf("the changed answer was not cached (%v hits)", hits())
	}

	// Failures are never answered from the cache.
	if err := sim.sim.InjectFault("sim-b", fakearray.FaultGarbageOutput); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if text := probe("sim-b", prometheus).text(t); !strings.Contains(text, `threepar_rcopy_scrape_error{stage="parse"} 1`) {
			t.Fatalf("want a parse failure:\n%s", text)
		}
	}
	if hits() != 2 {
		t.Fatalf("a failure came from the cache (%v hits)", hits())
	}
	if err := sim.sim.ClearFault("sim-b", fakearray.FaultGarbageOutput); err != nil {
		t.Fatal(err)
	}

	// A reload starts an empty cache.
	if err := e.reload(); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.cacheStats(); n != 0 {
		t.Fatalf("%d answers kept across a reload", n)
	}
	probe("sim-a", prometheus)
	if hits() != 2 {
		t.Fatal("answered from the cache right after a reload")
	}

	// --probe.cache-size=0: nothing is kept.
	e.cacheBytes = 0
	if err := e.reload(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		probe("sim-a", prometheus)
	}
	if n, _ := e.cacheStats(); n != 0 || hits() != 2 {
		t.Fatalf("cache off: %d answers, %v hits", n, hits())
	}
}

// protoAsText decodes a delimited protocol buffer answer and writes it as
// text, the duration family last as /probe's text answers have it.
func protoAsText(t *testing.T, p rawProbe) string {
	t.Helper()
	var text, duration bytes.Buffer
	dec := expfmt.NewDecoder(bytes.NewReader([]byte(p.text(t))), expfmt.NewFormat(expfmt.TypeProtoDelim))
	for {
		mf := new(dto.MetricFamily)
		if err := dec.Decode(mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		w := &text
		if mf.GetName() == collector.Namespace+"_scrape_duration_seconds" {
			w = &duration
		}
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			t.Fatal(err)
		}
	}
	return text.String() + duration.String()
}

// TestProbeAnswerCacheConcurrent probes one array from several goroutines
// while its state keeps changing: every answer must be whole (one gzip
// member, one duration sample, up 1, exactly one current status for the
// group), and once the changes stop the answer must show the last state,
// never an older cached one.
func TestProbeAnswerCacheConcurrent(t *testing.T) {
	sim, e, srv := serveSimulation(t)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	status := regexp.MustCompile(`threepar_rcopy_group_status\{group="rcg-db",status="(\w+)",target="sim-b"\} 1\n`)

	probe := func() (string, error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/probe?target=sim-a", nil)
		req.Header = http.Header{"Accept": {prometheusAccept}, "Accept-Encoding": {"gzip"}}
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return "", err
		}
		text, err := testtool.GunzipOne(body)
		if err != nil {
			return "", err
		}
		s := string(text)
		if n := len(durationLine.FindAllString(s, -1)); n != 1 {
			return s, fmt.Errorf("%d duration samples", n)
		}
		if !strings.Contains(s, "\nthreepar_rcopy_up 1\n") {
			return s, fmt.Errorf("not up")
		}
		if m := status.FindAllStringSubmatch(s, -1); len(m) != 1 {
			return s, fmt.Errorf("%d current statuses for rcg-db", len(m))
		}
		return s, nil
	}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if text, err := probe(); err != nil {
					errs <- fmt.Errorf("%v in\n%s", err, text)
					return
				}
			}
		})
	}
	final := "Started"
	for i := range 6 {
		cmd, want := "stoprcopygroup -f rcg-db", "Stopped"
		if i%2 == 1 {
			cmd, want = "startrcopygroup rcg-db", "Started"
		}
		if out, rc := sim.sim.Exec("sim-a", cmd); rc != 0 {
			t.Fatalf("%s: %s", cmd, out)
		}
		sim.sim.FinishTransitions()
		final = want
		time.Sleep(150 * time.Millisecond) // several probes see each state
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	text, err := probe()
	if err != nil {
		t.Fatalf("%v in\n%s", err, text)
	}
	if got := status.FindStringSubmatch(text)[1]; got != final {
		t.Errorf("after the last change the answer says rcg-db is %s, want %s", got, final)
	}
	if hits, misses := testutil.ToFloat64(e.cacheHits), testutil.ToFloat64(e.cacheMisses); hits == 0 || misses < 4 {
		t.Errorf("%v hits and %v misses: the test did not exercise both", hits, misses)
	}
}

// serveSimulation starts --simulate's pair and an exporter with the real
// SSH and CIM sources on it, all stopped when the test ends.
func serveSimulation(t *testing.T) (*simulation, *exporter, *httptest.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logger := slog.New(slog.DiscardHandler)
	sim, err := startSimulation(ctx, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	src := newSSHSources(logger)
	t.Cleanup(func() { src.Close() })
	e, srv := serve(t, logger, sim.configFile, 500*time.Millisecond, src)
	return sim, e, srv
}
