package main

import (
	"context"
	"testing"
)

// TestGrowthSmoke runs the growth measurement at toy size, so that the
// program cannot rot.
func TestGrowthSmoke(t *testing.T) {
	if err := run(context.Background(), "10,20", 1, "", []string{"--probe.cache-size=0"}); err != nil {
		t.Fatal(err)
	}
}
