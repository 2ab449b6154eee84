package conformance

import (
	"fmt"
	"io"
	"testing"

	"github.com/threepar/rcopy-exporter/parser"
)

// A pair with 2400 volumes per array (120 groups of 20), CIM on both sides.
func benchArrays() []Input {
	var ga, gb []parser.Group
	var oa, ob []Observed
	for g := range 120 {
		var va, vb []parser.Volume
		for v := range 20 {
			name := fmt.Sprintf("vv%03d-%02d", g, v)
			id := g*20 + v
			va = append(va, vol(name, id, name, 10000+id, "Synced"))
			vb = append(vb, vol(name, 10000+id, name, id, "Synced"))
			oa = append(oa, Observed{Volume: name, ObservedTriple: ObservedTriple{Triple: synced}})
			ob = append(ob, Observed{Volume: name, ObservedTriple: ObservedTriple{Triple: synced}})
		}
		ga = append(ga, group(fmt.Sprintf("g%03d", g), "B", "Started", "Primary", va...))
		gb = append(gb, group(fmt.Sprintf("g%03d.r1", g), "A", "Started", "Secondary", vb...))
	}
	return []Input{
		{Name: "A", Output: output([]string{"B=ready"}, ga...), CIM: oa},
		{Name: "B", Output: output([]string{"A=ready"}, gb...), CIM: ob},
	}
}

func BenchmarkEvaluatePair2400(b *testing.B) {
	arrays := benchArrays()
	b.ReportAllocs()
	for b.Loop() {
		if r := Evaluate(arrays, Options{}); !r.Conformant || len(r.Findings) != 4800+120 {
			b.Fatalf("conformant %t, %d findings", r.Conformant, len(r.Findings))
		}
	}
}

func BenchmarkWriteJSON2400(b *testing.B) {
	r := Evaluate(benchArrays(), Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteJSON(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// The text report of the same pair (laid out within texttable.Width).
func BenchmarkWriteText2400(b *testing.B) {
	r := Evaluate(benchArrays(), Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteText(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
