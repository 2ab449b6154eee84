package conformance

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/internal/yamlfile"
)

func TestParseObserved(t *testing.T) {
	out := output(nil, group("g1", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced"), vol("v2", 2, "v2", 12, "Synced")))
	yamlText := `instances:
  - {group: g1, volume: v1, copy_state: Synchronized, sync_state: Synchronized, progress_status: Completed, role_reversed: false}
  - volume: v2
    copy_state: FailedOver
    sync_state: RestoreInProgress
    progress_status: 32770
    role_reversed: true
`
	obs, err := ParseObserved("cim.yaml", []byte(yamlText), out)
	if err != nil {
		t.Fatal(err)
	}
	want := []Observed{
		{Group: "g1", Volume: "v1", ObservedTriple: ObservedTriple{Triple: synced}},
		{Volume: "v2", ObservedTriple: ObservedTriple{Triple: triple(expected.CopyFailedover, expected.SyncRestoreInProgress, 0x8002, true)}},
	}
	if len(obs) != 2 || obs[0] != want[0] || obs[1] != want[1] {
		t.Errorf("got %+v, want %+v", obs, want)
	}
	jsonText := `{"instances": [{"volume": "v1", "copy_state": 4, "sync_state": 6, "progress_status": "Completed", "role_reversed": false}]}`
	if obs, err := ParseObserved("cim.json", []byte(jsonText), out); err != nil || len(obs) != 1 || obs[0].Triple != synced {
		t.Errorf("JSON: %+v %v", obs, err)
	}
	if obs, err := ParseObserved("cim.yaml", []byte("instances: []\n"), out); err != nil || obs == nil || len(obs) != 0 {
		t.Errorf("empty list must give a non-nil empty observation: %#v %v", obs, err)
	}
}

func TestParseObservedErrors(t *testing.T) {
	out := output(nil, group("g1", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced")))
	const ok = "  - volume: v1\n    copy_state: 4\n    sync_state: 6\n    progress_status: 2\n    role_reversed: false\n"
	cases := []struct{ name, text, want string }{
		{"unknown state name", "instances:\n" + strings.Replace(ok, "copy_state: 4", "copy_state: Synched", 1), `cim.yaml:3: unknown CopyState "Synched"`},
		{"progress status that is a copy state", "instances:\n" + strings.Replace(ok, "progress_status: 2", "progress_status: FailedOver", 1), `cim.yaml:5: unknown ProgressStatus "FailedOver"`},
		{"wrong type", "instances:\n" + strings.Replace(ok, "role_reversed: false", "role_reversed: 3", 1), "cim.yaml:6: cannot unmarshal"},
		{"state as a list", "instances:\n" + strings.Replace(ok, "sync_state: 6", "sync_state: [6]", 1), "cim.yaml:4: want a DMTF state name or number"},
		{"unknown key", "instances:\n" + ok + "    colour: red\n", "cim.yaml:7: unknown key \"colour\""},
		{"unknown top key", "instance: []\n", "cim.yaml:1: unknown key \"instance\""},
		{"unknown volume", "instances:\n" + ok + strings.Replace(ok, "v1", "v9", 1), "cim.yaml:7: volume v9 is not in the showrcopy output"},
		{"unknown group", "instances:\n" + strings.Replace(ok, "  - volume", "  - group: g2\n    volume", 1), "cim.yaml:2: group g2 is not in the showrcopy output"},
		{"missing field", "instances:\n  - {volume: v1, copy_state: 4, sync_state: 6, role_reversed: false}\n", "cim.yaml:2: volume v1: progress_status missing"},
		{"missing volume", "instances:\n  - {copy_state: 4, sync_state: 6, progress_status: 2, role_reversed: false}\n", "cim.yaml:2: instance without volume"},
		{"no instances", "{}\n", "cim.yaml:1: no `instances:` list"},
		{"empty", "", "cim.yaml:1: empty file"},
		{"broken yaml", "instances: [\n  - {volume: v1\n", "cim.yaml:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseObserved("cim.yaml", []byte(c.text), out)
			if err == nil || !strings.HasPrefix(err.Error(), "cim.yaml:") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
			var fe *yamlfile.FileError
			if !errors.As(err, &fe) {
				t.Errorf("not a FileError: %T", err)
			}
		})
	}
}

func TestLoadObserved(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cim.yaml")
	if err := os.WriteFile(p, []byte("instances:\n  - {volume: v1, copy_state: 4, sync_state: 6, progress_status: 2, role_reversed: false}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := output(nil, group("g1", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced")))
	if obs, err := LoadObserved(p, out); err != nil || len(obs) != 1 {
		t.Errorf("%v %v", obs, err)
	}
	if _, err := LoadObserved(p+".absent", out); err == nil {
		t.Error("absent file: no error")
	}
}

func FuzzParseObserved(f *testing.F) {
	f.Add([]byte("instances:\n  - {group: g1, volume: v1, copy_state: Synchronized, sync_state: 6, progress_status: Completed, role_reversed: false}\n"))
	f.Add([]byte(`{"instances": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out := output(nil, group("g1", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced")))
		obs, err := ParseObserved("f.yaml", data, out)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml:") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not one line naming the file: %q", err)
			}
			return
		}
		Evaluate([]Input{{Name: "a", Output: out, CIM: obs}}, Options{})
	})
}

func TestObservedTargetMustBeListed(t *testing.T) {
	out := output([]string{"A=failed", "C=ready"},
		group("g", "A", "Stopped", "Secondary", vol("v1", 1, "v1", 11, "Stopped")),
		group("g", "C", "Backup", "Secondary", vol("v1", 1, "v1", 21, "Synced")),
		group("h", "A", "Stopped", "Secondary", vol("w1", 2, "w1", 12, "Stopped")),
	)
	const triple = "copy_state: Broken, sync_state: Broken, progress_status: Completed, role_reversed: false"
	for _, c := range []struct{ instance, err string }{
		{"{volume: v1, target: C, " + triple + "}", ""},
		{"{group: g, volume: v1, target: A, " + triple + "}", ""},
		{"{volume: v1, target: B, " + triple + "}", "f.yaml:2: target B is the target of no group"},
		{"{group: h, volume: w1, target: C, " + triple + "}", "f.yaml:2: group h is not listed for target C"},
	} {
		obs, err := ParseObserved("f.yaml", []byte("instances:\n  - "+c.instance+"\n"), out)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.instance, err)
		case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("%s: error %v, want %q", c.instance, err, c.err)
		case c.err == "" && obs[0].Target == "":
			t.Errorf("%s: target not kept", c.instance)
		}
	}
}
