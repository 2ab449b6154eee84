package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/collector"
)

// docs/metrics.md must name every series the exporter can emit, and no
// other: the probe series (collector.MetricNames) and the exporter's own.
func TestMetricsDocMatchesCode(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`("+collector.Namespace+"_[a-z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}

	code := map[string]bool{}
	for _, n := range collector.MetricNames() {
		code[n] = true
	}
	src := newClientSources(slog.New(slog.DiscardHandler))
	defer src.Close()
	e := newExporter(slog.New(slog.DiscardHandler), "unused.yml", "", false, 0, src)
	mfs, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), exporterNamespace+"_") {
			code[mf.GetName()] = true
		}
	}
	if len(code) < 20 {
		t.Fatalf("only %d names found in code", len(code))
	}
	var missing, extra []string
	for n := range code {
		if !documented[n] {
			missing = append(missing, n)
		}
	}
	for n := range documented {
		if !code[n] {
			extra = append(extra, n)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("series not documented in docs/metrics.md: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("docs/metrics.md names series the code does not emit: %v", extra)
	}
}

// repoRoot is the repository, from this package's directory.
const repoRoot = "../.."

// userDocs are the documents a user reads: README.md and docs/*.md.
func userDocs(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(docs) < 8 {
		t.Fatalf("docs/*.md: %v %v", docs, err)
	}
	return append([]string{filepath.Join(repoRoot, "README.md")}, docs...)
}

var (
	fence    = regexp.MustCompile("^\\s*(```|~~~)")
	mdLink   = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdAnchor = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// proseLines returns the lines of a Markdown file outside fenced code
// blocks, with inline code spans removed.
func proseLines(data []byte) []string {
	var out []string
	inFence := false
	for _, line := range strings.Split(string(data), "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if !inFence {
			out = append(out, regexp.MustCompile("`[^`]*`").ReplaceAllString(line, ""))
		}
	}
	return out
}

// anchors returns the fragment GitHub gives each heading of a Markdown
// file: lower case, punctuation dropped, spaces as hyphens, a repeated one
// numbered.
func anchors(data []byte) map[string]bool {
	out := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(string(data), "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		heading := strings.TrimSpace(strings.TrimLeft(line, "#"))
		slug := strings.ReplaceAll(mdAnchor.ReplaceAllString(strings.ToLower(heading), ""), " ", "-")
		for n, s := 0, slug; ; n++ {
			if !out[s] {
				out[s] = true
				break
			}
			s = fmt.Sprintf("%s-%d", slug, n+1)
		}
	}
	return out
}

// TestDocLinks: every relative link in README.md and docs/*.md names a
// file or directory of the repository, and every #fragment a heading of
// the Markdown file it points into.
func TestDocLinks(t *testing.T) {
	abs, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, doc := range userDocs(t) {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(repoRoot, doc)
		for _, line := range proseLines(data) {
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				link := m[1]
				if u, err := url.Parse(link); err != nil || u.Scheme != "" {
					continue // http(s), mailto
				}
				path, fragment, _ := strings.Cut(link, "#")
				target := doc
				if path != "" {
					target = filepath.Join(filepath.Dir(doc), path)
					rel, err := filepath.Rel(abs, mustAbs(t, target))
					if err != nil || strings.HasPrefix(rel, "..") {
						t.Errorf("%s: link %s leaves the repository", name, link)
						continue
					}
					if _, err := os.Stat(target); err != nil {
						t.Errorf("%s: link %s: no such file in the repository", name, link)
						continue
					}
				}
				checked++
				if fragment == "" || !strings.HasSuffix(target, ".md") {
					continue
				}
				targetData, err := os.ReadFile(target)
				if err != nil {
					t.Fatal(err)
				}
				if !anchors(targetData)[fragment] {
					t.Errorf("%s: link %s: %s has no heading #%s", name, link, filepath.Base(target), fragment)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d relative links checked; is the link pattern broken?", checked)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDocsCiteOnlyTheRepository: the documents a user gets (README, docs,
// examples, the state tables) name no file that is not in the repository
// (the design notes and reference notes live elsewhere) and no path of a
// development machine.
func TestDocsCiteOnlyTheRepository(t *testing.T) {
	files := userDocs(t)
	for _, pattern := range []string{"examples/*", "examples/*/*", "expected/tables.yaml", "alerts/rcopy.rules.yml"} {
		more, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, more...)
	}
	outside := regexp.MustCompile(`DESIGN(\.md|'s)|STANDARDS\.md|STYLE\.md|cim-remote-copy\.md|showrcopy-format\.md|cim-xml\.md|/work/|/home/[a-z]|/Users/[A-Za-z]`)
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.IsDir() || strings.HasSuffix(f, ".png") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := outside.FindString(line); m != "" {
				name, _ := filepath.Rel(repoRoot, f)
				t.Errorf("%s:%d: cites %q, which is not in the repository: %s", name, i+1, m, strings.TrimSpace(line))
			}
		}
	}
}

// TestReadmeFirstScreen: the README fits the first screens a newcomer
// reads, and opens with the two commands, the second being exactly the
// test command CI runs.
func TestReadmeFirstScreen(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n >= 250 {
		t.Errorf("README.md has %d lines; keep it under 250 and move the rest to docs/", n)
	}
	ci, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(ci), "echo \"== tests (the README's test command)\"\n")
	if !ok {
		t.Fatal(".ci/run no longer marks the README's test command")
	}
	ciTest, _, _ := strings.Cut(after, "\n")
	_, block, ok := strings.Cut(string(readme), "```sh\n")
	if !ok {
		t.Fatal("README.md has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	var commands []string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		commands = append(commands, strings.TrimSpace(cmd))
	}
	if want := []string{"go run ./cmd/exporter --simulate", strings.TrimSpace(ciTest)}; !slices.Equal(commands, want) {
		t.Errorf("README.md's first commands %q, want %q (the second as .ci/run runs it)", commands, want)
	}
}
