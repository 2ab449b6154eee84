package alerts

import (
	"debug/buildinfo"
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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

	// The image builds with exactly the Go release go.mod's toolchain line
	// names (the one CI builds, tests and runs govulncheck with).
	toolchain := goModToolchain(t)
	if !regexp.MustCompile(`^golang:` + regexp.QuoteMeta(strings.TrimPrefix(toolchain, "go")) + `-[a-z0-9.]+ AS build$`).MatchString(build.from) {
		t.Errorf("build stage FROM %q, want golang:%s-<distribution> AS build (go.mod: toolchain %s)", build.from, strings.TrimPrefix(toolchain, "go"), toolchain)
	}
	if env := stageEnv(t, build); env["GOTOOLCHAIN"] != "local" || env["CGO_ENABLED"] != "0" {
		t.Errorf("build stage ENV %v, want GOTOOLCHAIN=local (the image's Go, nothing fetched) and CGO_ENABLED=0 (static binaries)", env)
	}

	var buildCmd string
	for _, run := range build.find("RUN") {
		if strings.Contains(run, "go build") {
			buildCmd = run
		}
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

// goModToolchain returns go.mod's toolchain line ("go1.26.10").
func goModToolchain(t *testing.T) string {
	t.Helper()
	goMod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^toolchain (go\d+\.\d+\.\d+)\s*$`).FindSubmatch(goMod)
	if m == nil {
		t.Fatal("go.mod has no toolchain line (toolchain go1.N.P): builds from source would use whatever Go is installed")
	}
	return string(m[1])
}

// stageEnv returns the variables a stage's ARG (with their defaults) and
// ENV instructions set, in the KEY=VALUE forms this Dockerfile uses.
func stageEnv(t *testing.T, s dockerStage) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, in := range s.instructions {
		keyword, rest, _ := strings.Cut(in, " ")
		if keyword != "ARG" && keyword != "ENV" {
			continue
		}
		for _, kv := range strings.Fields(rest) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.ContainsAny(v, `"'$`) {
				t.Fatalf("Dockerfile: %s %s: this check reads only KEY=VALUE with plain values", keyword, rest)
			}
			env[k] = v
		}
	}
	return env
}

// TestDockerfileBuildSteps runs the build stage's RUN commands as the image
// build would (its ARG defaults and ENV, the Go release of its FROM tag,
// the output directory moved into a temporary one) and checks what comes
// out: the binaries the final stage copies, static (no ELF interpreter, no
// shared libraries), stamped with the version the ldflags set, and an
// exporter that accepts the shipped example configuration laid out where
// the final stage's ENTRYPOINT looks for it. The image itself is not built
// here (no Docker engine in CI).
func TestDockerfileBuildSteps(t *testing.T) {
	stages := readDockerfile(t)
	build, final := stages[0], stages[len(stages)-1]
	out := t.TempDir()
	env := stageEnv(t, build)
	// The image's Go is the release of its tag; outside the image the go
	// command fetches that release (GOTOOLCHAIN names it instead of local).
	release := regexp.MustCompile(`^golang:(\d+\.\d+\.\d+)-`).FindStringSubmatch(build.from)
	if release == nil {
		t.Fatalf("build stage FROM %q names no Go release", build.from)
	}
	env["GOTOOLCHAIN"] = "go" + release[1]
	environ := os.Environ()
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	ran := 0
	for _, run := range build.find("RUN") {
		if !strings.HasPrefix(run, "go ") {
			t.Fatalf("build stage RUN %q: this check runs go commands only", run)
		}
		command := strings.ReplaceAll(run, " /out/", " "+out+"/")
		cmd := exec.Command("sh", "-c", command)
		cmd.Dir, cmd.Env = repoRoot, environ
		start := time.Now()
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("RUN %s: %v\n%s", run, err, b)
		}
		t.Logf("RUN %s: %s", run, time.Since(start).Round(time.Second))
		ran++
	}
	if ran == 0 {
		t.Fatal("the build stage runs nothing")
	}

	var copied []string
	for _, c := range final.find("COPY") {
		if f := strings.Fields(c); len(f) > 2 && f[0] == "--from=build" {
			for _, src := range f[1 : len(f)-1] {
				copied = append(copied, filepath.Join(out, strings.TrimPrefix(src, "/out/")))
			}
		}
	}
	if len(copied) != 3 {
		t.Fatalf("final stage copies %v from the build stage, want exporter, checker and fakearray", copied)
	}
	for _, c := range final.find("COPY") {
		if f := strings.Fields(c); !strings.HasPrefix(f[0], "--from=") {
			for _, src := range f[:len(f)-1] {
				if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
					t.Errorf("final stage: COPY %s: %v", c, err)
				}
			}
		}
	}
	for _, bin := range copied {
		checkStatic(t, bin)
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
		if info.GoVersion != env["GOTOOLCHAIN"] {
			t.Errorf("%s built with %s, want %s", filepath.Base(bin), info.GoVersion, env["GOTOOLCHAIN"])
		}
		b, err := exec.Command(bin, "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --version: %v\n%s", bin, err, b)
		}
		for _, want := range []string{`, version ` + env["VERSION"] + ` `, `revision: ` + env["REVISION"] + `\)`, `build user:\s+docker\n`} {
			if !regexp.MustCompile(want).Match(b) {
				t.Errorf("%s --version does not match %q (the ldflags' -X paths):\n%s", filepath.Base(bin), want, b)
			}
		}
	}

	// The ENTRYPOINT's configuration file sits in the WORKDIR, where
	// examples/rcopy.yml says its relative paths point; the built exporter
	// accepts the example there.
	entry := final.find("ENTRYPOINT")
	workdir := final.find("WORKDIR")
	if len(entry) != 1 || len(workdir) != 1 {
		t.Fatalf("final stage: ENTRYPOINT %q, WORKDIR %q; want one each", entry, workdir)
	}
	configFlag := regexp.MustCompile(`"--config\.file=([^"]+)"`).FindStringSubmatch(entry[0])
	if configFlag == nil || filepath.Dir(configFlag[1]) != workdir[0] {
		t.Fatalf("ENTRYPOINT %s: want --config.file=%s/<file>", entry[0], workdir[0])
	}
	etc := filepath.Join(t.TempDir(), workdir[0])
	example, err := os.ReadFile(exampleExporter)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{filepath.Base(configFlag[1]): string(example), "password": "example-only\n", "known_hosts": ""} {
		if err := os.MkdirAll(etc, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check := exec.Command(filepath.Join(out, "exporter"), "--config.file="+filepath.Join(etc, filepath.Base(configFlag[1])), "--config.check")
	check.Dir = etc
	if b, err := check.CombinedOutput(); err != nil {
		t.Errorf("the image's exporter does not accept examples/rcopy.yml in %s: %v\n%s", workdir[0], err, b)
	}
}

// checkStatic fails unless bin is an ELF executable that needs no dynamic
// loader and no shared library: what runs on distroless/static.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s is dynamically linked (program header %s)", filepath.Base(bin), p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v", filepath.Base(bin), libs)
	}
}
