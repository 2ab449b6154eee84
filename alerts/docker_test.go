package alerts

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// No Docker engine runs in CI, so the Dockerfile is checked statically
// against the facts it depends on: go.mod's Go version, the commands it
// builds, the exporter's port and config path, and a .dockerignore that
// leaves every source file in the build context.

const repoRoot = ".."

type dockerStage struct {
	from         string
	instructions []string // "RUN ...", "USER ..." with continuation lines joined
}

func readDockerfile(t *testing.T) []dockerStage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var stages []dockerStage
	var pending string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if pending == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			pending += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		instr := pending + trimmed
		pending = ""
		if strings.HasPrefix(instr, "FROM ") {
			stages = append(stages, dockerStage{from: strings.TrimPrefix(instr, "FROM ")})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %q before the first FROM", instr)
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, instr)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a small final stage", len(stages))
	}
	return stages
}

func (s dockerStage) find(keyword string) []string {
	var out []string
	for _, in := range s.instructions {
		if strings.HasPrefix(in, keyword+" ") {
			out = append(out, strings.TrimPrefix(in, keyword+" "))
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages := readDockerfile(t)
	build, final := stages[0], stages[len(stages)-1]

	goMod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	if want := "golang:" + string(m[1]) + " AS build"; build.from != want {
		t.Errorf("build stage FROM %q, want %q (go.mod says go %s)", build.from, want, m[1])
	}

	var buildCmd string
	for _, run := range build.find("RUN") {
		if strings.Contains(run, "go build") {
			buildCmd = run
		}
	}
	if !strings.Contains(buildCmd, "CGO_ENABLED=0") {
		t.Errorf("go build without CGO_ENABLED=0 (static binaries): %q", buildCmd)
	}
	for _, cmd := range []string{"exporter", "checker", "fakearray"} {
		if !strings.Contains(buildCmd, "./cmd/"+cmd) {
			t.Errorf("go build does not build ./cmd/%s: %q", cmd, buildCmd)
		}
		if st, err := os.Stat(filepath.Join(repoRoot, "cmd", cmd)); err != nil || !st.IsDir() {
			t.Errorf("Dockerfile builds ./cmd/%s, which does not exist", cmd)
		}
		if copies := strings.Join(final.find("COPY"), " "); !strings.Contains(copies, "/out/"+cmd) {
			t.Errorf("final stage does not copy %s: COPY %s", cmd, copies)
		}
	}

	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") && !strings.HasPrefix(final.from, "alpine") {
		t.Errorf("final stage FROM %q, want a small base (distroless/static or alpine)", final.from)
	}
	users := final.find("USER")
	if len(users) == 0 {
		t.Error("final stage sets no USER; the exporter must not run as root")
	}
	for _, u := range users {
		if name, _, _ := strings.Cut(u, ":"); name == "root" || name == "0" {
			t.Errorf("final stage runs as %q", u)
		}
	}
	exporterMain, err := os.ReadFile(filepath.Join(repoRoot, "cmd", "exporter", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(exporterMain), `":9840"`) {
		t.Error(`cmd/exporter/main.go no longer listens on ":9840" by default; update EXPOSE, README and examples`)
	}
	if expose := final.find("EXPOSE"); len(expose) != 1 || expose[0] != "9840" {
		t.Errorf("EXPOSE %q, want 9840", expose)
	}
	entry := final.find("ENTRYPOINT")
	if want := `["/usr/local/bin/exporter", "--config.file=/etc/rcopy-exporter/rcopy.yml"]`; len(entry) != 1 || entry[0] != want {
		t.Errorf("ENTRYPOINT %q, want %s", entry, want)
	}
}

// TestDockerignoreKeepsSources: no .dockerignore pattern drops go.mod,
// go.sum, a Go source file or a file the sources embed.
func TestDockerignoreKeepsSources(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		if p := strings.TrimSpace(line); p != "" && !strings.HasPrefix(p, "#") {
			if strings.HasPrefix(p, "!") {
				t.Fatalf(".dockerignore: exceptions (%s) are not supported by this check", p)
			}
			patterns = append(patterns, strings.TrimPrefix(p, "/"))
		}
	}
	embed := regexp.MustCompile(`(?m)^//go:embed (.+)$`)
	needed := []string{"go.mod", "go.sum"}
	err = filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		needed = append(needed, filepath.ToSlash(rel))
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range embed.FindAllStringSubmatch(string(src), -1) {
			for _, f := range strings.Fields(m[1]) {
				needed = append(needed, filepath.ToSlash(filepath.Join(filepath.Dir(rel), f)))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(needed) < 10 {
		t.Fatalf("found only %d source files; is the walk broken?", len(needed))
	}
	for _, file := range needed {
		for _, p := range patterns {
			if dockerignoreMatches(p, file) {
				t.Errorf(".dockerignore pattern %q drops %s, which the build needs", p, file)
			}
		}
	}
	for file, want := range map[string]bool{".git/config": true, "cmd/checker/checker": true, "checker": true, "fakearray/sim.go": false} {
		if got := anyMatch(patterns, file); got != want {
			t.Errorf("dockerignore excludes %s: %v, want %v", file, got, want)
		}
	}
}

func anyMatch(patterns []string, file string) bool {
	for _, p := range patterns {
		if dockerignoreMatches(p, file) {
			return true
		}
	}
	return false
}

// dockerignoreMatches reports whether pattern excludes file (slash
// separated, relative to the context): the pattern matches the file or one
// of its parent directories; a leading "**/" matches at any depth.
func dockerignoreMatches(pattern, file string) bool {
	parts := strings.Split(file, "/")
	anyDepth := strings.HasPrefix(pattern, "**/")
	pattern = strings.TrimPrefix(pattern, "**/")
	for start := 0; start < len(parts); start++ {
		if start > 0 && !anyDepth {
			break
		}
		for end := start + 1; end <= len(parts); end++ {
			if ok, _ := filepath.Match(pattern, strings.Join(parts[start:end], "/")); ok {
				return true
			}
		}
	}
	return false
}
