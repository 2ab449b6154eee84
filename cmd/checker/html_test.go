package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// What varies between two runs of the same walk: times and durations
// (every one is a <time> element) and the loopback ports of the simulator.
var (
	timeElement  = regexp.MustCompile(`<time datetime="[^"]*">[^<]*</time>`)
	loopbackPort = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
)

func normalizeHTML(s string) string {
	s = timeElement.ReplaceAllString(s, `<time>TIME</time>`)
	return loopbackPort.ReplaceAllString(s, "127.0.0.1:PORT")
}

// htmlCase is one of the three reports the documentation shows.
type htmlCase struct {
	name       string
	conformant bool
	steps      []string // the names of the steps walked
	run        func(t *testing.T) string
}

func htmlCases() []htmlCase {
	var all, stopped []string
	for _, s := range drill.Sequence() {
		all = append(all, s.Name)
	}
	for _, s := range drill.MainPath()[:3] {
		stopped = append(stopped, s.Name)
	}
	return []htmlCase{
		{"simulate", true, all, func(t *testing.T) string { return simulateHTML(t, exitConforms) }},
		{"simulate-split-brain", false, all, func(t *testing.T) string { return simulateHTML(t, exitNonConform, "--inject", "split-brain") }},
		{"drill-stopped", false, stopped, drillStoppedHTML},
	}
}

func simulateHTML(t *testing.T, want int, args ...string) string {
	t.Helper()
	var errb bytes.Buffer
	code, out := runCmd(context.Background(), &errb, append([]string{"simulate", "--format", "html"}, args...)...)
	if code != want {
		t.Fatalf("exit %d, want %d; stderr %s", code, want, errb.String())
	}
	return out
}

// drillStoppedHTML runs a lab drill that stops: sim-b's failover leaves
// the role Secondary (no-role-reversal), so failover-issued never shows
// T110-2 and times out. The operator (this test) takes sim-a down when
// asked. The report goes to a file through --output.
func drillStoppedHTML(t *testing.T) string {
	l := startLab(t, labOptions{secondary: true, faults: []string{"sim-b:" + fakearray.FaultNoRoleReversal}})
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ACTION: take sim-a down") {
				l.sim.ArrayDown("sim-a")
			}
		}
	}()
	path := filepath.Join(t.TempDir(), "drill.html")
	code, out := runCmd(context.Background(), pw, drillArgs(l, "--allow-changes", "--step-timeout", "2s", "--format", "html", "--output", path)...)
	pw.Close()
	<-done
	if code != exitNonConform || out != "" {
		t.Fatalf("exit %d (want 1), stdout %q (want nothing: the report goes to --output)", code, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// external finds what a page would make a browser fetch: a src, href or
// action that is not an in-page anchor, a CSS url() or @import, or an
// element that loads something.
var (
	linkAttr   = regexp.MustCompile(`(?i)\b(src|srcset|href|xlink:href|action|poster|data|formaction)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	cssURL     = regexp.MustCompile(`(?i)url\(\s*['"]?([^'")]*)`)
	loadingTag = regexp.MustCompile(`(?i)<\s*(script|link|img|iframe|object|embed|image|use|audio|video|source|base|meta\s+http-equiv)\b|@import`)
)

func assertSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, m := range linkAttr.FindAllStringSubmatch(page, -1) {
		if v := strings.Trim(m[2], `"'`); !strings.HasPrefix(v, "#") {
			t.Errorf("the page refers to %s=%q", m[1], v)
		}
	}
	for _, m := range cssURL.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("CSS fetches url(%s)", m[1])
		}
	}
	if m := loadingTag.FindString(page); m != "" {
		t.Errorf("the page loads something: %q", m)
	}
}

// TestHTMLReports renders the three reports of the documentation: golden
// files (times and ports normalised), self-contained, and in a real
// headless Chromium: its DOM text holds the verdict and every step walked,
// the banner has the verdict's colour, the page prints on A4 landscape.
// The screenshots are test artifacts (go test -artifacts); -update copies
// them to docs/.
func TestHTMLReports(t *testing.T) {
	for _, c := range htmlCases() {
		t.Run(c.name, func(t *testing.T) {
			page := c.run(t)
			compareGoldenPage(t, filepath.Join("testdata", "html", c.name+".html"), normalizeHTML(page))
			assertSelfContained(t, page)
			headline := "NOT CONFORMANT"
			if c.conformant {
				headline = "CONFORMANT"
			}
			if !strings.Contains(page, "<h1>"+headline+"</h1>") {
				t.Errorf("no %s headline", headline)
			}

			dir := t.ArtifactDir()
			file := filepath.Join(dir, c.name+".html")
			if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			text := pageText(chromium(t, "--dump-dom", "file://"+file))
			if !strings.Contains(text, headline) || (c.conformant && strings.Contains(text, "NOT CONFORMANT")) {
				t.Errorf("Chromium's DOM text lacks the verdict %s:\n%.600s", headline, text)
			}
			for i, s := range c.steps {
				if !strings.Contains(text, fmt.Sprintf("%d. %s", i+1, s)) {
					t.Errorf("Chromium's DOM text lacks step %d %s", i+1, s)
				}
			}

			shot := filepath.Join(dir, "checker-report-"+c.name+".png")
			chromium(t, "--window-size=1200,1250", "--screenshot="+shot, "file://"+file)
			assertBannerColour(t, shot, c.conformant)
			if updating() {
				copyFile(t, shot, filepath.Join("..", "..", "docs", filepath.Base(shot)))
			}

			pdf := filepath.Join(dir, c.name+".pdf")
			chromium(t, "--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+file)
			assertA4Landscape(t, pdf)
		})
	}
}

// compareGoldenPage compares a page with its golden file (rewritten
// under -update) and shows the first line that differs: the pages are
// too long to print whole.
func compareGoldenPage(t *testing.T, path, got string) {
	t.Helper()
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if want := string(b); got != want {
		g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		line := func(ls []string) string {
			if i < len(ls) {
				return ls[i]
			}
			return "(end of page)"
		}
		t.Errorf("page differs from %s at line %d (go test -update rewrites it):\n--- got\n%.600s\n--- want\n%.600s", path, i+1, line(g), line(w))
	}
}

// chromium runs headless Chromium offline on a fresh profile and returns
// its stdout.
func chromium(t *testing.T, args ...string) string {
	t.Helper()
	bin := testtool.Require(t, "chromium")
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
		"--hide-scrollbars", "--force-color-profile=srgb", "--user-data-dir=" + t.TempDir()}
	// A bound only against a wedged browser, far above what a render takes.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

var (
	tag        = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)
	whitespace = regexp.MustCompile(`\s+`)
)

// pageText is the text of a serialised DOM, entities decoded.
func pageText(dom string) string {
	return whitespace.ReplaceAllString(html.UnescapeString(tag.ReplaceAllString(dom, " ")), " ")
}

// assertBannerColour checks the rendering itself: the verdict banner's
// left border has the verdict's colour (--ok #1a7f37, --bad #c0271d).
func assertBannerColour(t *testing.T, path string, conformant bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	want := [3]uint32{0xc0, 0x27, 0x1d}
	if conformant {
		want = [3]uint32{0x1a, 0x7f, 0x37}
	}
	n := 0
	for y := 20; y < 160; y++ {
		for x := 0; x < 120; x++ {
			if rgb(img, x, y) == want {
				n++
			}
		}
	}
	if n < 500 {
		t.Errorf("the screenshot's verdict banner has %d pixels of colour #%02x%02x%02x, want a border of them", n, want[0], want[1], want[2])
	}
}

func rgb(img image.Image, x, y int) [3]uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}

var mediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`)

// assertA4Landscape: every page Chromium printed is A4 landscape
// (842 x 595 points).
func assertA4Landscape(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	boxes := mediaBox.FindAllSubmatch(b, -1)
	if len(boxes) == 0 {
		t.Fatalf("%s has no page", path)
	}
	for _, m := range boxes {
		w, _ := strconv.ParseFloat(string(m[1]), 64)
		h, _ := strconv.ParseFloat(string(m[2]), 64)
		if w < 839 || w > 845 || h < 592 || h > 598 {
			t.Errorf("a page of %.1f x %.1f points, want A4 landscape (842 x 595)", w, h)
			break
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostile is a name with markup, quotes and control characters (ESC,
// BEL, NUL), as an array or a file might print it.
const hostile = "<script>alert(1)</script>\"q'\x1b[31m\x07\x00"

// TestHTMLEscapesArrayNames feeds showrcopy outputs whose group, volume
// and target names hold markup, quotes and control characters: the page
// shows them as text (control characters as \x1b, \x07, \x00) and holds no
// such tag or byte; Chromium's DOM has no script element and shows the
// text.
func TestHTMLEscapesArrayNames(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	b := filepath.Join(dir, "b.txt")
	show := func(target, group, role string) string {
		return "Remote Copy System Information\nStatus: Started, Normal\n\nTarget Information\n\n" +
			"Name ID Type Status Options Policy\n" + target + " 2 IP ready - mirror_config\n\nGroup Information\n\n" +
			"Name Target Status Role Mode Options\n" + group + " " + target + " Started " + role + " Sync\n" +
			"  LocalVV ID RemoteVV ID SyncStatus LastSyncTime\n  v" + hostile + " 101 v" + hostile + " 101 Synced NA\n"
	}
	if err := os.WriteFile(a, []byte(show("b"+hostile, hostile, "Primary")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(show("a"+hostile, hostile+".r42", "Secondary")), 0o644); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	code, page := runCmd(context.Background(), &errb, "check", "--showrcopy", a, "--showrcopy", b, "--format", "html")
	if code != exitConforms {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	if loc := regexp.MustCompile("[\x00-\x09\x0b-\x1f\x7f]").FindStringIndex(page); loc != nil {
		t.Errorf("raw control byte %q in the page: %q", page[loc[0]], page[max(loc[0]-60, 0):min(loc[1]+20, len(page))])
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("the page holds a <script tag")
	}
	escaped := `&lt;script&gt;alert(1)&lt;/script&gt;&#34;q&#39;\x1b[31m\x07\x00`
	for _, where := range []string{`<td class="group">` + escaped, `<td class="vols">v` + escaped, `→ b` + escaped, `<b>42</b>`} {
		if !strings.Contains(page, where) {
			t.Errorf("the page lacks %q", where)
		}
	}
	assertSelfContained(t, page)

	file := filepath.Join(t.TempDir(), "hostile.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := chromium(t, "--dump-dom", "file://"+file)
	if strings.Contains(strings.ToLower(dom), "<script") {
		t.Error("Chromium parsed a script element out of the page")
	}
	if text := pageText(dom); !strings.Contains(text, `<script>alert(1)</script>"q'\x1b[31m\x07\x00`) {
		t.Errorf("Chromium's text lacks the name as text:\n%.3000s", text)
	}
}

var (
	countsLine = regexp.MustCompile(`<p class="counts">([^<]*)</p>`)
	stepStatus = regexp.MustCompile(`<section class="step" id="s[0-9]+">\n<h3><span class="status [^"]*">([A-Z ]+)</span> <span>[0-9]+\. ([^<]*)</span>`)
)

// TestHTMLSameFindings: the page shows the judgement's findings, the same
// the JSON report holds: counts per verdict and each step's result.
func TestHTMLSameFindings(t *testing.T) {
	var errb bytes.Buffer
	code, js := runCmd(context.Background(), &errb, "simulate", "--inject", "split-brain", "--format", "json")
	if code != exitNonConform {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	page := simulateHTML(t, exitNonConform, "--inject", "split-brain")
	w := decodeWalk(t, js)
	counts := map[string]int{}
	total := 0
	var steps []string
	for _, s := range w.Steps {
		for _, f := range s.Findings {
			counts[strings.ReplaceAll(f.Verdict, "_", " ")]++
			total++
		}
		result := "PASS"
		switch {
		case !s.Conformant:
			result = "FAIL"
		case !s.Observed:
			result = "NOT OBSERVED"
		}
		steps = append(steps, result+" "+s.Name)
	}
	want := fmt.Sprintf("%d findings: ", total)
	var parts []string
	for _, v := range []string{"mismatch", "pair inconsistent", "not in table", "no observation", "match"} {
		if counts[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[v], v))
		}
	}
	want += strings.Join(parts, ", ")
	if m := countsLine.FindStringSubmatch(page); m == nil || m[1] != want {
		t.Errorf("counts %q, want (from the JSON report) %q", m, want)
	}
	var got []string
	for _, m := range stepStatus.FindAllStringSubmatch(page, -1) {
		got = append(got, m[1]+" "+m[2])
	}
	if strings.Join(got, "; ") != strings.Join(steps, "; ") {
		t.Errorf("steps in the page:\n%s\nin the JSON report:\n%s", strings.Join(got, "; "), strings.Join(steps, "; "))
	}
}

// TestOutputFile: --output writes the report of every format to the file
// (nothing on stdout) as the same bytes stdout would get; a run that
// cannot run to its report leaves the old file; a directory that cannot
// take the file fails before the run.
func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	args := []string{"check", "--showrcopy", td + "array-a.txt", "--showrcopy", td + "array-b.txt", "--cim", td + "array-a-cim.yaml"}
	for _, f := range formats {
		path := filepath.Join(dir, "report."+f)
		code, stdout, stderr := runChecker(t, append(args, "--format", f, "--output", path)...)
		if code != exitConforms || stdout != "" || stderr != "" {
			t.Fatalf("%s: exit %d stdout %q stderr %q", f, code, stdout, stderr)
		}
		_, want, _ := runChecker(t, append(args, "--format", f)...)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f == "html" {
			got, want = []byte(normalizeHTML(string(got))), normalizeHTML(want)
		}
		if string(got) != want {
			t.Errorf("%s: the file differs from what stdout gets", f)
		}
	}

	// The drill opens its --output before it contacts the arrays; an
	// unreachable secondary ends it without a report.
	old := filepath.Join(dir, "report.json")
	l := startLab(t, labOptions{secondary: true})
	if err := l.sim.ArrayDown("sim-b"); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	code, _ := runCmd(context.Background(), &errb, drillArgs(l, "--allow-changes", "--format", "json", "--output", old)...)
	if code != exitCouldNotRun || !strings.Contains(errb.String(), "sim-b: connect: ") {
		t.Fatalf("drill with sim-b down: exit %d stderr %q", code, errb.String())
	}
	if got, _ := os.ReadFile(old); !strings.Contains(string(got), `"conformant": true`) {
		t.Errorf("a run that could not run replaced the old report with %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(formats) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the directory holds %v: a temporary file was left behind", names)
	}

	missing := filepath.Join(dir, "no", "such", "dir", "walk.html")
	errb.Reset()
	code, _ = runCmd(context.Background(), &errb, "simulate", "--format", "html", "--output", missing)
	if code != exitCouldNotRun || !strings.Contains(errb.String(), "--output") || strings.Contains(errb.String(), "first failure") {
		t.Errorf("unwritable --output: exit %d stderr %q, want 2 before the walk", code, errb.String())
	}
}

// TestLiveCheckHTML: a live check's page names each array's SSH address,
// CIM server and OS version (showversion, read over the same SSH
// connection) and the primary's system id (from the secondary's group
// names).
func TestLiveCheckHTML(t *testing.T) {
	l := startLab(t, labOptions{})
	var errb bytes.Buffer
	code, page := runCmd(context.Background(), &errb, "check", "--config", l.config, "--target", "sim-a", "--target", "sim-b", "--format", "html")
	if code != exitConforms {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	arrays := page[strings.Index(page, `<table class="arrays">`):]
	arrays = arrays[:strings.Index(arrays, "</table>")]
	for _, a := range l.sim.Arrays() {
		row := arrays[strings.Index(arrays, `<td class="name">`+a.Name+`</td>`):]
		if i := strings.Index(row[1:], `<td class="name">`); i > 0 {
			row = row[:i+1]
		}
		for _, want := range []string{"SSH " + a.SSHAddress, a.CIMURL, "3.3.1 (MU5), patches None"} {
			if !strings.Contains(row, want) {
				t.Errorf("%s's row lacks %q:\n%s", a.Name, want, row)
			}
		}
	}
	if !strings.Contains(arrays, "<b>188150</b>") {
		t.Errorf("sim-a's system id (the .r188150 of sim-b's groups) is missing:\n%s", arrays)
	}
}
