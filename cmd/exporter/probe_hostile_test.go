package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	gliderssh "github.com/gliderlabs/ssh"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// hostileArray is an SSH server on 127.0.0.1 that answers showrcopy with
// whatever bytes the test sets: what a broken or malicious array (or
// something impersonating one that got its host key) could print.
type hostileArray struct {
	addr       string
	knownHosts string // known_hosts line for its key
	output     atomic.Pointer[[]byte]
}

func startHostileArray(t *testing.T) *hostileArray {
	t.Helper()
	signer := testtool.NewSigner(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostileArray{addr: ln.Addr().String()}
	h.knownHosts = knownhosts.Line([]string{knownhosts.Normalize(h.addr)}, signer.PublicKey())
	srv := &gliderssh.Server{
		HostSigners:     []gliderssh.Signer{signer},
		PasswordHandler: func(_ gliderssh.Context, pw string) bool { return pw == testPassword },
		Handler: func(s gliderssh.Session) {
			if s.RawCommand() != "showrcopy" {
				io.WriteString(s.Stderr(), "Error: unexpected command\n")
				s.Exit(1)
				return
			}
			s.Write(*h.output.Load())
			s.Exit(0)
		},
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h
}

// Hostile array output through the real exporter (SSH, parser, collector,
// HTTP): names with quotes, backslashes, braces, commas, invalid UTF-8 and
// control characters, a huge single line, NUL bytes. Every /probe answer is
// HTTP 200 and an exposition that Prometheus' parser and `promtool check
// metrics` accept; names that parse come back exactly (invalid UTF-8
// replaced by U+FFFD), and the rest fail with a clear one-line reason.
func TestProbeHostileArrayOutput(t *testing.T) {
	promtool := testtool.Require(t, "promtool")
	healthy, err := os.ReadFile("../../collector/testdata/healthy-primary.txt")
	if err != nil {
		t.Fatal(err)
	}
	arr := startHostileArray(t)
	dir := t.TempDir()
	for name, data := range map[string]string{"pw": testPassword + "\n", "known_hosts": arr.knownHosts + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "rcopy.yml")
	if err := os.WriteFile(cfg, []byte(`modules:
  default:
    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts, timeout: 10s, max_output_bytes: 1048576}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &testtool.SyncBuffer{}
	src := newClientSources(slog.New(slog.NewTextHandler(logs, nil)))
	defer src.Close()
	_, srv := serve(t, slog.New(slog.NewTextHandler(logs, nil)), cfg, 0, src)
	l := &faultLab{srv: srv, logs: logs}

	// Names an array could print in a token (no blanks: the columns are
	// blank-separated), each a threat to the exposition format.
	hostileGroup := `g"q\{x}=,#` + "\u00fc\x1b[31m\x7f"
	hostileVolume := `v\"0` + "\xff\xfe" + `}` + "\r" + `#`
	renamed := bytes.ReplaceAll(healthy, []byte("db.0"), []byte(hostileVolume))
	renamed = bytes.ReplaceAll(renamed, []byte("\ndb "), []byte("\n"+hostileGroup+" "))

	cases := []struct {
		name   string
		output []byte
		stage  string // "" up 1
		reason string // in the log line
		// labels that must come back exactly (after U+FFFD replacement)
		group, volume string
	}{
		{name: "hostile names", output: renamed, group: hostileGroup, volume: hostileVolume},
		{name: "huge single line under the cap", output: bytes.Repeat([]byte("A"), 1000_000), stage: "parse", reason: "line 1"},
		{name: "huge single line over the cap", output: bytes.Repeat([]byte("A"), 4<<20), stage: "command", reason: "exceeds 1048576 bytes"},
		// A 200 kB volume name is still a name (real ones have at most 31
		// characters; the parser does not judge lengths): escaped, valid.
		{name: "huge name inside valid output", output: bytes.Replace(healthy, []byte("db.1"), bytes.Repeat([]byte("V"), 200_000), 1), volume: strings.Repeat("V", 200_000)},
		{name: "control characters", output: append([]byte("\x1b[2J\x07\x08\x00"), healthy...), stage: "parse", reason: "line 1"},
		{name: "NUL bytes in rows", output: bytes.ReplaceAll(healthy, []byte(" Synced "), []byte(" Sy\x00nced ")), group: "db"},
		{name: "invalid UTF-8 only", output: []byte("\xff\xfe\xfd\n\xc3\x28\n"), stage: "parse", reason: "line 1"},
		{name: "empty", output: nil, stage: "parse", reason: "empty output"},
		{name: "CLI error text", output: []byte("Error: Permission denied\n"), stage: "command", reason: "Permission denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.output
			arr.output.Store(&out)
			logged := len(l.logLines())
			a := l.probe("target="+arr.addr, "")
			if err := checkProbe(a, tc.stage); err != nil {
				t.Fatal(err)
			}
			fams, _ := parseExposition(a.body)
			cmd := exec.Command(promtool, "check", "metrics")
			cmd.Stdin = strings.NewReader(a.body)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("promtool check metrics: %v\n%s\n%s", err, msg, a.body)
			}
			if tc.group != "" && !hasLabel(fams, "threepar_rcopy_group_info", "group", strings.ToValidUTF8(tc.group, "\uFFFD")) {
				t.Errorf("group %q does not come back from the exposition:\n%s", tc.group, grep(a.body, "group_info"))
			}
			if tc.volume != "" && !hasLabel(fams, "threepar_rcopy_volume_state_in_table", "volume", strings.ToValidUTF8(tc.volume, "\uFFFD")) {
				t.Errorf("volume %q does not come back from the exposition:\n%s", tc.volume, grep(a.body, "state_in_table"))
			}
			warns := l.warnings(logged)
			if tc.stage == "" {
				if len(warns) != 0 {
					t.Errorf("warnings for a successful probe:\n%s", joinLines(warns))
				}
				return
			}
			if len(warns) != 1 {
				t.Fatalf("%d warning lines, want 1:\n%s", len(warns), joinLines(warns))
			}
			w := warns[0].line
			if !strings.Contains(w, tc.reason) || len(w) > 1000 || !utf8.ValidString(w) || strings.ContainsAny(w, "\x00\x1b\r") {
				t.Errorf("log line not one short, clean line containing %q (%d bytes):\n%q", tc.reason, len(w), w)
			}
		})
	}
}

// hasLabel reports whether family name has a series with label = value.
func hasLabel(fams map[string]*dto.MetricFamily, name, label, value string) bool {
	for _, m := range fams[name].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label && lp.GetValue() == value {
				return true
			}
		}
	}
	return false
}
