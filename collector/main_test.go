package collector

import (
	"flag"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// No probe may leave a goroutine behind (the concurrent CIM read, SSH
// sessions of the simulated pair). Fuzzing runs without the check: its
// worker processes stall under goleak's wrapper.
func TestMain(m *testing.M) {
	flag.Parse()
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			os.Exit(m.Run())
		}
	}
	goleak.VerifyTestMain(m)
}
