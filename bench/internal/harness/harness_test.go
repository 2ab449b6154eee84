package harness

import (
	"os"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(ds)
	if s.N != 100 || s.Min != time.Millisecond || s.Max != 100*time.Millisecond ||
		s.P50 != 50*time.Millisecond || s.P90 != 90*time.Millisecond || s.P99 != 99*time.Millisecond ||
		s.Mean != 50500*time.Microsecond {
		t.Errorf("Summarize(1..100 ms) = %+v", s)
	}
	if got := Summarize(nil); got.N != 0 {
		t.Errorf("Summarize(nil) = %+v", got)
	}
}

func TestUpValue(t *testing.T) {
	for body, want := range map[string]float64{
		"# TYPE threepar_rcopy_up gauge\nthreepar_rcopy_up 1\n":          1,
		"# TYPE threepar_rcopy_up gauge\nthreepar_rcopy_up 1.0\n# EOF\n": 1,
		"# TYPE threepar_rcopy_up gauge\nthreepar_rcopy_up 0\n":          0,
		"# TYPE threepar_rcopy_up_x gauge\nthreepar_rcopy_up_x 1\n":      -1,
		"# HELP x\nthreepar_rcopy_scrape_error{stage=\"connect\"} 1\n":   -1,
	} {
		if got := upValue([]byte(body)); got != want {
			t.Errorf("upValue(%q) = %v, want %v", body, got, want)
		}
	}
}

// TestProcReaders reads this test process's own CPU time and memory.
func TestProcReaders(t *testing.T) {
	pid := os.Getpid()
	before, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ { // burn CPU for the clock to tick
		_ = x * x
	}
	after, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Errorf("CPU time did not grow over 50 ms of work: %v -> %v", before, after)
	}
	m, err := ReadMemory(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("ReadMemory = %+v, want 0 < RSS <= HWM", m)
	}
}
