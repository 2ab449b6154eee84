package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/threepar/rcopy-exporter/fakearray"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildExporter compiles cmd/exporter once per test run.
func buildExporter(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "exporter-e2e-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "exporter")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// exporterProcess is the built exporter running with some flags.
type exporterProcess struct {
	cmd    *exec.Cmd
	logs   *logLines
	exited chan error
	base   string // http://127.0.0.1:PORT
}

func startExporter(t *testing.T, args ...string) *exporterProcess {
	t.Helper()
	return startExporterIn(t, "", args...)
}

// startExporterIn starts the exporter in the working directory dir ("":
// the test's).
func startExporterIn(t *testing.T, dir string, args ...string) *exporterProcess {
	t.Helper()
	cmd := exec.Command(buildExporter(t), append([]string{"--web.listen-address=127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &exporterProcess{cmd: cmd, logs: collectLines(stderr), exited: make(chan error, 1)}
	go func() { <-p.logs.done; p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM first: the exporter then removes its --simulate
		// directory; SIGKILL only if it does not end.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.exited:
			p.exited <- err // keep the result for anyone else
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			p.exited <- <-p.exited
		}
	})
	p.base = "http://" + p.logs.wait(t, regexp.MustCompile(`msg="Listening on" address=(127\.0\.0\.1:\d+)`), 1)
	return p
}

// logLines collects a process's stderr and lets a test wait for a line.
type logLines struct {
	mu    sync.Mutex
	lines []string
	added chan struct{}
	done  chan struct{}
}

func collectLines(r io.Reader) *logLines {
	l := &logLines{added: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
			select {
			case l.added <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// wait returns the first submatch of re in a line, waiting for the process
// to print it (or to end).
func (l *logLines) wait(t *testing.T, re *regexp.Regexp, n int) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		l.mu.Lock()
		count := 0
		for _, line := range l.lines {
			if m := re.FindStringSubmatch(line); m != nil {
				count++
				if count == n {
					l.mu.Unlock()
					return m[len(m)-1]
				}
			}
		}
		l.mu.Unlock()
		select {
		case <-l.added:
		case <-l.done:
			t.Fatalf("exporter ended before logging %s:\n%s", re, l)
		case <-timeout:
			t.Fatalf("no %s in the exporter's log:\n%s", re, l)
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// The README's first command, for real: build the exporter, run it with
// --simulate, scrape both simulated arrays at once over its HTTP port.
func TestEndToEndSimulate(t *testing.T) {
	p := startExporter(t, "--simulate")
	cmd, logs, exited, base := p.cmd, p.logs, p.exited, p.base
	configFile := logs.wait(t, regexp.MustCompile(`msg="simulation ready" config=(\S+)`), 1)

	// Both arrays at once.
	type result struct {
		code int
		body string
	}
	results := map[string]result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, target := range []string{"sim-a", "sim-b", "sim-a", "sim-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(base + "/probe?target=" + target)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			mu.Lock()
			results[target] = result{resp.StatusCode, string(body)}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for target, want := range map[string][]string{
		"sim-a": {
			`threepar_rcopy_volume_cim_conformant{group="rcg-db",natural_group="rcg-db",target="sim-b",volume="db.0"} 1`,
			`threepar_rcopy_volume_expected_cim_info{copy_state="Synchronized",group="rcg-db",natural_group="rcg-db",progress_status="Completed",role_reversed="false",rows="T109-synced,T110-14",sync_state="Synchronized",target="sim-b",volume="db.0"} 1`,
		},
		"sim-b": {
			`threepar_rcopy_volume_cim_conformant{group="rcg-db.r188150",natural_group="rcg-db",target="sim-a",volume="db.0"} 1`,
			`threepar_rcopy_volume_expected_cim_info{copy_state="Synchronized",group="rcg-db.r188150",natural_group="rcg-db",progress_status="Completed",role_reversed="false",rows="T109-synced,T110-13",sync_state="Synchronized",target="sim-a",volume="db.0"} 1`,
		},
	} {
		r := results[target]
		if r.code != http.StatusOK {
			t.Fatalf("%s: HTTP %d", target, r.code)
		}
		for _, want := range append([]string{"\nthreepar_rcopy_up 1\n", `threepar_rcopy_scrape_error{stage="cim"} 0`}, want...) {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: missing %s", target, want)
			}
		}
	}
	if !strings.Contains(results["sim-b"].body, `threepar_rcopy_group_role{group="rcg-db.r188150",natural_group="rcg-db",role="Secondary",target="sim-a"} 1`) {
		t.Error("sim-b does not show the secondary role")
	}

	if code, body := httpGet(t, base+"/config"); code != http.StatusOK || !strings.Contains(body, "password_file: /") || strings.Contains(body, "<secret>") {
		t.Errorf("/config: %d\n%s", code, body)
	}
	_, metrics := httpGet(t, base+"/metrics")
	for _, want := range []string{`threepar_rcopy_exporter_probes_total{result="success"} 4`, "threepar_rcopy_exporter_ssh_connections_open 2"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grep(metrics, "threepar_rcopy_exporter_"))
		}
	}

	// SIGHUP reloads the (unchanged) configuration.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	logs.wait(t, regexp.MustCompile(`msg="configuration loaded"`), 2)

	// SIGTERM: a clean exit that removes the private directory.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit after SIGTERM:\n%s", logs)
	}
	if _, err := os.Stat(filepath.Dir(configFile)); !os.IsNotExist(err) {
		t.Errorf("simulation directory %s left behind (%v)", filepath.Dir(configFile), err)
	}
	if strings.Contains(logs.String(), fakearray.DefaultPassword) {
		t.Errorf("the arrays' password appears in the log:\n%s", logs)
	}
}

// /config shows the configuration as loaded in a form that loads again:
// the built exporter runs from the configuration's directory with relative
// file names; what /config answers, saved in another directory, passes
// --config.check run from a third, and shows no secret.
func TestConfigPageRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"password":    testPassword + "\n",
		"known_hosts": "",
		"rcopy.yml": `modules:
  default:
    ssh: {user: monitor, password_file: password, known_hosts_file: known_hosts, timeout: 7s}
    cim: {url: 'https://{target}:5989', user: monitor, password_file: password}
targets:
  array-a: {address: 10.0.0.1}
  array-b: {address: 10.0.0.2, cim_url: 'https://10.0.9.2:15989'}
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := startExporterIn(t, dir, "--config.file=rcopy.yml")
	code, page := httpGet(t, p.base+"/config")
	if code != http.StatusOK || strings.Contains(page, testPassword) || strings.Contains(page, "<secret>") ||
		!strings.Contains(page, "password_file: "+filepath.Join(dir, "password")) || !strings.Contains(page, "cim_url: https://10.0.9.2:15989") {
		t.Fatalf("/config: HTTP %d\n%s", code, page)
	}
	saved := filepath.Join(t.TempDir(), "from-config-page.yml")
	if err := os.WriteFile(saved, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	check := exec.Command(buildExporter(t), "--config.file="+saved, "--config.check")
	check.Dir = t.TempDir()
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("/config's output does not pass --config.check: %v\n%s\n%s", err, out, page)
	}
}

func TestConfigCheckFlag(t *testing.T) {
	dir := t.TempDir()
	good := testConfig(t, dir, twoTargets)
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.file=" + good, "--config.check"}, &out, &errOut); code != 0 {
		t.Errorf("valid config: exit %d, stderr %s", code, errOut.String())
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("modules:\n  default:\n    ssh: {user: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"--config.file=" + bad, "--config.check"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "bad.yml:3") {
		t.Errorf("invalid config: exit %d, stderr %q; want 1 naming bad.yml:3", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"--simulate", "--config.file=" + good}, &out, &errOut); code != 2 {
		t.Errorf("--simulate with --config.file: exit %d, want 2 (%s)", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"--no-such-flag"}, &out, &errOut); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}

// --web.config.file: exporter-toolkit's basic auth guards every route.
func TestEndToEndWebConfig(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("scrape-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(webConfig, []byte("basic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, "--simulate", "--web.config.file="+webConfig)
	if code, _ := httpGet(t, p.base+"/probe?target=sim-a"); code != http.StatusUnauthorized {
		t.Errorf("without credentials: HTTP %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodGet, p.base+"/probe?target=sim-a", nil)
	req.SetBasicAuth("prometheus", "scrape-pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "\nthreepar_rcopy_up 1\n") {
		t.Errorf("with credentials: HTTP %d\n%s", resp.StatusCode, body)
	}
}
