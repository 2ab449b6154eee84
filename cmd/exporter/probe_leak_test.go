package main

import (
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/fakearray"
)

// Thousands of probes through every fault, four at a time, with tiny
// deadlines: afterwards goroutines, file descriptors, and the SSH
// connections and sessions the simulated arrays see are back where they
// were after the warm-up (within a small tolerance for idle keep-alive
// connections), and every probe was answered with HTTP 200.
func TestProbeLeaksNothingUnderFaults(t *testing.T) {
	l := startFaultLab(t, faultLabOptions{maxOutputBytes: 1 << 20, offset: time.Millisecond})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	arrays := []string{"sim-a", "sim-b"}
	// SSH faults are probed through the "default" module (no CIM: the
	// simulator's CIM answers cost CPU that buys nothing there), CIM faults
	// and healthy phases by target name (SSH and CIM).
	var sshQueries, cimQueries []string
	for _, a := range arrays {
		info, _ := l.sim.Array(a)
		sshQueries = append(sshQueries, "target="+info.SSHAddress+"&module=default")
		cimQueries = append(cimQueries, "target="+a)
	}
	allQueries := append(append([]string(nil), sshQueries...), cimQueries...)

	var answered, failed atomic.Int64
	probe := func(q, scrapeTimeout string) {
		req, _ := http.NewRequest(http.MethodGet, l.srv.URL+"/probe?"+q, nil)
		req.Header.Set(scrapeTimeoutHeader, scrapeTimeout)
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("probe %s: %v", q, err)
			return
		}
		var b strings.Builder
		_, err = io.Copy(&b, resp.Body)
		resp.Body.Close()
		switch {
		case err != nil || resp.StatusCode != http.StatusOK:
			t.Errorf("probe %s: HTTP %d, %v", q, resp.StatusCode, err)
		case strings.Contains(b.String(), "\nthreepar_rcopy_up 1\n"):
			answered.Add(1)
		case strings.Contains(b.String(), "\nthreepar_rcopy_up 0\n"):
			failed.Add(1)
		default:
			t.Errorf("probe %s: no threepar_rcopy_up:\n%s", q, b.String())
		}
	}
	// run sends n probes, spread over the queries, four at a time.
	run := func(n int, queries []string, scrapeTimeout string) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1); i <= int64(n); i = next.Add(1) {
					probe(queries[int(i)%len(queries)], scrapeTimeout)
				}
			}()
		}
		wg.Wait()
	}

	// Warm-up: every pooled connection and keep-alive exists.
	run(8, allQueries, "5")
	if a := answered.Load(); a != 8 {
		t.Fatalf("warm-up: %d of 8 probes succeeded", a)
	}
	before := measure(t, l, client)

	phases := []struct {
		fault  string // "" healthy; "array-down" powers the arrays off
		probes int
		// scrapeTimeout is Prometheus' timeout header (the offset is 1ms):
		// tiny for the faults that run into the deadline.
		scrapeTimeout string
		queries       []string
		// lag: the exporter (deadline) or the array (disconnect) closes the
		// connection and the next probe dials at once, possibly before the
		// array noticed that the previous session's connection is gone; the
		// array may then count two sessions for a moment, never more.
		lag bool
		// relogin: the fault shows at login only, so the array drops its
		// connections first (power cycle).
		relogin bool
	}{
		// Cheap faults get most of the probes: the test runs under -race.
		{"", 40, "2", allQueries, false, false},
		{fakearray.FaultHang, 40, "0.05", allQueries, true, false},
		{fakearray.FaultSlow + ":1s", 40, "0.05", sshQueries, true, false},
		{fakearray.FaultDisconnectMidOutput, 60, "2", sshQueries, true, false},
		{fakearray.FaultGarbageOutput, 300, "2", sshQueries, false, false},
		{fakearray.FaultTooManySessions, 500, "2", sshQueries, false, false},
		{fakearray.FaultCLIErrorExit0, 300, "2", sshQueries, false, false},
		{fakearray.FaultAuthFail, 100, "2", sshQueries, false, true},
		{fakearray.FaultHostKeyChange, 60, "2", sshQueries, false, true},
		{"array-down", 400, "2", allQueries, false, false},
		{fakearray.FaultCIMError, 60, "2", cimQueries, false, false},
		{fakearray.FaultCIMDown, 100, "2", cimQueries, false, false},
		{fakearray.FaultHugeOutput, 4, "10", sshQueries, false, false}, // 32 MiB built per command: few
	}
	total := 0
	for _, ph := range phases {
		for _, a := range arrays {
			var err error
			if ph.relogin {
				if err := l.sim.ArrayDown(a); err != nil {
					t.Fatal(err)
				}
				if err := l.sim.ArrayUp(a); err != nil {
					t.Fatal(err)
				}
			}
			switch ph.fault {
			case "":
			case "array-down":
				err = l.sim.ArrayDown(a)
			default:
				err = l.sim.InjectFault(a, ph.fault)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range arrays {
			if err := l.sim.ResetSSHPeak(a); err != nil {
				t.Fatal(err)
			}
		}
		phStart := time.Now()
		answered.Store(0)
		run(ph.probes, ph.queries, ph.scrapeTimeout)
		allowed := 1
		if ph.lag {
			allowed = 2
		}
		for _, a := range arrays {
			if st, _ := l.sim.SSHStats(a); st.PeakSessions > allowed {
				t.Errorf("%s: %s saw %d CLI sessions at once (%+v)", ph.fault, a, st.PeakSessions, st)
			}
		}
		total += ph.probes
		t.Logf("phase %q: %d probes in %v", ph.fault, ph.probes, time.Since(phStart))
		if ph.fault != "" && answered.Load() > 0 {
			t.Errorf("%s: %d probes succeeded", ph.fault, answered.Load())
		}
		for _, a := range arrays {
			if err := l.sim.ArrayUp(a); err != nil {
				t.Fatal(err)
			}
			if err := l.sim.ClearFault(a, "all"); err != nil {
				t.Fatal(err)
			}
		}
		// A reload ends the back-off of the logins the auth fault refused.
		if err := l.e.reload(); err != nil {
			t.Fatal(err)
		}
	}
	// Healthy again: every connection that the faults broke is replaced.
	answered.Store(0)
	run(8, allQueries, "5")
	if a := answered.Load(); a != 8 {
		t.Errorf("after the faults: %d of 8 probes succeeded", a)
	}
	after := measure(t, l, client)
	t.Logf("%d probes through faults (%d up 0); before %+v, after %+v", total, failed.Load(), before, after)
	if total < 2000 {
		t.Errorf("only %d probes", total)
	}

	const slack = 6 // idle keep-alive connections may differ by a few
	if after.goroutines > before.goroutines+slack {
		buf := make([]byte, 256<<10)
		t.Errorf("goroutines: %d before, %d after 2000 faulty probes; now running:\n%s", before.goroutines, after.goroutines, buf[:runtime.Stack(buf, true)])
	}
	if after.fds > before.fds+slack {
		t.Errorf("file descriptors: %d before, %d after", before.fds, after.fds)
	}
	if after.sessions != 0 {
		t.Errorf("%d CLI sessions still running on the arrays", after.sessions)
	}
	if after.sshConns > before.sshConns || after.sshConns != after.poolOpen {
		t.Errorf("SSH connections on the arrays: %d before, %d after; the pool holds %d", before.sshConns, after.sshConns, after.poolOpen)
	}
	if after.peak > 1 {
		t.Errorf("an array saw %d CLI sessions at once", after.peak)
	}
}

// resources is what the leak test counts.
type resources struct {
	goroutines, fds          int
	sshConns, sessions, peak int // over both simulated arrays (peak: the larger)
	poolOpen                 int
}

// measure counts once things have settled: idle HTTP connections closed,
// and the counts stable over a few consecutive readings.
func measure(t *testing.T, l *faultLab, client *http.Client) resources {
	t.Helper()
	read := func() resources {
		client.CloseIdleConnections()
		r := resources{goroutines: runtime.NumGoroutine(), poolOpen: l.src.Pool().Stats().Open}
		if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
			r.fds = len(ents)
		}
		for _, a := range l.sim.Arrays() {
			st, err := l.sim.SSHStats(a.Name)
			if err != nil {
				t.Fatal(err)
			}
			r.sshConns += st.Connections
			r.sessions += st.Sessions
			r.peak = max(r.peak, st.PeakSessions)
		}
		return r
	}
	last, stable := read(), 0
	for deadline := time.Now().Add(10 * time.Second); stable < 5 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		r := read()
		if r == last {
			stable++
		} else {
			last, stable = r, 0
		}
	}
	return last
}
