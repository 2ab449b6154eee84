package collector

import (
	"testing"

	"go.uber.org/goleak"
)

// No probe may leave a goroutine behind (the concurrent CIM read, SSH
// sessions of the simulated pair).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
