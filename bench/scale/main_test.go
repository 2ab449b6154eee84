package main

import (
	"context"
	"testing"
	"time"
)

// TestScaleSmoke runs the scale measurement at toy size, so that the
// program cannot rot: it fails on any failed probe.
func TestScaleSmoke(t *testing.T) {
	err := run(context.Background(), params{arrays: 4, groupsPerPair: 2, volumes: 2,
		interval: 500 * time.Millisecond, duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
}
