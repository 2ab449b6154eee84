package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// YAML merge keys bring in keys that strict decoding never sees, and
// anchors and aliases let one value stand for others: both are refused
// everywhere in the file, with FILE:LINE.
func TestParseRefusesMergeKeysAnchorsAndAliases(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "rcopy.yml")
	const ssh = "      user: u\n      password_file: pw\n      known_hosts_file: known_hosts\n"
	cases := []struct{ name, text, want string }{
		{"merge key hiding an inline password and a typo",
			"modules:\n  default:\n    ssh: {<<: {password: hunter2, pasword_file: typo}, user: u, password_file: pw, known_hosts_file: known_hosts}\n",
			file + ":3: YAML merge key << is not allowed"},
		{"merge key in a target",
			"modules:\n  default:\n    ssh:\n" + ssh + "targets:\n  a: {<<: {lab_: true}, address: h}\n",
			file + ":8: YAML merge key << is not allowed"},
		{"merge key in block style",
			"modules:\n  default:\n    ssh:\n" + ssh + "targets:\n  a:\n    address: h\n    <<: {lab: true}\n",
			file + ":10: YAML merge key << is not allowed"},
		{"anchor",
			"modules:\n  default: &m\n    ssh:\n" + ssh,
			file + ":2: YAML anchor &m is not allowed"},
		{"alias",
			"modules:\n  default:\n    ssh:\n" + ssh + "  other: *m\n",
			file + ":"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseIn(t, dir, tc.text)
			if err == nil {
				t.Fatalf("no error; config %s", c.Redacted())
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error\n  %v\nwant one line containing\n  %s\nand no secret", err, tc.want)
			}
		})
	}
	// A well-formed alias (the anchor defined first) is refused as well.
	_, err := parseIn(t, dir, "modules:\n  default: &m\n    ssh:\n"+ssh+"  other: *m\n")
	if err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("anchor and alias: %v", err)
	}
}

// A configuration path that is not a regular file fails at once with one
// line: /dev/zero used to be read until memory ran out, a named pipe
// blocked the (re)load.
func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "rcopy.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	zero := filepath.Join(dir, "zero.yml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", zero, fifo, dir} {
		_, err := Load(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+": not a regular file") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load(%s): %v; want one line %q", path, err, path+": not a regular file (...)")
		}
	}
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, make([]byte, 32<<20+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), big+": file too large: larger than 32 MiB") {
		t.Errorf("oversized configuration: %v", err)
	}
}

func TestDuplicateNamesRefused(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "rcopy.yml")
	const mod = "modules:\n  default:\n    ssh: {user: u, password_file: pw, known_hosts_file: known_hosts}\n"
	for text, want := range map[string]string{
		mod + "targets:\n  a: {address: h}\n  b: {address: i}\n  a: {address: j}\n":                file + `:7: target "a" is defined twice (first at line 5)`,
		mod + "  default:\n    ssh: {user: v, password_file: pw, known_hosts_file: known_hosts}\n": file + `:4: module "default" is defined twice (first at line 2)`,
		"modules: [a]\n":              file + ":1: modules: must be a mapping of names to settings, got a list",
		mod + "targets: x\n":          file + `:4: targets: must be a mapping of names to settings, got "x"`,
		mod + "targets:\n  [a]: {}\n": file + ":5: targets: a name must be a plain value",
	} {
		if _, err := parseIn(t, dir, text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
}

// manyTargets returns a configuration with n targets.
func manyTargets(n int) []byte {
	var b strings.Builder
	b.WriteString("modules:\n  default:\n    ssh: {user: u, password_file: pw, known_hosts_file: known_hosts}\ntargets:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  array-%d: {address: 10.%d.%d.%d}\n", i, i>>16&255, i>>8&255, i&255)
	}
	return []byte(b.String())
}

func TestManyTargets(t *testing.T) {
	dir := fixtureDir(t)
	c, err := Parse(manyTargets(2000), filepath.Join(dir, "rcopy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Targets) != 2000 || c.Targets["array-1999"].Address != "10.0.7.207:22" || c.Targets["array-0"].Name != "array-0" {
		t.Fatalf("%d targets, array-1999 %+v", len(c.Targets), c.Targets["array-1999"])
	}
}

// BenchmarkParseTargets validates configurations of growing size: the time
// per target must stay flat (yaml.v3's map decoding compares every key
// with every other: 20,000 targets took 1 s, 200,000 took 256 s).
func BenchmarkParseTargets(b *testing.B) {
	dir := fixtureDir(b)
	for _, n := range []int{2_000, 20_000, 200_000} {
		data := manyTargets(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(data, filepath.Join(dir, "rcopy.yml")); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/target")
		})
	}
}

// Basic auth over plain http sends the CIM password readable by anyone on
// the path; a module must say that it accepts this.
func TestCIMBasicAuthOverHTTP(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "rcopy.yml")
	mod := func(cim string) string {
		return "modules:\n  default:\n    ssh: {user: u, password_file: pw, known_hosts_file: known_hosts}\n    cim:\n" + cim
	}
	refused := mod("      url: http://{target}:5988\n      user: monitor\n      password_file: cimpw\n")
	_, err := parseIn(t, dir, refused)
	if err == nil || !strings.Contains(err.Error(), file+":5: cim.url is plain http and user/password_file are set") ||
		!strings.Contains(err.Error(), "insecure_http_auth: true") || strings.Contains(err.Error(), testCIMPass) {
		t.Errorf("http with basic auth: %v", err)
	}
	for name, text := range map[string]string{
		"opt-in":            refused + "      insecure_http_auth: true\n",
		"https":             mod("      url: https://{target}:5989\n      user: monitor\n      password_file: cimpw\n"),
		"http without auth": mod("      url: http://{target}:5988\n"),
		"loopback address":  mod("      url: http://127.0.0.1:5988\n      user: monitor\n      password_file: cimpw\n"),
		"loopback IPv6":     mod("      url: http://[::1]:5988\n      user: monitor\n      password_file: cimpw\n"),
	} {
		c, err := parseIn(t, dir, text)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name == "opt-in" && !c.Modules["default"].CIM.InsecureHTTPAuth {
			t.Errorf("opt-in not decoded")
		}
	}
	// The opt-in is for http only: on https it is a mistake.
	_, err = parseIn(t, dir, mod("      url: https://{target}:5989\n      user: monitor\n      password_file: cimpw\n      insecure_http_auth: true\n"))
	if err == nil || !strings.Contains(err.Error(), file+":8: cim.insecure_http_auth applies to http URLs only") {
		t.Errorf("opt-in on https: %v", err)
	}
}

func TestAuthBackoffSetting(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "rcopy.yml")
	mod := func(extra string) string {
		return "modules:\n  default:\n    ssh:\n      user: u\n      password_file: pw\n      known_hosts_file: known_hosts\n" + extra
	}
	c, err := parseIn(t, dir, mod(""))
	if err != nil || c.Modules["default"].SSH.AuthBackoff != DefaultAuthBackoff || DefaultAuthBackoff != 5*time.Minute {
		t.Fatalf("default: %v, %v", c, err)
	}
	c, err = parseIn(t, dir, mod("      auth_backoff: 0s\n"))
	if err != nil || c.Modules["default"].SSH.AuthBackoff != 0 {
		t.Fatalf("0 (never back off): %v", err)
	}
	c, err = parseIn(t, dir, mod("      auth_backoff: 1h\n"))
	if err != nil || c.Modules["default"].SSH.AuthBackoff != time.Hour {
		t.Fatalf("1h: %v", err)
	}
	if _, err := parseIn(t, dir, mod("      auth_backoff: -1m\n")); err == nil || !strings.Contains(err.Error(), file+":7: ssh.auth_backoff must not be negative") {
		t.Errorf("negative: %v", err)
	}
}

// fakeEndpoints resolves names from a table, as sshrun.Endpoint would.
func fakeEndpoints(table map[string]string) func(context.Context, string) (string, error) {
	return func(_ context.Context, address string) (string, error) {
		if ep, ok := table[address]; ok {
			return ep, nil
		}
		return "", fmt.Errorf("lookup %s: no such host", address)
	}
}

func TestCheckLabTargets(t *testing.T) {
	dir := fixtureDir(t)
	const head = "modules:\n  default:\n    ssh: {user: u, password_file: pw, known_hosts_file: known_hosts}\ntargets:\n"
	resolve := fakeEndpoints(map[string]string{
		"lab-a.example:22": "10.0.0.1:22", "lab-b.example:22": "10.0.0.2:22",
		"prod.example:22": "10.0.0.1:22", "10.0.0.1:22": "10.0.0.1:22", "other.example:22": "10.0.0.9:22",
	})
	cases := []struct{ name, targets, want string }{
		{"lab pair alone", "  a: {address: lab-a.example, lab: true}\n  b: {address: lab-b.example, lab: true}\n  c: {address: other.example}\n", ""},
		{"lab alias of a production name", "  a: {address: lab-a.example, lab: true}\n  b: {address: lab-b.example, lab: true}\n  prod: {address: prod.example}\n",
			`target "prod" (prod.example:22, not lab: true) is the same array as lab target "a" (lab-a.example:22): both are 10.0.0.1:22`},
		{"same address spelled alike", "  a: {address: lab-a.example, lab: true}\n  b: {address: lab-b.example, lab: true}\n  p: {address: LAB-A.example}\n",
			`target "p" (LAB-A.example:22, not lab: true) is the same array as lab target "a"`},
		{"production address literal", "  a: {address: lab-a.example, lab: true}\n  b: {address: lab-b.example, lab: true}\n  p: {address: 10.0.0.1}\n",
			`target "p" (10.0.0.1:22, not lab: true) is the same array as lab target "a"`},
		{"unresolvable other target", "  a: {address: lab-a.example, lab: true}\n  b: {address: lab-b.example, lab: true}\n  x: {address: gone.example}\n",
			`target "x" (gone.example:22): cannot tell whether it is the same array as a lab target: lookup gone.example:22: no such host`},
		{"not lab", "  a: {address: lab-a.example, lab: true}\n  b: {address: lab-b.example}\n", `target "b" is not marked lab: true`},
		{"unknown", "  a: {address: lab-a.example, lab: true}\n", `"b" is not a target`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseIn(t, dir, head+tc.targets)
			if err != nil {
				t.Fatal(err)
			}
			err = c.CheckLabTargets(t.Context(), []string{"a", "b"}, resolve)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	c, err := parseIn(t, dir, head+"  a: {address: lab-a.example, lab: true}\n")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	slow := func(ctx context.Context, _ string) (string, error) { return "", ctx.Err() }
	if err := c.CheckLabTargets(ctx, []string{"a"}, slow); err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled resolution: %v", err)
	}
}
