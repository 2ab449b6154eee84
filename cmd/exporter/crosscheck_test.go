package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/parser"
	"github.com/threepar/rcopy-exporter/source"
)

// The exporter and the checker are two renderings of one judgement. These
// tests hold them to it: every fixture (and every step of the simulated
// disaster-recovery walk) goes through the exporter's /probe answer and
// through `checker check --format json`, and each volume's verdict (per
// leg) must be the same in both.

var (
	checkerOnce sync.Once
	checkerBin  string
	checkerErr  error
)

// buildChecker compiles cmd/checker once per test run.
func buildChecker(t *testing.T) string {
	t.Helper()
	checkerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "checker-crosscheck-")
		if err != nil {
			checkerErr = err
			return
		}
		checkerBin = filepath.Join(dir, "checker")
		if out, err := exec.Command("go", "build", "-o", checkerBin, "../checker").CombinedOutput(); err != nil {
			checkerErr = fmt.Errorf("go build ../checker: %v\n%s", err, out)
		}
	})
	if checkerErr != nil {
		t.Fatal(checkerErr)
	}
	return checkerBin
}

// legKey names one volume on one leg of one array.
type legKey struct{ array, group, target, volume string }

func (k legKey) String() string { return k.array + " " + k.group + " (" + k.target + ") " + k.volume }

// probeVerdicts reads the verdicts a /probe answer expresses: the CIM
// conformance where it is given, else not_in_table or no_observation.
func probeVerdicts(t *testing.T, array, body string) map[legKey]conformance.Verdict {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: invalid exposition: %v", array, err)
	}
	key := func(lp map[string]string) legKey {
		return legKey{array, lp["group"], lp["target"], lp["volume"]}
	}
	labels := func(name string) map[legKey]float64 {
		out := map[legKey]float64{}
		if mf := fams["threepar_rcopy_"+name]; mf != nil {
			for _, m := range mf.Metric {
				lp := map[string]string{}
				for _, l := range m.Label {
					lp[l.GetName()] = l.GetValue()
				}
				out[key(lp)] = m.GetGauge().GetValue()
			}
		}
		return out
	}
	inTable, conformant := labels("volume_state_in_table"), labels("volume_cim_conformant")
	verdicts := map[legKey]conformance.Verdict{}
	for k, in := range inTable {
		c, judged := conformant[k]
		switch {
		case judged && c == 1:
			verdicts[k] = conformance.Match
		case judged:
			verdicts[k] = conformance.Mismatch
		case in == 0:
			verdicts[k] = conformance.NotInTable
		default:
			verdicts[k] = conformance.NoObservation
		}
	}
	return verdicts
}

// checkerVerdicts runs `checker check ... --format json` and reads its
// volume verdicts.
func checkerVerdicts(t *testing.T, args ...string) map[legKey]conformance.Verdict {
	t.Helper()
	cmd := exec.Command(buildChecker(t), append([]string{"check", "--format", "json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 1) {
		t.Fatalf("checker %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var report struct {
		Findings []struct {
			Array, Group, Target, Volume string
			Verdict                      conformance.Verdict
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("checker JSON: %v\n%s", err, stdout.String())
	}
	verdicts := map[legKey]conformance.Verdict{}
	for _, f := range report.Findings {
		if f.Volume != conformance.PairVolume {
			verdicts[legKey{f.Array, f.Group, f.Target, f.Volume}] = f.Verdict
		}
	}
	return verdicts
}

// sameVerdicts fails the test for every leg the two renderings judge
// differently (or only one of them judges).
func sameVerdicts(t *testing.T, what string, exporter, checker map[legKey]conformance.Verdict) {
	t.Helper()
	if len(exporter) == 0 {
		t.Errorf("%s: the exporter judged no volume", what)
	}
	var keys []legKey
	for k := range exporter {
		keys = append(keys, k)
	}
	for k := range checker {
		if _, ok := exporter[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		e, inE := exporter[k]
		c, inC := checker[k]
		if e != c || inE != inC {
			t.Errorf("%s: %s: exporter %q (present %t), checker %q (present %t)", what, k, e, inE, c, inC)
		}
	}
}

// fixtureCIM is the CIM answer the exporter's fake source serves for a
// saved observation file: the same instances the checker reads from it,
// each naming its target as its peer system.
type fixtureCIM []cim.RemoteCopyVolume

func (f fixtureCIM) RemoteCopyVolumes(context.Context) ([]cim.RemoteCopyVolume, error) {
	return f, nil
}

func loadFixtureCIM(t *testing.T, path string, out *parser.Output) fixtureCIM {
	t.Helper()
	obs, err := conformance.LoadObserved(path, out)
	if err != nil {
		t.Fatal(err)
	}
	vols := fixtureCIM{}
	for _, o := range obs {
		vols = append(vols, cim.RemoteCopyVolume{Volume: o.Volume, PeerSystem: o.Target,
			CopyState: uint16(o.CopyState), SyncState: uint16(o.SyncState), ProgressStatus: uint16(o.ProgressStatus),
			RoleReversed: o.RoleReversed})
	}
	return vols
}

// arraySource serves one fixture as the array at 10.0.0.1.
type arraySource struct {
	out []byte
	cim source.CIMReader
}

func (s arraySource) array(pt probeTarget) source.Array {
	return source.Array{Name: pt.name, CLI: &fakeRunner{out: s.out}, CIM: s.cim}
}
func (arraySource) reloaded(*config.Config) {}
func (arraySource) Close() error            { return nil }

func TestExporterAndCheckerJudgeFixturesAlike(t *testing.T) {
	type fixture struct{ showrcopy, cim string }
	var fixtures []fixture
	for _, dir := range []string{"../../collector/testdata", "../checker/testdata/check", "../../examples/showrcopy"} {
		txts, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, txt := range txts {
			base := strings.TrimSuffix(filepath.Base(txt), ".txt")
			data, err := os.ReadFile(txt)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parser.Parse(data); err != nil || strings.HasPrefix(base, "golden") {
				continue // not an array's output (a bad input, a report)
			}
			fixtures = append(fixtures, fixture{showrcopy: txt})
			for _, cimFile := range []string{
				filepath.Join(dir, base+"-cim.yaml"), filepath.Join(dir, base+"-cim.json"),
				filepath.Join("testdata", "crosscheck", base+"-cim.yaml"),
			} {
				if _, err := os.Stat(cimFile); err == nil {
					fixtures = append(fixtures, fixture{showrcopy: txt, cim: cimFile})
				}
			}
		}
	}
	withCIM := 0
	for _, f := range fixtures {
		if f.cim != "" {
			withCIM++
		}
	}
	if len(fixtures) < 8 || withCIM < 4 {
		t.Fatalf("only %d fixtures (%d with CIM) found", len(fixtures), withCIM)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rcopy.yml")
	for name, data := range map[string]string{
		"pw": "x\n", "known_hosts": "",
		"rcopy.yml": "modules:\n  default:\n    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts}\n" +
			"targets:\n  array: {address: 10.0.0.1, module: default}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range fixtures {
		name := filepath.Base(f.showrcopy)
		if f.cim != "" {
			name += " + " + filepath.Base(f.cim)
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f.showrcopy)
			if err != nil {
				t.Fatal(err)
			}
			out, err := parser.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			src := arraySource{out: data}
			args := []string{"--showrcopy", f.showrcopy}
			if f.cim != "" {
				src.cim = loadFixtureCIM(t, f.cim, out)
				args = append(args, "--cim", f.cim)
			}
			_, srv := serve(t, slog.New(slog.DiscardHandler), cfgPath, 0, src)
			resp, err := http.Get(srv.URL + "/probe?target=array")
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			// The checker names the array after its file.
			array := strings.TrimSuffix(filepath.Base(f.showrcopy), ".txt")
			sameVerdicts(t, name, probeVerdicts(t, array, body.String()), checkerVerdicts(t, args...))
		})
	}
}

// The held disaster-recovery walk on the simulated pair, over real SSH and
// CIM-XML: at every step both arrays are probed and checked live.
func TestExporterAndCheckerJudgeTheWalkAlike(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := fakearray.Start(ctx, fakearray.DefaultScenario(), fakearray.Options{TransitionDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cfgPath, err := sim.WriteConfig(t.TempDir(), fakearray.ConfigOptions{CIM: true})
	if err != nil {
		t.Fatal(err)
	}
	src := newClientSources(slog.New(slog.DiscardHandler))
	defer src.Close()
	_, srv := serve(t, slog.New(slog.DiscardHandler), cfgPath, 0, src)
	probe := func(array string) map[legKey]conformance.Verdict {
		t.Helper()
		rec := httptest.NewRecorder()
		srv.Config.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?target="+array, nil))
		return probeVerdicts(t, array, rec.Body.String())
	}
	cli := func(array, command string) {
		t.Helper()
		if out, status := sim.Exec(array, command); status != 0 {
			t.Fatalf("%s: %s: exit %d: %s", array, command, status, out)
		}
	}
	step := func(name string, arrays ...string) {
		t.Helper()
		exp := map[legKey]conformance.Verdict{}
		args := []string{"--config", cfgPath}
		for _, a := range arrays {
			for k, v := range probe(a) {
				exp[k] = v
			}
			args = append(args, "--target", a)
		}
		sameVerdicts(t, name, exp, checkerVerdicts(t, args...))
	}
	const gs = "rcg-db.r188150"
	step("healthy", "sim-a", "sim-b")
	if err := sim.ArrayDown("sim-a"); err != nil {
		t.Fatal(err)
	}
	sim.FinishTransitions() // the link and target timeouts: sim-b's target fails
	step("primary down", "sim-b")
	cli("sim-b", "setrcopygroup failover -f "+gs)
	step("failover issued", "sim-b")
	sim.FinishTransitions()
	step("failover done", "sim-b")
	if err := sim.ArrayUp("sim-a"); err != nil {
		t.Fatal(err)
	}
	step("primary back", "sim-a", "sim-b")
	cli("sim-b", "setrcopygroup recover -f "+gs)
	step("recover issued", "sim-a", "sim-b")
	sim.FinishTransitions()
	step("recover done", "sim-a", "sim-b")
	cli("sim-b", "setrcopygroup restore -f "+gs)
	step("restore issued", "sim-a", "sim-b")
	sim.FinishTransitions()
	step("restored", "sim-a", "sim-b")
	if err := sim.InjectFault("sim-a", fakearray.FaultCIMCopyStateMismatch); err != nil {
		t.Fatal(err)
	}
	step("CIM mismatch on sim-a", "sim-a", "sim-b")
}
