package fakearray

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/parser"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func lastSync(t *testing.T, s *Sim, array, group string) (string, []string) {
	t.Helper()
	out := mustExec(t, s, array, "showrcopy groups "+group)
	p, err := parser.Parse([]byte(out))
	if err != nil || len(p.Groups) != 1 {
		t.Fatalf("%v\n%s", err, out)
	}
	var vols []string
	for _, v := range p.Groups[0].Volumes {
		if v.LastSyncTime == nil {
			vols = append(vols, "NA")
		} else {
			vols = append(vols, *v.LastSyncTime)
		}
	}
	if p.Groups[0].LastSync == nil {
		return "", vols
	}
	return *p.Groups[0].LastSync, vols
}

// TestPeriodicLastSyncAdvances: Last-Sync moves by whole periods while the
// group is synced, stops moving while it is stopped; times print in the
// scenario's zone.
func TestPeriodicLastSyncAdvances(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 10, 9, 18, 9, 24, 0, time.UTC)}
	sc := DefaultScenario()
	sc.TimeZone = "Asia/Kolkata"
	s := startSim(t, sc, Options{Clock: clock.Now})
	ls, vols := lastSync(t, s, "sim-a", "rcg-app")
	if ls != "2026-10-09 23:39:24 IST" || vols[0] != ls {
		t.Fatalf("start: Last-Sync %q, volumes %v", ls, vols)
	}
	clock.Add(4 * time.Minute)
	if ls, _ := lastSync(t, s, "sim-a", "rcg-app"); ls != "2026-10-09 23:39:24 IST" {
		t.Fatalf("within the period: %q", ls)
	}
	clock.Add(7 * time.Minute) // 11 minutes: two periods of 5m
	if ls, _ := lastSync(t, s, "sim-a", "rcg-app"); ls != "2026-10-09 23:49:24 IST" {
		t.Fatalf("after two periods: %q", ls)
	}
	// The secondary prints the volumes' time, without Last-Sync in Options.
	if ls, vols := lastSync(t, s, "sim-b", "rcg-app.r188150"); ls != "" || vols[0] != "2026-10-09 23:49:24 IST" {
		t.Fatalf("secondary: %q %v", ls, vols)
	}
	// Synchronous groups print NA while synced, the stop time once stopped.
	if _, vols := lastSync(t, s, "sim-a", "rcg-db"); vols[0] != "NA" {
		t.Fatalf("sync group: %v", vols)
	}
	mustExec(t, s, "sim-a", "stoprcopygroup rcg-db")
	mustExec(t, s, "sim-a", "stoprcopygroup rcg-app")
	clock.Add(time.Hour)
	if _, vols := lastSync(t, s, "sim-a", "rcg-db"); vols[0] != "2026-10-09 23:50:24 IST" {
		t.Fatalf("stopped sync group: %v", vols)
	}
	if ls, _ := lastSync(t, s, "sim-a", "rcg-app"); ls != "2026-10-09 23:49:24 IST" {
		t.Fatalf("stopped periodic group moved: %q", ls)
	}
}

// TestScenarioFaultsAndDownAtStart: faults and power state from the file.
func TestScenarioFaultsAndDownAtStart(t *testing.T) {
	sc := DefaultScenario()
	sc.Arrays[0].Faults = []string{FaultTooManySessions}
	sc.Arrays[1].Down = true
	s := startSim(t, sc, Options{})
	if out, st := s.Exec("sim-a", "showrcopy"); st == 0 || !strings.Contains(out, TooManySessionsText) {
		t.Fatalf("%d %q", st, out)
	}
	if out, st := s.Exec("sim-b", "showrcopy"); st != 255 {
		t.Fatalf("down array: %d %q", st, out)
	}
	if r := sshExec(t, s, "sim-b", DefaultUser, DefaultPassword, "showrcopy"); !isConnRefused(r.err) {
		t.Fatalf("down at start: %v", r.err)
	}
	s.ClearFault("sim-a", "")
	g, _ := s.Group("sim-a", "rcg-db")
	if g.TargetStatus != "failed" || g.Phase != "interrupted" {
		t.Fatalf("%+v", g)
	}
}

// TestUseAfterClose: operations on a closed simulation fail or do nothing,
// never panic.
func TestUseAfterClose(t *testing.T) {
	s := startSim(t, nil, Options{})
	s.ArrayDown("sim-a")
	s.Close()
	if err := s.ArrayUp("sim-a"); err != nil {
		t.Fatal(err)
	}
	s.LinkDown("sim-a", "sim-b")
	s.LinkUp("sim-a", "sim-b")
	s.FinishTransitions()
	if out, st := s.Exec("sim-b", "setrcopygroup failover -f rcg-db.r188150"); st == 0 {
		t.Fatalf("command after Close: %q", out)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
