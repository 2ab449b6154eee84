package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// The exporter's real sources (sshrun.Pool, CIM clients) against the
// in-process simulated pair of --simulate: connection reuse across probes
// and reloads, faults turned into stages, deadlines, and no password in any
// log line or page.
func TestRealSourcesAgainstSimulation(t *testing.T) {
	logs := &testtool.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := startSimulation(ctx, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	src := newClientSources(logger)
	defer func() { _ = src.Close() }()
	e, srv := serve(t, logger, sim.configFile, 500*time.Millisecond, src)

	probe := func(target string, header http.Header) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/probe?target="+target, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d\n%s", target, resp.StatusCode, b.String())
		}
		return b.String()
	}
	expectStage := func(body, stage string) {
		t.Helper()
		if stage == "" {
			if !strings.Contains(body, "\nthreepar_rcopy_up 1\n") {
				t.Errorf("want up 1:\n%s", grep(body, "scrape_error"))
			}
			return
		}
		if !strings.Contains(body, "\nthreepar_rcopy_up 0\n") || !strings.Contains(body, `threepar_rcopy_scrape_error{stage="`+stage+`"} 1`) {
			t.Errorf("want up 0 at stage %s:\n%s", stage, grep(body, "scrape_error"))
		}
	}

	for i := 0; i < 3; i++ {
		expectStage(probe("sim-a", nil), "")
	}
	if err := e.reload(); err != nil { // same modules: the connection stays
		t.Fatal(err)
	}
	expectStage(probe("sim-a", nil), "")
	if d := src.Pool().Stats().Dials; d != 1 {
		t.Errorf("%d SSH dials for 4 probes of one array across a reload, want 1", d)
	}

	s := sim.sim
	for _, tc := range []struct{ fault, stage string }{
		{fakearray.FaultAuthFail, "auth"},
		{fakearray.FaultTooManySessions, "command"},
		{fakearray.FaultGarbageOutput, "parse"},
		{fakearray.FaultCIMError, "cim"},
		{fakearray.FaultHostKeyChange, "connect"},
	} {
		if err := s.InjectFault("sim-b", tc.fault); err != nil {
			t.Fatal(err)
		}
		// A fresh connection, so that login-time faults apply.
		_ = src.Close()
		src = newClientSources(logger)
		e.sources = src
		expectStage(probe("sim-b", nil), tc.stage)
		if err := s.ClearFault("sim-b", tc.fault); err != nil {
			t.Fatal(err)
		}
	}
	expectStage(probe("sim-b", nil), "")

	// A hanging array: the probe ends by Prometheus' deadline minus the
	// offset, with stage command.
	if err := s.InjectFault("sim-a", fakearray.FaultHang); err != nil {
		t.Fatal(err)
	}
	expectStage(probe("sim-a", http.Header{scrapeTimeoutHeader: {"1.5"}}), "command")
	if err := s.ClearFault("sim-a", fakearray.FaultHang); err != nil {
		t.Fatal(err)
	}

	t.Log(grep(logs.String(), "probe failed"))
	if strings.Contains(logs.String(), fakearray.DefaultPassword) {
		t.Errorf("the password appears in the log:\n%s", logs)
	}
	for _, stage := range []string{"auth", "command", "parse", "cim", "connect"} {
		if !strings.Contains(logs.String(), `msg="probe failed" module=sim-b target=sim-b stage=`+stage) &&
			!strings.Contains(logs.String(), `msg="probe failed" module=sim-a target=sim-a stage=`+stage) {
			t.Errorf("no log line for the failed %s stage:\n%s", stage, logs)
		}
	}
}
