package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
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

// crossWalk holds a simulated scenario (transitions held until finished),
// the exporter serving it and the configuration the checker reads: at
// every step of a walk each array is probed and checked live, and the two
// verdicts per leg must agree and be the verdicts the state calls for.
type crossWalk struct {
	t       *testing.T
	sim     *fakearray.Sim
	cfgPath string
	srv     *httptest.Server
}

func startCrossWalk(t *testing.T, sc *fakearray.Scenario) *crossWalk {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sim, err := fakearray.Start(ctx, sc, fakearray.Options{TransitionDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfgPath, err := sim.WriteConfig(t.TempDir(), fakearray.ConfigOptions{CIM: true})
	if err != nil {
		t.Fatal(err)
	}
	src := newClientSources(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { src.Close() })
	_, srv := serve(t, slog.New(slog.DiscardHandler), cfgPath, 0, src)
	return &crossWalk{t: t, sim: sim, cfgPath: cfgPath, srv: srv}
}

func (w *crossWalk) probe(array string) map[legKey]conformance.Verdict {
	w.t.Helper()
	return probeVerdicts(w.t, array, w.probeBody(array))
}

func (w *crossWalk) cli(array, command string) {
	w.t.Helper()
	if out, status := w.sim.Exec(array, command); status != 0 {
		w.t.Fatalf("%s: %s: exit %d: %s", array, command, status, out)
	}
}

func (w *crossWalk) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// step probes the arrays and checks them with `checker check` (one array
// per run: a live check takes at most two, and each leg's verdict is the
// array's own), then holds both to the same verdicts and to the verdict
// the state calls for: want's for each leg (nil: every leg a match).
func (w *crossWalk) step(name string, want func(legKey) conformance.Verdict, arrays ...string) {
	w.t.Helper()
	exp, chk := map[legKey]conformance.Verdict{}, map[legKey]conformance.Verdict{}
	for _, a := range arrays {
		maps.Copy(exp, w.probe(a))
		maps.Copy(chk, checkerVerdicts(w.t, "--config", w.cfgPath, "--target", a))
	}
	sameVerdicts(w.t, name, exp, chk)
	for k, v := range exp {
		wantV := conformance.Match
		if want != nil {
			wantV = want(k)
		}
		if v != wantV {
			w.t.Errorf("%s: %s: %q, want %q", name, k, v, wantV)
		}
	}
}

// The held walk on the simulated pair, over real SSH and CIM-XML, through
// normal operation (a new group's initial sync, NotSynced and Stale
// volumes, stop and start) and the disaster-recovery sequence with the
// link-aware states (FailedOver while the old primary is away, Broken once
// it is back, a recover that fails with the links down).
func TestExporterAndCheckerJudgeTheWalkAlike(t *testing.T) {
	sc := fakearray.DefaultScenario()
	sc.Groups = append(sc.Groups, fakearray.GroupConfig{Name: "rcg-new", Primary: "sim-a", Secondary: "sim-b", Mode: "sync", New: true,
		Volumes: []fakearray.VolumeConfig{{Name: "new.0"}, {Name: "new.1"}}})
	w := startCrossWalk(t, sc)
	sim := w.sim
	const gs = "rcg-db.r188150"
	both := []string{"sim-a", "sim-b"}
	w.step("healthy, a new group", nil, both...)
	w.cli("sim-a", "startrcopygroup rcg-new")
	w.step("initial sync (New, Syncing)", nil, both...)
	sim.FinishTransitions()
	w.must(sim.SetVolumeStatus("rcg-db", "db.0", "", "NotSynced"))
	w.must(sim.SetVolumeStatus("rcg-app", "app.0", "", "Stale"))
	w.step("NotSynced and Stale", nil, both...)
	w.cli("sim-a", "stoprcopygroup -f rcg-files")
	w.step("stopped, links up", nil, both...)
	w.cli("sim-a", "startrcopygroup rcg-files")
	w.step("resync", nil, both...)
	sim.FinishTransitions()
	w.must(sim.CutLinks("sim-a", "sim-b", 1, true))
	sim.FinishTransitions()
	w.step("one link of two down, target ready", nil, both...)
	w.must(sim.CutLinks("sim-a", "sim-b", 1, false))

	w.must(sim.ArrayDown("sim-a"))
	sim.FinishTransitions() // the link and target timeouts: sim-b's target fails
	w.step("primary down", nil, "sim-b")
	w.cli("sim-b", "setrcopygroup failover -f "+gs)
	w.step("failover issued", nil, "sim-b")
	sim.FinishTransitions()
	w.step("failover done, primary away (T110-3)", nil, "sim-b")
	w.must(sim.ArrayUp("sim-a"))
	w.step("primary back (T110-4, T110-3b)", nil, both...)
	for _, a := range both {
		w.must(sim.InjectFault(a, fakearray.FaultRecoverFails))
	}
	w.cli("sim-b", "setrcopygroup recover -f "+gs)
	sim.FinishTransitions()
	// The failed recover cut the links: rcg-db, failed over, shows
	// FailedOver on both arrays (T110-8, T110-10); the other groups, in
	// their natural roles, are the primary cut off on sim-a (in no table:
	// the simulator's own CIM answer) and T110-1 on sim-b.
	w.step("recover failed, links down", func(k legKey) conformance.Verdict {
		if k.array == "sim-a" && k.group != "rcg-db" {
			return conformance.NotInTable
		}
		return conformance.Match
	}, both...)
	for _, a := range both {
		w.must(sim.ClearFault(a, fakearray.FaultRecoverFails))
	}
	w.cli("sim-b", "setrcopygroup recover -f "+gs)
	w.step("recover issued", nil, both...)
	sim.FinishTransitions()
	w.step("recover done", nil, both...)
	w.cli("sim-b", "setrcopygroup restore -f "+gs)
	w.step("restore issued", nil, both...)
	sim.FinishTransitions()
	w.step("restored", nil, both...)
	w.must(sim.InjectFault("sim-a", fakearray.FaultCIMCopyStateMismatch))
	w.step("CIM mismatch on sim-a", func(k legKey) conformance.Verdict {
		if k.array == "sim-a" {
			return conformance.Mismatch
		}
		return conformance.Match
	}, both...)
}

// The Synchronous Long Distance trio through its DR sequence: each array
// lists the group once per target and its CIM server reports one instance
// per leg, each judged against the listing of the peer it names (sld-a
// and sld-b: one FC and one IP target, the IP leg's instance put there by
// elimination). sld-c lists both its legs under IP targets, which print no
// WWN: which leg an instance describes cannot be told (no_observation, in
// both renderings alike).
func TestExporterAndCheckerJudgeTheSLDWalkAlike(t *testing.T) {
	w := startCrossWalk(t, fakearray.SLDScenario())
	sim := w.sim
	const gb = "rcg-sld.r188160"
	all := []string{"sld-a", "sld-b", "sld-c"}
	want := func(k legKey) conformance.Verdict {
		if k.array == "sld-c" {
			return conformance.NoObservation
		}
		return conformance.Match
	}
	w.step("healthy (standby leg B-C: SLD-backup)", want, all...)
	w.must(sim.ArrayDown("sld-a"))
	sim.FinishTransitions()
	w.step("primary down (sample S6)", want, "sld-b", "sld-c")
	w.cli("sld-b", "setrcopygroup failover -f -t sld-a "+gb)
	w.step("failover issued", want, "sld-b", "sld-c")
	sim.FinishTransitions()
	w.step("failover done", want, "sld-b", "sld-c")
	w.must(sim.ArrayUp("sld-a"))
	w.step("primary back", want, all...)
	w.cli("sld-b", "setrcopygroup recover -f -t sld-a "+gb)
	w.step("recover issued", want, all...)
	sim.FinishTransitions()
	w.step("recover done (A-C standby)", want, all...)
	w.cli("sld-b", "setrcopygroup restore -f -t sld-a "+gb)
	w.step("restore issued", want, all...)
	sim.FinishTransitions()
	w.step("restored", want, all...)
	// A wrong CopyState from sld-b's CIM server: its legs mismatch, the
	// other arrays' do not.
	w.must(sim.InjectFault("sld-b", fakearray.FaultCIMCopyStateMismatch))
	w.step("CIM mismatch on sld-b", func(k legKey) conformance.Verdict {
		if k.array == "sld-b" {
			return conformance.Mismatch
		}
		return want(k)
	}, all...)
}

// series finds one series of a /probe answer by name and labels (a
// subset): its value, and whether it is there.
func series(t *testing.T, body, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("invalid exposition: %v", err)
	}
	mf := fams["threepar_rcopy_"+name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// TestProbeSeriesInTheNewStates reads what /probe says about states the
// simulator shows only now: a never-started group and its initial sync,
// NotSynced and Stale volumes (the group-level counts the alerts read), and
// the Synchronous Long Distance standby leg (Status Backup, both arrays
// Secondary, its own expected and reported CIM triple per leg).
func TestProbeSeriesInTheNewStates(t *testing.T) {
	t.Run("pair", func(t *testing.T) {
		sc := fakearray.DefaultScenario()
		sc.Groups = append(sc.Groups, fakearray.GroupConfig{Name: "rcg-new", Primary: "sim-a", Secondary: "sim-b", Mode: "sync", New: true,
			Volumes: []fakearray.VolumeConfig{{Name: "new.0"}, {Name: "new.1"}}})
		w := startCrossWalk(t, sc)
		volumes := func(array, group, status string) float64 {
			t.Helper()
			v, ok := series(t, w.probeBody(array), "group_volumes", map[string]string{"group": group, "sync_status": status})
			if !ok {
				t.Fatalf("%s %s: no group_volumes{sync_status=%q}", array, group, status)
			}
			return v
		}
		if n := volumes("sim-b", "rcg-new.r188150", "New"); n != 2 {
			t.Errorf("never started: %v volumes New, want 2", n)
		}
		w.cli("sim-a", "startrcopygroup rcg-new")
		for _, a := range []string{"sim-a", "sim-b"} {
			g := map[string]string{"sim-a": "rcg-new", "sim-b": "rcg-new.r188150"}[a]
			if s, n := volumes(a, g, "Syncing"), volumes(a, g, "New"); s != 1 || n != 1 {
				t.Errorf("%s initial sync: %v Syncing, %v New, want 1 and 1", a, s, n)
			}
		}
		w.sim.FinishTransitions()
		w.must(w.sim.SetVolumeStatus("rcg-db", "db.0", "", "NotSynced"))
		w.must(w.sim.SetVolumeStatus("rcg-app", "app.0", "", "Stale"))
		for _, c := range []struct {
			array, group, status string
			want                 float64
		}{
			{"sim-a", "rcg-db", "NotSynced", 1}, {"sim-a", "rcg-db", "Synced", 2},
			{"sim-b", "rcg-db.r188150", "NotSynced", 1}, {"sim-b", "rcg-app.r188150", "Stale", 1}, {"sim-b", "rcg-app.r188150", "Synced", 1},
		} {
			if got := volumes(c.array, c.group, c.status); got != c.want {
				t.Errorf("%s %s: %v volumes %s, want %v", c.array, c.group, got, c.status, c.want)
			}
		}
		body := w.probeBody("sim-b")
		if v, ok := series(t, body, "volume_expected_cim_info", map[string]string{"group": "rcg-app.r188150", "volume": "app.0", "rows": "T109-stale"}); !ok || v != 1 {
			t.Errorf("Stale volume: no expected triple of T109-stale:\n%s", grep(body, "app.0"))
		}
		if v, ok := series(t, body, "volume_cim_conformant", map[string]string{"group": "rcg-app.r188150", "volume": "app.0"}); !ok || v != 1 {
			t.Errorf("Stale volume: the CIM server's Skewed/Broken/Completed does not conform:\n%s", grep(body, "app.0"))
		}
	})
	t.Run("sld", func(t *testing.T) {
		w := startCrossWalk(t, fakearray.SLDScenario())
		body := w.probeBody("sld-b")
		leg := func(target string, extra map[string]string) map[string]string {
			l := map[string]string{"group": "rcg-sld.r188160", "natural_group": "rcg-sld", "target": target}
			maps.Copy(l, extra)
			return l
		}
		for _, c := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"group_status", leg("sld-c", map[string]string{"status": "Backup"}), 1},
			{"group_status", leg("sld-a", map[string]string{"status": "Started"}), 1},
			{"group_role", leg("sld-c", map[string]string{"role": "Secondary"}), 1},
			{"group_role", leg("sld-a", map[string]string{"role": "Secondary"}), 1},
			{"group_volumes", leg("sld-c", map[string]string{"sync_status": "Synced"}), 2},
			{"volume_expected_cim_info", leg("sld-c", map[string]string{"volume": "sld.0", "rows": "SLD-backup", "copy_state": "Initialized"}), 1},
			{"volume_cim_info", leg("sld-c", map[string]string{"volume": "sld.0", "copy_state": "Initialized", "sync_state": "Initialized", "progress_status": "Dormant"}), 1},
			{"volume_cim_info", leg("sld-a", map[string]string{"volume": "sld.0", "copy_state": "Synchronized"}), 1},
			{"volume_cim_conformant", leg("sld-c", map[string]string{"volume": "sld.0"}), 1},
			{"group_volumes_cim_nonconformant", leg("sld-c", nil), 0},
		} {
			if v, ok := series(t, body, c.name, c.labels); !ok || v != c.want {
				t.Errorf("%s%v = %v (present %t), want %v", c.name, c.labels, v, ok, c.want)
			}
		}
	})
}

func (w *crossWalk) probeBody(array string) string {
	w.t.Helper()
	rec := httptest.NewRecorder()
	w.srv.Config.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?target="+array, nil))
	return rec.Body.String()
}
