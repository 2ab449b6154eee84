package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/threepar/rcopy-exporter/fakearray"
)

// A probe waits for a slot while --probe.max-concurrent probes run, and
// answers 503 when its deadline passes first.
func TestProbeConcurrencyCap(t *testing.T) {
	hanging := &fakeRunner{hang: true}
	te := newTestExporter(t, map[string]*fakeRunner{"10.0.0.1:22": hanging})
	te.e.probeSlots = make(chan struct{}, 1)
	// The first probe hangs until its client goes away (end of the test).
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, te.srv.URL+"/probe?target=array-a", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		first <- err
	}()
	defer func() {
		cancel()
		<-first
	}()
	// Wait until the first probe holds the only slot.
	for len(te.e.probeSlots) == 0 {
		time.Sleep(time.Millisecond)
	}
	code, body := te.get(t, "/probe?target=array-a", http.Header{scrapeTimeoutHeader: {"1"}})
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "--probe.max-concurrent=1") {
		t.Errorf("second probe: HTTP %d %q, want 503 naming the cap", code, body)
	}
	if n := testutil.ToFloat64(te.e.probes.WithLabelValues("overload")); n != 1 {
		t.Errorf("overload probes %v, want 1", n)
	}
	select {
	case err := <-first:
		t.Errorf("the first probe ended early (%v)", err)
	default:
	}
}

// An answer bigger than --probe.max-series is not built: up 0, stage
// command, one log line saying why.
func TestProbeSeriesCap(t *testing.T) {
	te := newTestExporter(t, nil)
	te.e.maxSeries = 50
	_, body := te.get(t, "/probe?target=array-a", nil)
	if !strings.Contains(body, "\nthreepar_rcopy_up 0\n") || !strings.Contains(body, `threepar_rcopy_scrape_error{stage="command"} 1`) ||
		strings.Contains(body, "threepar_rcopy_group_info") {
		t.Errorf("want up 0 at stage command and no group series:\n%s", body)
	}
	if !strings.Contains(te.logs.String(), "more than the cap of 50 (--probe.max-series)") {
		t.Errorf("log does not say why:\n%s", te.logs.String())
	}
	te.e.maxSeries = 0
	if _, body := te.get(t, "/probe?target=array-a", nil); !strings.Contains(body, "\nthreepar_rcopy_up 1\n") {
		t.Error("without the cap the same probe fails")
	}
}

// A client that asks for a big answer and never reads it does not hold the
// probe: the write deadline ends it.
func TestProbeWriteDeadline(t *testing.T) {
	healthy, err := os.ReadFile("../../collector/testdata/healthy-primary.txt")
	if err != nil {
		t.Fatal(err)
	}
	// About 40,000 volumes: an answer of tens of MB, far more than the
	// socket buffers hold.
	var big bytes.Buffer
	big.Write(healthy)
	for g := range 2000 {
		fmt.Fprintf(&big, "\nName Target Status Role Mode Options\ng%04d sim-b Started Primary Sync\n  LocalVV ID RemoteVV ID SyncStatus LastSyncTime\n", g)
		for v := range 20 {
			fmt.Fprintf(&big, "  g%04d.%02d %d g%04d.%02d %d Synced NA\n", g, v, 1000+g*20+v, g, v, 90000+g*20+v)
		}
	}
	te := newTestExporter(t, map[string]*fakeRunner{"10.0.0.1:22": {out: big.Bytes()}})
	old := answerWriteTime
	answerWriteTime = 200 * time.Millisecond
	t.Cleanup(func() { answerWriteTime = old })

	conn, err := net.Dial("tcp", strings.TrimPrefix(te.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// No Accept-Encoding: the uncompressed text answer, tens of MB.
	fmt.Fprintf(conn, "GET /probe?target=array-a HTTP/1.1\r\nHost: x\r\n%s: 5\r\n\r\n", scrapeTimeoutHeader)
	// The handler returns (and counts the probe) although nothing is read.
	deadline := time.Now().Add(60 * time.Second)
	for testutil.ToFloat64(te.e.probes.WithLabelValues("success")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the probe is still writing to a client that does not read")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServerTimeouts(t *testing.T) {
	te := newTestExporter(t, nil)
	readHeader, read, write, idle := serverTimeouts(te.e.current().cfg)
	// testConfig's slowest module has a 60s SSH timeout.
	if readHeader <= 0 || read <= 0 || idle <= 0 || write != 60*time.Second+answerWriteTime {
		t.Errorf("timeouts %s %s %s %s", readHeader, read, write, idle)
	}
}

func TestProfilerServed(t *testing.T) {
	te := newTestExporter(t, nil)
	if code, body := te.get(t, "/debug/pprof/", nil); code != http.StatusOK || !strings.Contains(body, "heap") {
		t.Errorf("/debug/pprof/: HTTP %d", code)
	}
}

// Built from source without release ldflags, --version still names a
// version (the module's, or devel).
func TestVersionFromBuildInfo(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--version"}, &out, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if !strings.Contains(out.String(), "rcopy_exporter, version ") || strings.Contains(out.String(), "version  (") {
		t.Errorf("--version: %q", out.String())
	}
}

// A reload closes the idle connections of the CIM clients it replaces:
// reloads with probes between them do not pile up sockets (each would hold
// one on the exporter's side and one on the array's).
func TestReloadsCloseReplacedCIMConnections(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := fakearray.Start(ctx, fakearray.DefaultScenario(), fakearray.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cfgPath, err := sim.WriteConfig(t.TempDir(), fakearray.ConfigOptions{CIM: true})
	if err != nil {
		t.Fatal(err)
	}
	src := newClientSources(slog.New(slog.DiscardHandler))
	defer src.Close()
	e, srv := serve(t, slog.New(slog.DiscardHandler), cfgPath, 0, src)
	probe := func() {
		t.Helper()
		rec := httptest.NewRecorder()
		srv.Config.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?target=sim-a", nil))
		if !strings.Contains(rec.Body.String(), "\nthreepar_rcopy_up 1\n") {
			t.Fatalf("probe failed:\n%s", rec.Body.String())
		}
	}
	probe()
	before := openFiles(t)
	const reloads = 30
	for range reloads {
		if err := e.reload(); err != nil {
			t.Fatal(err)
		}
		probe()
	}
	if grown := openFiles(t) - before; grown > 6 {
		t.Errorf("%d more open files after %d reloads with a probe each", grown, reloads)
	}
}

// openFiles counts this process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip": true, "gzip, deflate": true, "deflate, GZIP;q=0.5": true, "*": true, "br;q=1, *;q=0.1": true,
		"": false, "identity": false, "gzip;q=0": false, "gzip; q=0.0": false, "deflate, br": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %t, want %t", header, got, want)
		}
	}
}

// The answer is gzipped (at BestSpeed) for a client that accepts gzip, in
// every format promhttp negotiates, and plain for one that does not.
func TestProbeAnswerCompression(t *testing.T) {
	te := newTestExporter(t, nil)
	for _, c := range []struct{ accept, encoding, wantType string }{
		{"application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5", "gzip", "application/openmetrics-text"},
		{"", "gzip", "text/plain"},
		{"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "gzip", "application/vnd.google.protobuf"},
		{"", "", "text/plain"},
		{"", "gzip;q=0", "text/plain"},
	} {
		req, _ := http.NewRequest(http.MethodGet, te.srv.URL+"/probe?target=array-a", nil)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		req.Header.Set("Accept-Encoding", c.encoding) // set, so that the client does not add gzip itself
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		gzipped := resp.Header.Get("Content-Encoding") == "gzip"
		if want := acceptsGzip(c.encoding); gzipped != want {
			t.Errorf("Accept-Encoding %q: gzipped %t, want %t", c.encoding, gzipped, want)
		}
		if gzipped {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("Accept-Encoding %q: bad gzip stream: %v", c.encoding, err)
			}
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.wantType) || !bytes.Contains(body, []byte("threepar_rcopy_up")) {
			t.Errorf("Accept %q, Accept-Encoding %q: Content-Type %q, body %d bytes without threepar_rcopy_up", c.accept, c.encoding, ct, len(body))
		}
	}
}
