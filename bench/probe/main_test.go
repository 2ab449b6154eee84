package main

import (
	"context"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// TestProbeSmoke runs the comparison at toy size with the real OpenSSH
// server and client, so that the program cannot rot. It fails on any
// failed poll (a probe whose up is not 1 or that lacks a volume, an ssh
// whose output differs from what sshd serves); it asserts no timing.
func TestProbeSmoke(t *testing.T) {
	testtool.Require(t, "sshd")
	testtool.Require(t, "ssh")
	testtool.RequireRoot(t, "it creates a throwaway login user for sshd (useradd)")
	if err := run(context.Background(), params{rounds: 2, warmup: 1, groups: 2, volumes: 2}); err != nil {
		t.Fatal(err)
	}
}

// Without root the program refuses, saying why (as any user: the test
// pretends not to be root).
func TestProbeRefusesWithoutRoot(t *testing.T) {
	old := geteuid
	geteuid = func() int { return 1000 }
	t.Cleanup(func() { geteuid = old })
	err := run(context.Background(), params{rounds: 1, groups: 1, volumes: 1})
	if err == nil || !strings.Contains(err.Error(), "needs root") {
		t.Fatalf("run as non-root = %v, want an error saying it needs root", err)
	}
}
