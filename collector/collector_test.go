package collector

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/internal/testtool"
	"github.com/threepar/rcopy-exporter/source"
	"github.com/threepar/rcopy-exporter/sshrun"

	"github.com/threepar/rcopy-exporter/stage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeRunner answers showrcopy with a fixture, an error, or hangs until the
// context ends.
type fakeRunner struct {
	out   []byte
	err   error
	hang  bool
	calls atomic.Int32
}

func (f *fakeRunner) Run(ctx context.Context, command string) ([]byte, error) {
	f.calls.Add(1)
	if command != source.ShowCommand {
		return nil, fmt.Errorf("fake runner: unexpected command %q", command)
	}
	if f.hang {
		<-ctx.Done()
		return nil, fmt.Errorf("showrcopy: %w", ctx.Err())
	}
	return f.out, f.err
}

func fixture(t *testing.T, name string) *fakeRunner {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeRunner{out: data}
}

type fakeCIM struct {
	vols []cim.RemoteCopyVolume
	err  error
}

func (f *fakeCIM) RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error) {
	return f.vols, f.err
}

// observed builds a CIM answer for one volume from a table row's triple.
func observed(volume string, t expected.Triple) cim.RemoteCopyVolume {
	return cim.RemoteCopyVolume{
		Volume:         volume,
		CopyState:      uint16(t.CopyState),
		SyncState:      uint16(t.SyncState),
		ProgressStatus: uint16(t.ProgressStatus),
		RoleReversed:   t.RoleReversed,
	}
}

func row(t *testing.T, id string) expected.Triple { return expectedRow(t, id) }

func expectedRow(t *testing.T, id string) expected.Triple {
	t.Helper()
	r, ok := expected.Default().Row(id)
	if !ok {
		t.Fatalf("table has no row %s", id)
	}
	return r.Triple
}

// scrape collects once through a pedantic registry and returns the text
// exposition with scrape_duration_seconds set to 0 (the only value that
// changes from run to run).
func scrape(t *testing.T, ctx context.Context, opts Options) (string, *Collector) {
	t.Helper()
	c := New(ctx, opts)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if mf.GetName() == Namespace+"_scrape_duration_seconds" {
			for _, m := range mf.Metric {
				if m.Gauge.GetValue() < 0 {
					t.Errorf("negative scrape duration %v", m.Gauge.GetValue())
				}
				zero := 0.0
				m.Gauge.Value = &zero
			}
		}
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String(), c
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".prom")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./collector -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("exposition differs from %s (run with -update after checking):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

// hasSeries reports whether the exposition holds exactly the line
// `series value`.
func hasSeries(text, series string, value float64) bool {
	want := fmt.Sprintf("%s %v", series, value)
	for _, l := range strings.Split(text, "\n") {
		if l == want {
			return true
		}
	}
	return false
}

func mustHave(t *testing.T, text string, series string, value float64) {
	t.Helper()
	if !hasSeries(text, series, value) {
		t.Errorf("missing %s %v in:\n%s", series, value, text)
	}
}

func mustNotContain(t *testing.T, text, substr string) {
	t.Helper()
	if strings.Contains(text, substr) {
		t.Errorf("exposition unexpectedly contains %q", substr)
	}
}

func TestGolden(t *testing.T) {
	losAngeles, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	synced, stopped, syncing := row(t, "T109-synced"), row(t, "T109-stopped"), row(t, "T109-syncing")
	mismatch := synced
	mismatch.CopyState = expected.CopyFailedover
	nullCopy := observed("db.1", synced)
	nullCopy.CopyStateNull = true
	// sld gives both volumes of sld-secondary.txt an instance for the leg
	// to peer with the triple of row.
	sld := func(peer, row string) []cim.RemoteCopyVolume {
		var vs []cim.RemoteCopyVolume
		for _, name := range []string{"testvv.0", "testvv.1"} {
			v := observed(name, expectedRow(t, row))
			v.PeerSystem = peer
			vs = append(vs, v)
		}
		return vs
	}

	cases := []struct {
		name    string
		fixture string
		cim     *fakeCIM
		opts    Options
		check   func(t *testing.T, text string)
	}{
		{name: "healthy-primary", fixture: "healthy-primary.txt", check: func(t *testing.T, text string) {
			mustHave(t, text, `threepar_rcopy_up`, 1)
			// T109-synced and T110-14 require the same triple: one series.
			mustHave(t, text, `threepar_rcopy_volume_expected_cim_info{copy_state="Synchronized",group="db",natural_group="db",progress_status="Completed",role_reversed="false",rows="T109-synced,T110-14",sync_state="Synchronized",target="sim-b",volume="db.0"}`, 1)
			mustHave(t, text, `threepar_rcopy_volume_sync_status{group="logs",natural_group="logs",status="Syncing",target="sim-b",volume="logs.1"}`, 1)
			mustHave(t, text, `threepar_rcopy_group_volumes{group="logs",natural_group="logs",sync_status="Syncing",target="sim-b"}`, 1)
			mustHave(t, text, `threepar_rcopy_group_volumes{group="logs",natural_group="logs",sync_status="Stale",target="sim-b"}`, 0)
			mustHave(t, text, `threepar_rcopy_group_volumes_not_in_table{group="logs",natural_group="logs",target="sim-b"}`, 0)
			mustHave(t, text, `threepar_rcopy_group_period_seconds{group="logs",natural_group="logs",target="sim-b"}`, 300)
			mustHave(t, text, `threepar_rcopy_volume_last_sync_timestamp_seconds{group="logs",natural_group="logs",target="sim-b",volume="logs.0"}`, 1.7960112e+09)
			mustHave(t, text, `threepar_rcopy_link_up{address="receive",direction="receive",node="0:3:1",target="receive"}`, 1)
			mustHave(t, text, `threepar_rcopy_link_up{address="10.0.0.2",direction="send",node="0:3:1",target="sim-b"}`, 1)
			// CET without a configured time zone: no conversion.
			mustNotContain(t, text, `threepar_rcopy_volume_last_sync_timestamp_seconds{group="arch"`)
			mustNotContain(t, text, `volume_cim_`)
			mustNotContain(t, text, `volumes_cim_`)
			mustNotContain(t, text, `options="Last-Sync`)
		}},
		{name: "healthy-primary-groups-only", fixture: "healthy-primary.txt", opts: Options{GroupsOnly: true},
			cim: &fakeCIM{vols: []cim.RemoteCopyVolume{observed("db.0", synced), observed("db.1", mismatch)}},
			check: func(t *testing.T, text string) {
				mustNotContain(t, text, `threepar_rcopy_volume_`)
				mustHave(t, text, `threepar_rcopy_group_volumes{group="db",natural_group="db",sync_status="Synced",target="sim-b"}`, 2)
				// db.1 mismatches; logs.0 and logs.1 are not reported.
				mustHave(t, text, `threepar_rcopy_group_volumes_cim_nonconformant{group="db",natural_group="db",target="sim-b"}`, 1)
				mustHave(t, text, `threepar_rcopy_group_volumes_cim_nonconformant{group="logs",natural_group="logs",target="sim-b"}`, 2)
			}},
		{name: "healthy-primary-cim", fixture: "healthy-primary.txt", cim: &fakeCIM{vols: []cim.RemoteCopyVolume{
			observed("db.0", synced),
			nullCopy,
			observed("logs.0", mismatch),
			// logs.1 (Syncing) is missing from the CIM answer
			observed("arch.0", stopped),
			observed("not-replicated-here", syncing),
			observed("", synced), // local element unknown to the CIM client
		}}, check: func(t *testing.T, text string) {
			mustHave(t, text, `threepar_rcopy_up`, 1)
			mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="db",natural_group="db",target="sim-b",volume="db.0"}`, 1)
			mustHave(t, text, `threepar_rcopy_volume_cim_info{copy_state="Synchronized",group="db",natural_group="db",progress_status="Completed",role_reversed="false",sync_state="Synchronized",target="sim-b",volume="db.0"}`, 1)
			mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="db",natural_group="db",target="sim-b",volume="db.1"}`, 0)
			mustHave(t, text, `threepar_rcopy_volume_cim_info{copy_state="NULL",group="db",natural_group="db",progress_status="Completed",role_reversed="false",sync_state="Synchronized",target="sim-b",volume="db.1"}`, 1)
			mustHave(t, text, `threepar_rcopy_volume_cim_info{copy_state="Failedover",group="logs",natural_group="logs",progress_status="Completed",role_reversed="false",sync_state="Synchronized",target="sim-b",volume="logs.0"}`, 1)
			mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="logs",natural_group="logs",target="sim-b",volume="logs.1"}`, 0)
			mustNotContain(t, text, `threepar_rcopy_volume_cim_info{copy_state="Unsynchronized"`)
			mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="arch",natural_group="arch",target="sim-b",volume="arch.0"}`, 1)
			mustHave(t, text, `threepar_rcopy_group_volumes_cim_nonconformant{group="logs",natural_group="logs",target="sim-b"}`, 2)
			mustNotContain(t, text, "not-replicated-here")
		}},
		{name: "failedover-secondary", fixture: "failedover-secondary.txt",
			cim: &fakeCIM{vols: []cim.RemoteCopyVolume{observed("db.0", row(t, "T110-3")), observed("db.1", row(t, "T110-2"))}},
			check: func(t *testing.T, text string) {
				mustHave(t, text, `threepar_rcopy_target_ready{target="sim-a"}`, 0)
				mustHave(t, text, `threepar_rcopy_group_role{group="db.r188150",natural_group="db",role="Primary-Rev",target="sim-a"}`, 1)
				mustHave(t, text, `threepar_rcopy_group_status{group="db.r188150",natural_group="db",status="Stopped",target="sim-a"}`, 1)
				mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="db.r188150",natural_group="db",target="sim-a",volume="db.0"}`, 1)
				mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="db.r188150",natural_group="db",target="sim-a",volume="db.1"}`, 1)
				if !strings.Contains(text, `rows="T110-3,T110-8",sync_state="Broken",target="sim-a",volume="db.0"}`) {
					t.Errorf("T110-3 and T110-8 share one series:\n%s", text)
				}
			}},
		{name: "sld-secondary", fixture: "sld-secondary.txt", opts: Options{Location: losAngeles},
			cim: &fakeCIM{vols: append(sld("SystemC", "SLD-backup"), sld("SystemA", "T110-1")...)},
			check: func(t *testing.T, text string) {
				// Each listing (leg) has its own group and volume series,
				// judged against the CIM instance whose peer it names.
				mustHave(t, text, `threepar_rcopy_group_status{group="multi.1.r96",natural_group="multi.1",status="Backup",target="SystemC"}`, 1)
				mustHave(t, text, `threepar_rcopy_group_status{group="multi.1.r96",natural_group="multi.1",status="Stopped",target="SystemA"}`, 1)
				mustHave(t, text, `threepar_rcopy_volume_sync_status{group="multi.1.r96",natural_group="multi.1",status="Stopped",target="SystemA",volume="testvv.0"}`, 1)
				mustHave(t, text, `threepar_rcopy_volume_sync_status{group="multi.1.r96",natural_group="multi.1",status="Synced",target="SystemC",volume="testvv.0"}`, 1)
				mustHave(t, text, `threepar_rcopy_volume_expected_cim_info{copy_state="Initialized",group="multi.1.r96",natural_group="multi.1",progress_status="Dormant",role_reversed="false",rows="SLD-backup",sync_state="Initialized",target="SystemC",volume="testvv.0"}`, 1)
				mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="multi.1.r96",natural_group="multi.1",target="SystemA",volume="testvv.0"}`, 1)
				mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="multi.1.r96",natural_group="multi.1",target="SystemC",volume="testvv.0"}`, 1)
				// 2009-06-29 12:12:16 PDT = 19:12:16 UTC
				mustHave(t, text, `threepar_rcopy_volume_last_sync_timestamp_seconds{group="multi.1.r96",natural_group="multi.1",target="SystemA",volume="testvv.0"}`, 1.246302736e+09)
				mustHave(t, text, `threepar_rcopy_link_up{address="20210002AC000060",direction="send",node="0:2:1",target="SystemA"}`, 0)
			}},
		// The fault the old "conformant if any instance fits" rule hid:
		// both legs' instances report the standby triple.
		{name: "sld-secondary-leg-mismatch", fixture: "sld-secondary.txt",
			cim: &fakeCIM{vols: append(sld("SystemC", "SLD-backup"), sld("SystemA", "SLD-backup")[:1]...)},
			check: func(t *testing.T, text string) {
				mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="multi.1.r96",natural_group="multi.1",target="SystemA",volume="testvv.0"}`, 0)
				mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="multi.1.r96",natural_group="multi.1",target="SystemC",volume="testvv.0"}`, 1)
				// testvv.1 has no instance for the SystemA leg.
				mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="multi.1.r96",natural_group="multi.1",target="SystemA",volume="testvv.1"}`, 0)
				mustHave(t, text, `threepar_rcopy_group_volumes_cim_nonconformant{group="multi.1.r96",natural_group="multi.1",target="SystemA"}`, 2)
				mustHave(t, text, `threepar_rcopy_group_volumes_cim_nonconformant{group="multi.1.r96",natural_group="multi.1",target="SystemC"}`, 0)
			}},
		// A redacted link row is left out (counted), the groups are read;
		// the sending side's percentage gives the sync ratio.
		{name: "partly-read", fixture: "partly-read.txt", check: func(t *testing.T, text string) {
			mustHave(t, text, `threepar_rcopy_up`, 1)
			mustHave(t, text, `threepar_rcopy_parse_skipped_rows`, 1)
			mustHave(t, text, `threepar_rcopy_volume_sync_status{group="db",natural_group="db",status="Syncing",target="sim-b",volume="db.0"}`, 1)
			mustHave(t, text, `threepar_rcopy_volume_sync_ratio{group="db",natural_group="db",target="sim-b",volume="db.0"}`, 0.2)
			mustNotContain(t, text, `threepar_rcopy_volume_sync_ratio{group="db",natural_group="db",target="sim-b",volume="db.1"}`)
			mustHave(t, text, `threepar_rcopy_volume_expected_cim_info{copy_state="Unsynchronized",group="db",natural_group="db",progress_status="Synchronizing",role_reversed="false",rows="T109-syncing",sync_state="ResyncInProgress",target="sim-b",volume="db.0"}`, 1)
			mustHave(t, text, `threepar_rcopy_group_volumes{group="empty",natural_group="empty",sync_status="Synced",target="sim-b"}`, 0)
		}},
		{name: "unknown-words", fixture: "unknown-words.txt", check: func(t *testing.T, text string) {
			mustHave(t, text, `threepar_rcopy_system_started`, 0)
			mustHave(t, text, `threepar_rcopy_group_status{group="odd",natural_group="odd",status="Logging",target="sim-b"}`, 1)
			mustHave(t, text, `threepar_rcopy_group_status{group="odd",natural_group="odd",status="Started",target="sim-b"}`, 0)
			mustHave(t, text, `threepar_rcopy_group_role{group="odd",natural_group="odd",role="Master",target="sim-b"}`, 1)
			mustHave(t, text, `threepar_rcopy_volume_sync_status{group="odd",natural_group="odd",status="Failsafe",target="sim-b",volume="odd.0"}`, 1)
			mustHave(t, text, `threepar_rcopy_group_volumes{group="odd",natural_group="odd",sync_status="Failsafe",target="sim-b"}`, 1)
			mustHave(t, text, `threepar_rcopy_volume_state_in_table{group="odd",natural_group="odd",target="sim-b",volume="odd.0"}`, 0)
			// the target is not ready, so Table 109 does not apply
			mustHave(t, text, `threepar_rcopy_volume_state_in_table{group="new",natural_group="new",target="sim-b",volume="new.0"}`, 0)
			mustHave(t, text, `threepar_rcopy_group_volumes_not_in_table{group="new",natural_group="new",target="sim-b"}`, 3)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Target = "array-under-test"
			opts.Array = source.Array{Name: opts.Target, CLI: fixture(t, tc.fixture)}
			if tc.cim != nil {
				opts.Array.CIM = tc.cim
			}
			text, c := scrape(t, context.Background(), opts)
			if tc.check != nil {
				tc.check(t, text)
			}
			if !c.Up() {
				t.Errorf("Up() = false for a healthy scrape")
			}
			golden(t, tc.name, text)
			// Also lint through client_golang's own checks.
			problems, err := testutil.CollectAndLint(New(context.Background(), opts))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("lint: %s: %s", p.Metric, p.Text)
			}
		})
	}
}

// The rows the parser left out are logged once per probe, one line.
func TestPartlyReadIsLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	scrape(t, context.Background(), Options{Target: "array-under-test", Array: source.Array{CLI: fixture(t, "partly-read.txt")},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "skipped_rows=1") ||
		!strings.Contains(lines[0], "line 12:") {
		t.Errorf("want one warning line naming the skipped row's line, got:\n%s", logs.String())
	}
}

func TestFailures(t *testing.T) {
	healthy := fixture(t, "healthy-primary.txt")
	cases := []struct {
		name   string
		runner source.CLI
		cim    source.CIMReader
		stage  stage.Stage
		// groups: whether showrcopy series are present
		groups bool
	}{
		{name: "fail-connect", runner: &fakeRunner{err: &sshrun.Error{Stage: stage.Connect, Address: "10.0.0.1:22", Err: errors.New("connection refused")}}, stage: stage.Connect},
		{name: "fail-auth", runner: &fakeRunner{err: &sshrun.Error{Stage: stage.Auth, Address: "10.0.0.1:22", Err: errors.New("unable to authenticate")}}, stage: stage.Auth},
		{name: "fail-command", runner: &fakeRunner{err: errors.New("Too many local CLI connections.")}, stage: stage.Command},
		{name: "fail-parse", runner: &fakeRunner{out: []byte("this is not showrcopy output\n")}, stage: stage.Parse},
		{name: "fail-cim", runner: healthy, cim: &fakeCIM{err: &cim.Error{Code: cim.ErrFailed, Description: "provider failed"}}, stage: stage.CIM, groups: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			arr := source.Array{Name: "array-under-test", CLI: tc.runner}
			if tc.cim != nil {
				arr.CIM = tc.cim
			}
			opts := Options{Target: "array-under-test", Array: arr,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			text, c := scrape(t, context.Background(), opts)
			if c.Up() {
				t.Error("Up() = true for a failed probe")
			}
			mustHave(t, text, `threepar_rcopy_up`, 0)
			for _, s := range stage.All {
				want := 0.0
				if s == tc.stage {
					want = 1
				}
				mustHave(t, text, fmt.Sprintf(`threepar_rcopy_scrape_error{stage="%s"}`, s), want)
			}
			if got := strings.Contains(text, "threepar_rcopy_group_info"); got != tc.groups {
				t.Errorf("group series present = %v, want %v", got, tc.groups)
			}
			mustNotContain(t, text, "threepar_rcopy_volume_cim_")
			// exactly one log line naming target and stage
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "target=array-under-test") ||
				!strings.Contains(lines[0], "stage="+string(tc.stage)) {
				t.Errorf("want one log line with target and stage %s, got:\n%s", tc.stage, logs.String())
			}
			golden(t, tc.name, text)

			// The same through client_golang's comparison helper.
			want := "# HELP threepar_rcopy_up 1 if showrcopy (and, when configured, the CIM server) was read and understood; 0 if any stage failed.\n" +
				"# TYPE threepar_rcopy_up gauge\nthreepar_rcopy_up 0\n"
			opts.Logger = nil
			if err := testutil.CollectAndCompare(New(context.Background(), opts), strings.NewReader(want), "threepar_rcopy_up"); err != nil {
				t.Error(err)
			}
		})
	}
}

// A runner that never answers must not hold the probe past its deadline.
func TestDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cimSrc := &blockingCIM{}
	text, _ := scrape(t, ctx, Options{Array: source.Array{CLI: &fakeRunner{hang: true}, CIM: cimSrc}})
	mustHave(t, text, `threepar_rcopy_up`, 0)
	mustHave(t, text, `threepar_rcopy_scrape_error{stage="command"}`, 1)
	if !cimSrc.returned.Load() {
		t.Error("the CIM read was left running after the probe ended")
	}
}

// blockingCIM answers only when its context ends.
type blockingCIM struct{ returned atomic.Bool }

func (b *blockingCIM) RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error) {
	<-ctx.Done()
	b.returned.Store(true)
	return nil, ctx.Err()
}

// Every golden file must pass promtool's own exposition check.
func TestGoldenFilesPassPromtool(t *testing.T) {
	promtool := testtool.Require(t, "promtool")
	files, err := filepath.Glob(filepath.Join("testdata", "*.prom"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files (%v)", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(data)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics %s: %v\n%s", f, err, out)
		}
	}
}

func TestMetricNamesAreDescribed(t *testing.T) {
	names := MetricNames()
	if len(names) != len(descs.all) {
		t.Fatalf("%d names for %d descriptors", len(names), len(descs.all))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !strings.HasPrefix(n, Namespace+"_") || seen[n] {
			t.Errorf("bad or duplicate name %q", n)
		}
		seen[n] = true
	}
}

// A name in another encoding (not UTF-8) must not break the probe: the
// label value shows U+FFFD where the bytes were invalid.
func TestNonUTF8Names(t *testing.T) {
	r := fixture(t, "healthy-primary.txt")
	r.out = bytes.ReplaceAll(r.out, []byte("db.1 "), []byte("d\xe9.1 "))
	text, c := scrape(t, context.Background(), Options{Array: source.Array{CLI: r}})
	if !c.Up() {
		t.Fatalf("probe failed:\n%s", text)
	}
	mustHave(t, text, `threepar_rcopy_volume_state_in_table{group="db",natural_group="db",target="sim-b",volume="d`+"\uFFFD"+`.1"}`, 1)
}
