package fakearray

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkShowrcopy10000Volumes: one showrcopy on an array with 10000
// volumes (1250 groups of 8), in-process (view, print).
func BenchmarkShowrcopy10000Volumes(b *testing.B) {
	sc, err := ParseScenario([]byte("generate: {arrays: 2, groups_per_pair: 1250, volumes_per_group: 8}\n"), "bench.yml")
	if err != nil {
		b.Fatal(err)
	}
	s, err := Start(context.Background(), sc, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, status := s.Exec("sim-0001", "showrcopy")
		if status != 0 {
			b.Fatal(out)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes/op-output")
}

// BenchmarkStart500Arrays: one process serving 500 arrays (250 pairs) with
// 2400 volumes each (300 groups of 8): 1000 listeners, 1.2 M volume pairs.
func BenchmarkStart500Arrays(b *testing.B) {
	sc := "generate: {arrays: 500, groups_per_pair: 300, volumes_per_group: 8}\n"
	for b.Loop() {
		parsed, err := ParseScenario([]byte(sc), "bench.yml")
		if err != nil {
			b.Fatal(err)
		}
		s, err := Start(context.Background(), parsed, Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "MiB-heap")
		if out, st := s.Exec("sim-0499", "showrcopy groups rcg-299*"); st != 0 {
			b.Fatal(out)
		}
		if n := len(s.Arrays()); n != 500 {
			b.Fatal(fmt.Sprint(n, " arrays"))
		}
		s.Close()
	}
}
