package fakearray

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that Close leaves no goroutine behind (listeners, SSH
// connections, sessions, CIM requests, transition timers).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
