package drill

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestTermProgress(t *testing.T) {
	var b bytes.Buffer
	p := TermProgress{W: &b}
	s := MainPath()[3]
	p.StepStarted(3, 14, s)
	p.Waiting(3, 14, s, 2500*time.Millisecond, "sim-b Primary-Rev/Stopped target failed")
	p.StepDone(3, 14, StepResult{Step: s, Observed: true, Conformant: true, Elapsed: 3 * time.Second})
	got := b.String()
	for _, want := range []string{"[4/14] failover-done ...", "waiting 3s (sim-b Primary-Rev/Stopped target failed)", "[4/14] failover-done: PASS (3s)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress %q lacks %q", got, want)
		}
	}
	if IsTerminal(&b) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "progress")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}
