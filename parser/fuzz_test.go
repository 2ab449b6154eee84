package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// FuzzParse feeds the parser arbitrary input, seeded with every fixture
// (each form of the format has one) and a few short forms, and checks its
// promises: no panic; either a sane model, whose warnings name lines of
// the input in order with one-line messages, or an *Error on a line of the
// input with a one-line message, never both; and the same answer with CRLF
// line ends.
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
	for _, s := range []string{
		"Target,Node,Address,Status,Options\nt,<>,<>,Up,\n",
		"Target\tNode\tAddress\tStatus\tOptions\nt\t<>\t<>\t\tUp\t\t-\n",
		"Name ID Type Status Options Policy\nt 1 IP ready 5120KB/s tput mirror_config\nTarget Node Address Status Options VLAN\nt 0:1:1 x Up 5120KB/s tput -\n",
		"Name Target Status Role Mode Options\ng t Started Primary Sync\nName Target Status Role Mode Options\nh t Started Primary Sync\n LocalVV ID RemoteVV ID SyncStatus LastSyncTime\n v 1 v 2 Syncing (20%) NA\n",
		"Group Information\nName,Target,Status,Role,Mode,Options\ng,t,Started,Primary,Sync,\n,LocalVV,ID,RemoteVV,ID,SyncStatus,LastSyncTime\n,v,1,v,2,Syncing(7.5%),NA\n",
		"Quorum Witness Information\nA B\n1 2\nLink Information\nTarget Node Address Status Options\nt 0:1:1 10.0.0.1 Up -\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Parse(data)
		crlf, crlfErr := Parse(bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")))
		if (err == nil) != (crlfErr == nil) || (err != nil && err.Error() != crlfErr.Error()) {
			t.Fatalf("CRLF line ends change the answer: %v, then %v", err, crlfErr)
		}
		if err == nil && !reflect.DeepEqual(out, crlf) {
			t.Fatalf("CRLF line ends change the model:\n%+v\n%+v", out, crlf)
		}
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
		lines := strings.Count(string(data), "\n") + 1
		last := 0
		for _, w := range out.Warnings {
			if w.Line < max(1, last) || w.Line > lines {
				t.Fatalf("warning on line %d (after one on line %d) of a %d-line input: %+v", w.Line, last, lines, w)
			}
			last = w.Line
		}
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
	if len(out.Warnings) > maxWarnings+1 || out.SkippedRows() < 0 {
		t.Fatalf("%d warnings, %d rows left out", len(out.Warnings), out.SkippedRows())
	}
	for _, w := range out.Warnings {
		if w.Line < 1 || w.Msg == "" || strings.ContainsFunc(w.Msg, unicode.IsControl) {
			t.Fatalf("warning not on a line or not one line: %+v", w)
		}
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
			if p := v.SyncPercent; p != nil && (*p < 0 || *p > 100 || strings.ContainsAny(v.SyncStatus, "( \t")) {
				t.Fatalf("percentage read wrongly: %q %v", v.SyncStatus, *p)
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
