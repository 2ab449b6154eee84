package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestCommitReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if _, err := f.Write([]byte("new report")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("before Commit the destination holds %q, want the old content", b)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: nothing to do, must not remove the file
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new report" {
		t.Fatalf("after Commit: %q, %v", b, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the replaced file's 0600", st.Mode().Perm())
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only report.html", names)
	}
	if err := f.Commit(); err == nil {
		t.Error("a second Commit must fail")
	}
}

// An aborted write (a run that failed or was interrupted before its report
// was complete) leaves the old file and no temporary file.
func TestAbortKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half a rep"))
	f.Abort()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("destination %q, want old", b)
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v after Abort", names)
	}
}

func TestCreateNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.json")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("{}\n"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{}\n" {
		t.Errorf("got %q", b)
	}
}

func TestCreateFailsEarly(t *testing.T) {
	dir := t.TempDir()
	for name, path := range map[string]string{
		"missing directory": filepath.Join(dir, "no", "such", "dir", "r.html"),
		"a directory":       dir,
		"no file name":      dir + string(filepath.Separator),
	} {
		if f, err := Create(path); err == nil {
			f.Abort()
			t.Errorf("%s: Create(%q) succeeded", name, path)
		}
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("failed Creates left %v", names)
	}
}
