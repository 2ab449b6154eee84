package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden testdata/*.json files from the parser's output")

// fixtures returns the paths of the good fixtures, testdata/*.txt.
func fixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata: %v", err)
	}
	return files
}

// TestGolden parses every fixture and compares the JSON with its golden
// file; run `go test ./parser -update` to rewrite them after a change,
// then review the diff.
func TestGolden(t *testing.T) {
	for _, in := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".txt")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(in, ".txt") + ".json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update and review the diff):\n%s", golden, got)
			}
		})
	}
}

// TestBad checks that malformed input gives an *Error on the right line
// with a message saying what was expected, and no model.
func TestBad(t *testing.T) {
	cases := []struct {
		file string
		line int
		msg  string
	}{}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "bad", c.file))
			if err != nil {
				t.Fatal(err)
			}
			out, err := Parse(data)
			if out != nil {
				t.Errorf("got a model with the error")
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("want *Error, got %T %v", err, err)
			}
			if pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) {
				t.Errorf("got %q, want line %d with %q", pe.Error(), c.line, c.msg)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.txt"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no expected error in TestBad", f)
		}
	}
}
