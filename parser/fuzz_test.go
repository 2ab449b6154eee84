package parser

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds the parser arbitrary input, seeded with every fixture,
// and checks its promises: no panic; either a sane model or an *Error on a
// line of the input with a one-line message, never both.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	bad, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.txt"))
	for _, p := range append(seeds, bad...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(generate(3, 2, false))
	f.Add(generate(3, 2, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Parse(data)
		if err != nil {
			if out != nil {
				t.Fatalf("model returned with error %v", err)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, want *Error: %v", err, err)
			}
			lines := strings.Count(string(data), "\n") + 1
			if pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error on line %d of a %d-line input: %v", pe.Line, lines, err)
			}
			if pe.Msg == "" || strings.ContainsAny(pe.Msg, "\r\n") {
				t.Fatalf("message must be one non-empty line: %q", pe.Msg)
			}
			return
		}
		checkSane(t, out)
	})
}

// checkSane checks the promises of a successful Parse.
func checkSane(t *testing.T, out *Output) {
	t.Helper()
	if out == nil {
		t.Fatal("nil model without error")
	}
	if out.Targets == nil || out.Links == nil || out.Groups == nil {
		t.Fatal("a section slice is nil")
	}
	for _, g := range out.Groups {
		if g.Volumes == nil || g.Options == nil {
			t.Fatalf("group %q: nil Volumes or Options", g.Name)
		}
		if g.Name == "" || g.Target == "" || g.Status == "" || g.Role == "" || g.Mode == "" {
			t.Fatalf("group with an empty required field: %+v", g)
		}
		for _, v := range g.Volumes {
			if v.LocalVV == "" || v.RemoteVV == "" || v.SyncStatus == "" || v.LocalID < 0 || v.RemoteID < 0 {
				t.Fatalf("group %q: volume with an empty required field: %+v", g.Name, v)
			}
			if v.LastSyncTime != nil && *v.LastSyncTime == "NA" {
				t.Fatalf("NA kept as a time: %+v", v)
			}
		}
	}
	js, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var back Output
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("JSON does not read back: %v", err)
	}
}
