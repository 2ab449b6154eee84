package main

import (
	"context"
	"os"
	"testing"

	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// TestMain lets the test binary be the floor helper, as the program is.
func TestMain(m *testing.M) {
	if spec := os.Getenv(floorHelperEnv); spec != "" {
		os.Exit(floorHelper(spec, os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// TestProbeSmoke runs the comparison at toy size with the real OpenSSH
// client, so that the program cannot rot.
func TestProbeSmoke(t *testing.T) {
	testtool.Require(t, "ssh")
	if err := run(context.Background(), 2, 1, 2, 2, ""); err != nil {
		t.Fatal(err)
	}
}
