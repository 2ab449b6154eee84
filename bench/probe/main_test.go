package main

import (
	"context"
	"testing"

	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// TestProbeSmoke runs the comparison at toy size with the real OpenSSH
// client, so that the program cannot rot.
func TestProbeSmoke(t *testing.T) {
	testtool.Require(t, "ssh")
	if err := run(context.Background(), 2, 1, 2, 2, ""); err != nil {
		t.Fatal(err)
	}
}
