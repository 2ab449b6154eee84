package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/internal/testtool"
	"github.com/threepar/rcopy-exporter/source"
)

// The password the test configurations' secret files hold; it must never
// show in a page, a log line or an error.
const testPassword = "pw-Xq7-never-printed"

// fakeRunner answers showrcopy with a fixture or an error, or hangs until
// the probe's context ends; it records the deadline it was given.
type fakeRunner struct {
	out  []byte
	err  error
	hang bool

	mu       sync.Mutex
	deadline time.Time
}

func (f *fakeRunner) Run(ctx context.Context, command string) ([]byte, error) {
	f.mu.Lock()
	f.deadline, _ = ctx.Deadline()
	f.mu.Unlock()
	if f.hang {
		<-ctx.Done()
		return nil, fmt.Errorf("%s: %w", command, ctx.Err())
	}
	return f.out, f.err
}

// fakeSources hands out a fake runner per address and records what probes
// asked for.
type fakeSources struct {
	mu      sync.Mutex
	runners map[string]*fakeRunner // by address; missing -> connection refused
	asked   []probeTarget
	reloads int
}

func (f *fakeSources) array(pt probeTarget) source.Array {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, pt)
	if r, ok := f.runners[pt.address]; ok {
		return source.Array{Name: pt.name, CLI: r}
	}
	return source.Array{Name: pt.name, CLI: &fakeRunner{err: errors.New("dial tcp " + pt.address + ": connection refused")}}
}

func (f *fakeSources) reloaded(*config.Config) {
	f.mu.Lock()
	f.reloads++
	f.mu.Unlock()
}

func (f *fakeSources) Close() error { return nil }

func (f *fakeSources) last() probeTarget {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked[len(f.asked)-1]
}

// testConfig writes a configuration with its secret files into dir.
func testConfig(t *testing.T, dir string, targets string) string {
	t.Helper()
	for name, data := range map[string]string{"pw": testPassword + "\n", "known_hosts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := `modules:
  default:
    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts, timeout: 60s}
  other:
    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts, timeout: 5s}
    cim: {url: "https://{target}:5989", user: monitor, password_file: pw}
targets:
` + targets
	path := filepath.Join(dir, "rcopy.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const twoTargets = `  array-a: {address: "10.0.0.1", module: default}
  array-b: {address: "10.0.0.2:2222", module: other}
`

type testExporter struct {
	e       *exporter
	src     *fakeSources
	srv     *httptest.Server
	logs    *testtool.SyncBuffer
	cfgPath string
}

func newTestExporter(t *testing.T, runners map[string]*fakeRunner) *testExporter {
	t.Helper()
	healthy, err := os.ReadFile("../../collector/testdata/healthy-primary.txt")
	if err != nil {
		t.Fatal(err)
	}
	if runners == nil {
		runners = map[string]*fakeRunner{"10.0.0.1:22": {out: healthy}}
	}
	te := &testExporter{src: &fakeSources{runners: runners}, logs: &testtool.SyncBuffer{}}
	te.cfgPath = testConfig(t, t.TempDir(), twoTargets)
	logger := slog.New(slog.NewTextHandler(te.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	te.e, te.srv = serve(t, logger, te.cfgPath, 500*time.Millisecond, te.src)
	t.Cleanup(func() {
		if strings.Contains(te.logs.String(), testPassword) {
			t.Errorf("the password leaked into the logs:\n%s", te.logs.String())
		}
	})
	return te
}

func (te *testExporter) get(t *testing.T, path string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, te.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, req)
}

func (te *testExporter) post(t *testing.T, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, te.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), testPassword) {
		t.Errorf("%s %s: the password leaked into the response", req.Method, req.URL.Path)
	}
	return resp.StatusCode, string(body)
}

func TestProbeBadRequests(t *testing.T) {
	te := newTestExporter(t, nil)
	for _, tc := range []struct{ query, want string }{
		{"", "missing parameter target"},
		{"?module=default", "missing parameter target"},
		{"?target=array-a&module=nope", `unknown module "nope"`},
		{"?target=10.0.0.9&module=nope", `unknown module "nope"`},
		{"?target=not%20a%20host", "neither a name under targets"},
		{"?target=bad/name", "neither a name under targets"},
		{"?target=host:99999", "neither a name under targets"},
		{"?target=bad!name", "neither a name under targets"},
		{"?target=arary-a", `unknown target "arary-a" (configured: array-a, array-b;`},
	} {
		code, body := te.get(t, "/probe"+tc.query, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("/probe%s: %d %q, want 400 containing %q", tc.query, code, body, tc.want)
		}
	}
	if code, _ := te.get(t, "/probe?target=array-a", http.Header{scrapeTimeoutHeader: {"soon"}}); code != http.StatusBadRequest {
		t.Errorf("bad timeout header: %d, want 400", code)
	}
	_, metrics := te.get(t, "/metrics", nil)
	if !strings.Contains(metrics, `threepar_rcopy_exporter_probes_total{result="bad_request"} 10`) {
		t.Errorf("bad requests not counted:\n%s", grep(metrics, "probes_total"))
	}
}

func grep(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestProbeResolvesTargets(t *testing.T) {
	te := newTestExporter(t, nil)
	for _, tc := range []struct {
		query, address, module string
		up                     bool
	}{
		{"?target=array-a", "10.0.0.1:22", "default", true},
		{"?target=array-b", "10.0.0.2:2222", "other", false},
		{"?target=array-b&module=default", "10.0.0.2:2222", "default", false},
		{"?target=10.0.0.1", "10.0.0.1:22", "default", true},
		{"?target=10.0.0.1:22&module=other", "10.0.0.1:22", "other", true},
		{"?target=array-c.example.com:2022", "array-c.example.com:2022", "default", false},
		{"?target=%5B::1%5D:2022", "[::1]:2022", "default", false},
	} {
		code, body := te.get(t, "/probe"+tc.query, nil)
		if code != http.StatusOK {
			t.Errorf("/probe%s: HTTP %d, want 200 (array faults are not HTTP errors)", tc.query, code)
			continue
		}
		pt := te.src.last()
		if pt.address != tc.address || pt.moduleName != tc.module {
			t.Errorf("/probe%s: dialed %s with module %s, want %s with %s", tc.query, pt.address, pt.moduleName, tc.address, tc.module)
		}
		up := strings.Contains(body, "\nthreepar_rcopy_up 1\n")
		if up != tc.up {
			t.Errorf("/probe%s: up = %v, want %v", tc.query, up, tc.up)
		}
		if !tc.up && !strings.Contains(body, `threepar_rcopy_scrape_error{stage="command"} 1`) {
			t.Errorf("/probe%s: a refused connection from a fake runner should count as stage command:\n%s", tc.query, grep(body, "scrape_error"))
		}
	}
	// The module's time zone reaches the collector: none configured here,
	// so the CET time of arch.0 is not converted, the UTC ones are.
	_, body := te.get(t, "/probe?target=array-a", nil)
	if !strings.Contains(body, `threepar_rcopy_volume_last_sync_timestamp_seconds{group="logs",natural_group="logs",target="sim-b",volume="logs.0"} 1.7960112e+09`) ||
		strings.Contains(body, `volume_last_sync_timestamp_seconds{group="arch"`) {
		t.Errorf("unexpected last sync series:\n%s", grep(body, "last_sync"))
	}
}

func TestProbeTimeout(t *testing.T) {
	cases := []struct {
		header         string
		module, offset time.Duration
		want           time.Duration
	}{
		{"", 20 * time.Second, 500 * time.Millisecond, 20 * time.Second},
		{"10", 20 * time.Second, 500 * time.Millisecond, 9500 * time.Millisecond},
		{"30", 20 * time.Second, 500 * time.Millisecond, 20 * time.Second},
		{"0.4", 20 * time.Second, 500 * time.Millisecond, 200 * time.Millisecond},
		{"2.5", 20 * time.Second, 0, 2500 * time.Millisecond},
		// Huge headers are clamped, never overflow into a negative or zero
		// deadline.
		{"1e10", 20 * time.Second, 0, 20 * time.Second},
		{"1e300", 20 * time.Second, 500 * time.Millisecond, 20 * time.Second},
		{"1e-300", 20 * time.Second, 500 * time.Millisecond, 0},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, "/probe", nil)
		if tc.header != "" {
			r.Header.Set(scrapeTimeoutHeader, tc.header)
		}
		got, err := probeTimeout(r, tc.module, tc.offset)
		if err != nil || got != tc.want {
			t.Errorf("header %q module %s offset %s: %s, %v; want %s", tc.header, tc.module, tc.offset, got, err, tc.want)
		}
	}
	for _, bad := range []string{"x", "-1", "0", "NaN", "+Inf"} {
		r := httptest.NewRequest(http.MethodGet, "/probe", nil)
		r.Header.Set(scrapeTimeoutHeader, bad)
		if _, err := probeTimeout(r, time.Second, 0); err == nil {
			t.Errorf("header %q accepted", bad)
		}
	}
}

// A hanging array: the probe answers by Prometheus' deadline minus the
// offset (not the module's 60s) with up 0 and stage command.
func TestProbeHonoursScrapeTimeoutHeader(t *testing.T) {
	hanging := &fakeRunner{hang: true}
	te := newTestExporter(t, map[string]*fakeRunner{"10.0.0.1:22": hanging})
	start := time.Now()
	code, body := te.get(t, "/probe?target=array-a", http.Header{scrapeTimeoutHeader: {"1"}})
	if code != http.StatusOK {
		t.Fatalf("HTTP %d, want 200", code)
	}
	if !strings.Contains(body, "\nthreepar_rcopy_up 0\n") || !strings.Contains(body, `threepar_rcopy_scrape_error{stage="command"} 1`) {
		t.Errorf("want up 0 and stage command:\n%s", body)
	}
	hanging.mu.Lock()
	deadline := hanging.deadline
	hanging.mu.Unlock()
	// 1s scrape timeout - 0.5s offset: the deadline the runner saw is about
	// half a second after the request (never the module's 60 s).
	if d := deadline.Sub(start); d <= 0 || d > time.Second {
		t.Errorf("runner deadline %s after the request, want within (0, 1s]", d)
	}
	if !strings.Contains(te.logs.String(), "stage=command") {
		t.Errorf("no log line for the failed probe:\n%s", te.logs.String())
	}
}

func TestConfigPageHidesSecrets(t *testing.T) {
	te := newTestExporter(t, nil)
	code, body := te.get(t, "/config", nil)
	if code != http.StatusOK {
		t.Fatalf("/config: HTTP %d", code)
	}
	for _, want := range []string{"password_file: /", "array-b:", "https://{target}:5989"} {
		if !strings.Contains(body, want) {
			t.Errorf("/config lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, config.Redacted) {
		t.Errorf("/config shows %s keys, which the loader refuses:\n%s", config.Redacted, body)
	}
	// do() already fails on the password itself.
}

func TestReloadKeepsOldConfigOnError(t *testing.T) {
	te := newTestExporter(t, nil)
	dir := filepath.Dir(te.cfgPath)

	if code, _ := te.get(t, "/-/reload", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}
	// A broken file: reload fails with file:line, the old config stays.
	if err := os.WriteFile(te.cfgPath, []byte("modules:\n  default:\n    ssh: {user: x, password_file: pw, known_hosts_file: known_hosts, bogus: 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := te.post(t, "/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, "rcopy.yml:3") {
		t.Errorf("bad reload: %d %q, want 500 naming rcopy.yml:3", code, body)
	}
	if code, _ := te.get(t, "/probe?target=array-a", nil); code != http.StatusOK {
		t.Errorf("after a failed reload the old targets must still work, got %d", code)
	}
	_, metrics := te.get(t, "/metrics", nil)
	if !strings.Contains(metrics, "threepar_rcopy_exporter_config_last_reload_successful 0") {
		t.Errorf("failed reload not shown:\n%s", grep(metrics, "reload"))
	}
	// A good new file: a new target appears.
	testConfig(t, dir, twoTargets+`  array-c: {address: "10.0.0.3"}`+"\n")
	if code, body := te.post(t, "/-/reload"); code != http.StatusOK {
		t.Fatalf("good reload: %d %s", code, body)
	}
	if code, _ := te.get(t, "/probe?target=array-c", nil); code != http.StatusOK || te.src.last().address != "10.0.0.3:22" {
		t.Errorf("new target not served after reload")
	}
	_, page := te.get(t, "/config", nil)
	if !strings.Contains(page, "array-c") {
		t.Errorf("/config does not show the reloaded file")
	}
}

// SIGHUP goes through watchReloads; the signal itself is tested end to end.
func TestReloadOnSignal(t *testing.T) {
	te := newTestExporter(t, nil)
	done := make(chan struct{}, 4)
	te.e.reloadNotifier = func() { done <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hup := make(chan struct{})
	go te.e.watchReloads(ctx, hup)

	if err := os.WriteFile(te.cfgPath, []byte("not: [valid"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- struct{}{}
	<-done
	if _, ok := te.e.current().cfg.Targets["array-a"]; !ok {
		t.Error("a failed reload replaced the configuration")
	}
	testConfig(t, filepath.Dir(te.cfgPath), `  only: {address: "10.0.0.5"}`+"\n")
	hup <- struct{}{}
	<-done
	if _, ok := te.e.current().cfg.Targets["only"]; !ok {
		t.Error("a good reload was not applied")
	}
}

func TestOtherRoutes(t *testing.T) {
	te := newTestExporter(t, nil)
	if code, body := te.get(t, "/-/healthy", nil); code != http.StatusOK || !strings.Contains(body, "Healthy") {
		t.Errorf("/-/healthy: %d %q", code, body)
	}
	code, body := te.get(t, "/", nil)
	if code != http.StatusOK || !strings.Contains(body, `action="/probe"`) || !strings.Contains(body, `name="target"`) {
		t.Errorf("landing page lacks the probe form: %d\n%s", code, body)
	}
	// The form sends no module unless the user types one, so that a
	// configured target's own module applies.
	if i := strings.Index(body, `name="module"`); i < 0 || strings.Contains(body[max(0, i-200):min(len(body), i+200)], `value="default"`) {
		t.Errorf("the module field is missing or pre-filled:\n%s", body)
	}
	te.get(t, "/probe?target=array-a", nil)
	_, metrics := te.get(t, "/metrics", nil)
	for _, want := range []string{
		"threepar_rcopy_exporter_build_info{",
		`threepar_rcopy_exporter_probes_total{result="success"} 1`,
		"threepar_rcopy_exporter_config_last_reload_successful 1",
		"go_goroutines ",
		"process_",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(metrics, "threepar_rcopy_up") {
		t.Error("/metrics must not carry probe series")
	}
}

// --table.file: user rows reach the probes, and a bad table file fails the
// reload like a bad configuration (the old table stays).
func TestTableFile(t *testing.T) {
	odd, err := os.ReadFile("../../collector/testdata/unknown-words.txt")
	if err != nil {
		t.Fatal(err)
	}
	te := newTestExporter(t, map[string]*fakeRunner{"10.0.0.1:22": {out: odd}})
	table := filepath.Join(t.TempDir(), "site.yaml")
	row := `rows:
  - id: SITE-failsafe
    table: site
    event: "a site's own reading of Failsafe"
    array: either
    match: {role: Master, sync_status: Failsafe}
    copy_state: Broken
    sync_state: Broken
    progress_status: Completed
    role_reversed: false
    source: {edition: "site notes", table: "-", page: 0}
`
	if err := os.WriteFile(table, []byte(row), 0o600); err != nil {
		t.Fatal(err)
	}
	te.e.tableFile = table
	if code, body := te.post(t, "/-/reload"); code != http.StatusOK {
		t.Fatalf("reload with a table file: %d %s", code, body)
	}
	_, body := te.get(t, "/probe?target=array-a", nil)
	if !strings.Contains(body, `threepar_rcopy_volume_state_in_table{group="odd",natural_group="odd",target="sim-b",volume="odd.0"} 1`) ||
		!strings.Contains(body, `rows="SITE-failsafe"`) {
		t.Errorf("the user row does not apply:\n%s", grep(body, `volume="odd.0"`))
	}
	if err := os.WriteFile(table, []byte("rows:\n  - id: X\n    bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, body := te.post(t, "/-/reload"); code != http.StatusInternalServerError || !strings.Contains(body, "site.yaml") {
		t.Errorf("bad table file: %d %q, want 500 naming site.yaml", code, body)
	}
	_, body = te.get(t, "/probe?target=array-a", nil)
	if !strings.Contains(body, `rows="SITE-failsafe"`) {
		t.Error("a failed reload dropped the user table")
	}
}

// fakeSSHRealCIM uses fake runners but the exporter's real CIM clients.
type fakeSSHRealCIM struct {
	*fakeSources
	clients *source.Clients
}

func (f *fakeSSHRealCIM) array(pt probeTarget) source.Array {
	a := f.clients.Array(pt.name, pt.address, pt.module, false)
	a.CLI = f.fakeSources.array(pt).CLI
	return a
}

// A module whose CIM client cannot be built (a CA file without a
// certificate) fails only the cim stage of its probes.
func TestCIMClientErrorIsCIMStage(t *testing.T) {
	healthy, err := os.ReadFile("../../collector/testdata/healthy-primary.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string]string{"pw": testPassword, "known_hosts": "", "ca.pem": "not a certificate\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "rcopy.yml")
	if err := os.WriteFile(cfg, []byte(`modules:
  default:
    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts}
    cim: {url: "https://{target}:5989", user: monitor, password_file: pw, ca_file: ca.pem}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &testtool.SyncBuffer{}
	src := &fakeSSHRealCIM{fakeSources: &fakeSources{runners: map[string]*fakeRunner{"10.0.0.1:22": {out: healthy}}}, clients: source.NewClients(nil)}
	defer src.clients.Close()
	e := newExporter(slog.New(slog.NewTextHandler(logs, nil)), cfg, "", false, 0, src)
	if err := e.reload(); err != nil {
		t.Fatal(err)
	}
	h, err := e.routes()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?target=10.0.0.1", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `threepar_rcopy_scrape_error{stage="cim"} 1`) ||
		!strings.Contains(body, "\nthreepar_rcopy_up 0\n") || !strings.Contains(body, "threepar_rcopy_group_info{") {
		t.Errorf("HTTP %d, want 200 with up 0, stage cim and the showrcopy series:\n%s", rec.Code, grep(body, "threepar_rcopy_"))
	}
	if !strings.Contains(logs.String(), "stage=cim") || strings.Contains(logs.String(), testPassword) {
		t.Errorf("log:\n%s", logs)
	}
}

// serve loads configFile into a new exporter reading arrays through src
// and serves its routes on a loopback test server, closed when the test
// ends (src is the caller's to close).
func serve(t testing.TB, logger *slog.Logger, configFile string, offset time.Duration, src sources) (*exporter, *httptest.Server) {
	t.Helper()
	e := newExporter(logger, configFile, "", false, offset, src)
	if err := e.reload(); err != nil {
		t.Fatal(err)
	}
	h, err := e.routes()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return e, srv
}
