package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/threepar/rcopy-exporter/internal/texttable"
)

// TestUsage: --help, -h and help print the usage once on stdout and exit 0;
// --version prints the version only; no subcommand is an error: exit 2,
// the usage on stderr and a line saying what is missing.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errOut := runChecker(t, args...)
		if code != exitConforms || errOut != "" || strings.Count(out, "usage: checker") != 1 || !strings.Contains(out, "simulate") {
			t.Errorf("checker %s: exit %d, %d copies of the usage, stderr %q:\n%s", strings.Join(args, " "), code, strings.Count(out, "usage: checker"), errOut, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--help"}, "usage: checker check"},
		{[]string{"help", "expect"}, "usage: checker expect"},
		{[]string{"expect", "--help"}, "usage: checker expect"}, // despite its required flags
	} {
		code, out, errOut := runChecker(t, c.args...)
		if code != exitConforms || errOut != "" || strings.Count(out, "usage: checker") != 1 || !strings.Contains(out, c.want) {
			t.Errorf("checker %s: exit %d, stderr %q; want the usage of one command:\n%s", strings.Join(c.args, " "), code, errOut, out)
		}
	}
	code, out, errOut := runChecker(t, "--version")
	if code != exitConforms || errOut != "" || !strings.HasPrefix(out, "checker, version ") || strings.Contains(out, "usage") {
		t.Errorf("--version: exit %d stderr %q:\n%s", code, errOut, out)
	}
	code, out, errOut = runChecker(t)
	if code != exitCouldNotRun || out != "" || strings.Count(errOut, "usage: checker") != 1 ||
		!strings.HasSuffix(errOut, "\nchecker: a subcommand is required\n") {
		t.Errorf("no subcommand: exit %d stdout %q stderr:\n%s", code, out, errOut)
	}
}

// TestErrorLinesHavePrefix: every way the checker fails to run ends in
// exit 2 and lines on stderr that each start with "checker: " (bad input
// as "checker: FILE:LINE: msg").
func TestErrorLinesHavePrefix(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the last line
	}{
		{[]string{"bogus"}, `expected command but got "bogus"`},
		{[]string{"parse", "testdata/parse_truncated.txt"}, "checker: testdata/parse_truncated.txt:10: "},
		{[]string{"parse", "testdata/no-such-file.txt"}, "checker: testdata/no-such-file.txt: cannot read: "},
		{[]string{"check", "--showrcopy", "testdata/parse_truncated.txt"}, "checker: testdata/parse_truncated.txt:10: "},
		{[]string{"check", "--showrcopy", "testdata/parse_primary.json"}, "checker: testdata/parse_primary.json:1: "},
		{[]string{"check"}, "checker: check needs --showrcopy"},
		{[]string{"check", "--config", "testdata/no-such.yml", "--target", "a"}, "checker: testdata/no-such.yml: "},
		{[]string{"expect", "--role", "Primary"}, "checker: required flag(s) '--sync-status' not provided"},
		{[]string{"expect", "--role", "Primary", "--sync-status", "Synced", "--table", "testdata/parse_truncated.txt"}, "checker: testdata/parse_truncated.txt:"},
		{[]string{"simulate", "--inject", "bogus"}, `checker: simulate: --inject "bogus": unknown fault "bogus"`},
		{[]string{"simulate", "--inject", "sim-c:split-brain"}, `checker: simulate: --inject "sim-c:split-brain": unknown array "sim-c" (arrays: sim-a, sim-b)`},
		{[]string{"drill"}, "checker: drill: needs --config"},
	} {
		code, _, errOut := runChecker(t, c.args...)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if code != exitCouldNotRun || !strings.Contains(lines[len(lines)-1], c.want) {
			t.Errorf("checker %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "checker: ") {
				t.Errorf("checker %s: stderr line %q does not start with \"checker: \"", strings.Join(c.args, " "), l)
			}
		}
		if strings.Count(errOut, "cim-copy-state-mismatch") > 1 {
			t.Errorf("checker %s: the faults are listed more than once: %s", strings.Join(c.args, " "), errOut)
		}
	}
}

// The fault names of checker simulate --inject are fakearray's: a bare
// FAULT reaches both arrays, ARRAY:FAULT one (the walk's report says which
// array fails).
func TestSimulateInjectScopes(t *testing.T) {
	var errb bytes.Buffer
	code, out := runCmd(context.Background(), &errb, "simulate", "--inject", "sim-b:cim-copy-state-mismatch", "--format", "json")
	if code != exitNonConform {
		t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
	}
	w := decodeWalk(t, out)
	failing := map[string]bool{}
	for _, s := range w.Steps {
		for _, f := range s.Findings {
			if f.Verdict == "mismatch" {
				failing[f.Array] = true
			}
		}
	}
	if !failing["sim-b"] || failing["sim-a"] {
		t.Errorf("sim-b:cim-copy-state-mismatch: mismatches on %v, want sim-b only", failing)
	}
}

// TestTextReportsFitWidth: the text reports a person reads in a terminal
// or a CI log have no line wider than texttable.Width columns: a walk with
// split brain (long reasons, many failing steps) and checks of a pair with
// CIM, with a pair inconsistency and with long rows lists.
func TestTextReportsFitWidth(t *testing.T) {
	runs := [][]string{
		{"simulate", "--inject", "split-brain"},
		{"simulate", "--inject", "sim-b:no-role-reversal"},
		{"simulate", "--scenario", "sld", "--inject", "sld-a:split-brain"},
		{"check", "--showrcopy", td + "array-a.txt", "--showrcopy", td + "array-b.txt", "--cim", td + "array-a-cim.yaml", "--cim", td + "array-b-cim.json"},
		{"check", "--showrcopy", td + "array-b.txt", "--showrcopy", td + "failover-b.txt", "--cim", "", "--cim", td + "failover-b-cim.yaml"},
		{"check", "--showrcopy", td + "sld-c.txt", "--strict"},
	}
	for _, args := range runs {
		var errb bytes.Buffer
		code, out := runCmd(context.Background(), &errb, args...)
		if code == exitCouldNotRun || out == "" {
			t.Fatalf("checker %s: exit %d, stderr %s", strings.Join(args, " "), code, errb.String())
		}
		for i, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > texttable.Width {
				t.Errorf("checker %s: line %d has %d columns: %q", strings.Join(args, " "), i+1, n, l)
			}
		}
	}
}
