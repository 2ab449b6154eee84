package alerts

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/internal/testtool"
)

const (
	examplePrometheus = "../examples/prometheus.yml"
	exampleExporter   = "../examples/rcopy.yml"
	exporterAddress   = "rcopy-exporter:9840"
)

// discoveredTarget is one entry of `promtool check service-discovery`.
type discoveredTarget struct {
	Discovered map[string]string `json:"discoveredLabels"`
	Labels     map[string]string `json:"labels"`
}

// checkPrometheusConfig runs promtool check config on the file dir/name
// where it is (relative rule_files resolve from there) and returns the
// relabeled targets of job.
func checkPrometheusConfig(t *testing.T, dir, name, job string) []discoveredTarget {
	t.Helper()
	configYAML, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	out, ok := runPromtool(t, dir, "check", "config", name)
	if !ok {
		t.Fatalf("promtool check config %s failed:\n%s", filepath.Join(dir, name), out)
	}
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(loadRules(t))); strings.Contains(string(configYAML), "rule_files") && !strings.Contains(out, want) {
		t.Errorf("promtool check config did not load the rules (want %q):\n%s", want, out)
	}
	// promtool waits for the whole --timeout; static targets arrive at
	// once, but a loaded machine gets a second, longer chance.
	var targets []discoveredTarget
	for _, timeout := range []string{"2s", "15s"} {
		out, ok = runPromtool(t, dir, "check", "service-discovery", "--timeout="+timeout, name, job)
		if !ok {
			t.Fatalf("promtool check service-discovery %s failed:\n%s", job, out)
		}
		if err := json.Unmarshal([]byte(out), &targets); err != nil {
			t.Fatalf("service discovery output is not JSON: %v\n%s", err, out)
		}
		if len(targets) > 0 {
			return targets
		}
	}
	t.Fatalf("job %s has no targets:\n%s", job, out)
	return nil
}

func loadExampleExporterConfig(t *testing.T) *config.Config {
	t.Helper()
	data, err := os.ReadFile(exampleExporter)
	if err != nil {
		t.Fatal(err)
	}
	// The example names its secret files relatively, as mounted in the
	// container; stand-ins make them readable here.
	dir := t.TempDir()
	files := map[string]string{
		"rcopy.yml":   string(data),
		"password":    "example-only\n",
		"known_hosts": "10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEZ5l0S5t6y5mJ0ZKjBqkE3i6W0uM0X9m0kYB0Yc9G9v\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "rcopy.yml"))
	if err != nil {
		t.Fatalf("examples/rcopy.yml does not load: %v", err)
	}
	return cfg
}

func TestExampleExporterConfig(t *testing.T) {
	cfg := loadExampleExporterConfig(t)
	if len(cfg.Targets) < 2 {
		t.Errorf("examples/rcopy.yml: %d targets, want the two arrays of a pair", len(cfg.Targets))
	}
	withCIM := false
	for _, m := range cfg.Modules {
		withCIM = withCIM || m.CIM != nil
	}
	if !withCIM {
		t.Error("examples/rcopy.yml: no module reads the CIM server")
	}
}

// TestExamplePrometheusConfig checks the example with promtool as shipped,
// in place (its rule_files path must name the rules file of the
// repository), and that its relabeling turns each array into a probe of
// the exporter with instance=<array> and no module parameter, for arrays
// the example exporter configuration defines: each probe then uses its
// target's own module.
func TestExamplePrometheusConfig(t *testing.T) {
	t.Parallel()
	if !strings.Contains(string(Rules), `up{job="rcopy"}`) {
		t.Fatalf("%s: RcopyExporterDown no longer matches job=\"rcopy\"; keep it and the example's job_name in step", rulesFile)
	}
	cfg := loadExampleExporterConfig(t)
	for _, target := range checkPrometheusConfig(t, filepath.Dir(examplePrometheus), filepath.Base(examplePrometheus), "rcopy") {
		l := target.Labels
		array := target.Discovered["__address__"]
		if l["__address__"] != exporterAddress || l["__metrics_path__"] != "/probe" ||
			l["__param_target"] != array || l["instance"] != array || l["job"] != "rcopy" {
			t.Errorf("target %s relabeled to %v; want the exporter's /probe with target=instance=%s in job rcopy", array, l, array)
		}
		if _, ok := cfg.Targets[array]; !ok {
			t.Errorf("Prometheus probes %s, which examples/rcopy.yml does not name under targets:", array)
		}
		if m, ok := l["__param_module"]; ok {
			t.Errorf("target %s: Prometheus sends module=%s, which overrides the module the target has in rcopy.yml", array, m)
		}
		if l["pair"] == "" {
			t.Errorf("target %s has no pair label; the pair rules group by it", array)
		}
	}
}

// TestExampleShardingConfig uncomments the example's sharding job, checks it
// with promtool, and checks that each array goes to the exporter Prometheus'
// hashmod (md5, low 8 bytes, modulo N) picks.
func TestExampleShardingConfig(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(examplePrometheus)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	begin, end := strings.Index(text, "# BEGIN sharding\n"), strings.Index(text, "# END sharding")
	if begin < 0 || end < begin {
		t.Fatalf("%s: no # BEGIN sharding ... # END sharding section", examplePrometheus)
	}
	block := text[begin+len("# BEGIN sharding\n") : end]
	for _, line := range strings.Split(block, "\n") {
		if trimmed := strings.TrimSpace(line); trimmed != "" && !strings.HasPrefix(trimmed, "# ") {
			t.Fatalf("%s: sharding line %q is not commented out", examplePrometheus, line)
		}
	}
	uncommented := uncommentBlock(block)
	sharded := "scrape_configs:\n" + uncommented
	const shards = 3
	if !strings.Contains(uncommented, fmt.Sprintf("modulus: %d", shards)) {
		t.Fatalf("sharding example: want modulus: %d, got:\n%s", shards, uncommented)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(sharded), 0o644); err != nil {
		t.Fatal(err)
	}
	targets := checkPrometheusConfig(t, dir, "prometheus.yml", "rcopy")
	var used []string
	for _, target := range targets {
		l := target.Labels
		array := target.Discovered["__address__"]
		sum := md5.Sum([]byte(array))
		want := fmt.Sprintf("rcopy-exporter-%d:9840", binary.BigEndian.Uint64(sum[8:])%shards)
		if _, ok := l["__param_module"]; ok || l["__address__"] != want || l["instance"] != array || l["__param_target"] != array {
			t.Errorf("sharded target %s relabeled to %v; want __address__ %s, instance and target %s, no module", array, l, want, array)
		}
		if !slices.Contains(used, l["__address__"]) {
			used = append(used, l["__address__"])
		}
	}
	if len(targets) < 4 || len(used) < 2 {
		t.Errorf("sharding example spreads %d arrays over %d exporters; give it enough arrays to show the split", len(targets), len(used))
	}
}

// uncommentBlock removes "# " after the common indentation of each line.
func uncommentBlock(block string) string {
	var b strings.Builder
	for _, line := range strings.Split(block, "\n") {
		i := strings.Index(line, "# ")
		if i < 0 {
			continue
		}
		b.WriteString(line[:i] + line[i+2:] + "\n")
	}
	return b.String()
}

const exampleUnit = "../examples/rcopy-exporter.service"

// unitKeys reads a systemd unit's [Service] section: every value of each
// key, in order.
func unitKeys(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: %q is not KEY=VALUE", exampleUnit, line)
			}
			keys[k] = append(keys[k], v)
		}
	}
	return keys
}

// TestSystemdUnit checks examples/rcopy-exporter.service with systemd's
// own tools (no running systemd needed): systemd-analyze verify accepts it
// without a warning, and systemd-analyze security rates its sandboxing
// (exposure 2.0 or lower: "OK"); it runs the exporter as a user of its
// own, reloads with SIGHUP, and its command line, run by the built
// exporter, accepts the example configuration at the unit's path.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	analyze := testtool.Require(t, "systemd-analyze")
	data, err := os.ReadFile(exampleUnit)
	if err != nil {
		t.Fatal(err)
	}
	keys := unitKeys(t, data)
	for key, want := range map[string]string{"User": "rcopy-exporter", "Group": "rcopy-exporter",
		"ExecReload": "/bin/kill -HUP $MAINPID", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "CapabilityBoundingSet": ""} {
		if got := keys[key]; len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s=%q, want %q", exampleUnit, key, got, want)
		}
	}
	execStart := strings.Fields(strings.Join(keys["ExecStart"], ""))
	const binary, configDir = "/usr/local/bin/rcopy-exporter", "/etc/rcopy-exporter"
	if len(execStart) < 2 || execStart[0] != binary || !slices.Contains(execStart, "--config.file="+configDir+"/rcopy.yml") {
		t.Fatalf("%s: ExecStart %q, want %s --config.file=%s/rcopy.yml", exampleUnit, execStart, binary, configDir)
	}

	// The built exporter stands in for the installed one, a temporary
	// directory for /etc/rcopy-exporter.
	dir := t.TempDir()
	exporter := filepath.Join(dir, "rcopy-exporter")
	if out, err := exec.Command("go", "build", "-o", exporter, "github.com/threepar/rcopy-exporter/cmd/exporter").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	etc := filepath.Join(dir, "etc")
	example, err := os.ReadFile(exampleExporter)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(etc, 0o750); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"rcopy.yml": example, "password": []byte("example-only\n"), "known_hosts": nil} {
		if err := os.WriteFile(filepath.Join(etc, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	local := strings.NewReplacer(binary, exporter, configDir, etc)
	args := strings.Fields(local.Replace(strings.Join(execStart, " ")))
	if out, err := exec.Command(args[0], append(args[1:], "--config.check")...).CombinedOutput(); err != nil {
		t.Errorf("ExecStart with --config.check: %v\n%s", err, out)
	}
	unit := filepath.Join(dir, "rcopy-exporter.service")
	if err := os.WriteFile(unit, []byte(local.Replace(string(data))), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(analyze, "security", "--offline=yes", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if exposure, _ := strconv.ParseFloat(string(m[1]), 64); exposure > 2.0 {
		t.Errorf("systemd-analyze security rates the unit's exposure %s, want 2.0 or lower:\n%s", m[1], out)
	}
}
