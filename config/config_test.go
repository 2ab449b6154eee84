package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

const (
	testPassword   = "s3cr3t-Pa55"
	testCIMPass    = "cim-Pa55w0rd"
	passphraseText = "throwaway-test-passphrase"
)

// testKey returns an unencrypted private key and a passphrase-protected one
// (a fixture: encrypting a key at test time is slow).
func testKeys(t testing.TB) (plain, enc []byte) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	enc, err = os.ReadFile("testdata/id_ed25519_encrypted")
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), enc
}

// fixtureDir writes the files configs refer to and returns the directory.
func fixtureDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	plain, enc := testKeys(t)
	files := map[string]string{
		"pw":          testPassword + "\n",
		"cimpw":       testCIMPass + "\r\n",
		"emptypw":     "\n",
		"id_ed25519":  string(plain),
		"id_enc":      string(enc),
		"notakey":     "hello\n",
		"known_hosts": "",
		"ca.pem":      "not checked here\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodConfig = `# comment
modules:
  default:
    ssh:
      user: monitor
      password_file: pw
      known_hosts_file: known_hosts
    cim:
      url: https://{target}:5989
      user: monitor
      password_file: cimpw
      ca_file: ca.pem
    time_zone: Asia/Kolkata
  keyed:
    ssh:
      user: 3paradm
      private_key_file: id_ed25519
      insecure_ignore_host_key: true
      timeout: 5s
      max_output_bytes: 1000
targets:
  array-a: {address: 10.0.0.1, lab: true}
  array-b: {address: "[fd00::2]:2222", module: keyed}
`

func parseIn(t *testing.T, dir, text string) (*Config, error) {
	t.Helper()
	return Parse([]byte(text), filepath.Join(dir, "rcopy.yml"))
}

func TestParseGood(t *testing.T) {
	dir := fixtureDir(t)
	c, err := parseIn(t, dir, goodConfig)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Modules["default"]
	if d.Name != "default" || d.SSH.User != "monitor" || d.SSH.Password.Reveal() != testPassword {
		t.Errorf("default module: %+v, password %q", d, d.SSH.Password.Reveal())
	}
	if d.SSH.Timeout != DefaultSSHTimeout || d.SSH.MaxOutputBytes != DefaultMaxOutputBytes {
		t.Errorf("defaults not applied: timeout %s, max %d", d.SSH.Timeout, d.SSH.MaxOutputBytes)
	}
	if d.SSH.PasswordFile != filepath.Join(dir, "pw") || d.SSH.KnownHostsFile != filepath.Join(dir, "known_hosts") {
		t.Errorf("relative paths not resolved against the config's directory: %q %q", d.SSH.PasswordFile, d.SSH.KnownHostsFile)
	}
	if d.CIM == nil || d.CIM.Namespace != "root/tpd" || d.CIM.Timeout != DefaultCIMTimeout || d.CIM.Password.Reveal() != testCIMPass {
		t.Errorf("cim: %+v password %q", d.CIM, d.CIM.Password.Reveal())
	}
	if d.Location == nil || d.Location.String() != "Asia/Kolkata" {
		t.Errorf("time zone not loaded: %v", d.Location)
	}
	k := c.Modules["keyed"]
	if k.SSH.PrivateKey.IsZero() || !k.SSH.Password.IsZero() || k.SSH.Timeout != 5*time.Second || k.SSH.MaxOutputBytes != 1000 || !k.SSH.InsecureIgnoreHostKey {
		t.Errorf("keyed module: %+v", k.SSH)
	}
	if k.CIM != nil || k.Location != nil {
		t.Errorf("keyed module has CIM or zone it did not set")
	}
	a, b := c.Targets["array-a"], c.Targets["array-b"]
	if a.Name != "array-a" || a.Address != "10.0.0.1:22" || a.Module != "default" || !a.Lab {
		t.Errorf("array-a: %+v", a)
	}
	if b.Address != "[fd00::2]:2222" || b.Module != "keyed" || b.Lab {
		t.Errorf("array-b: %+v", b)
	}
	if got := d.CIM.URLFor(b.Address); got != "https://[fd00::2]:5989" {
		t.Errorf("URLFor IPv6 = %q", got)
	}
	if got := d.CIM.URLFor(a.Address); got != "https://10.0.0.1:5989" {
		t.Errorf("URLFor = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "rcopy.yml")
	mod := func(ssh string) string {
		return "modules:\n  default:\n    ssh:\n" + ssh
	}
	const pwKH = "      user: u\n      password_file: pw\n      known_hosts_file: known_hosts\n"
	cases := []struct {
		name, text, want string
	}{
		{"empty", "", file + ": empty configuration"},
		{"no modules", "targets: {}\n", file + ": no modules defined"},
		{"syntax", "modules:\n  default: [\n", file + ":"},
		{"unknown top key", "modules: {}\nmodulez: {}\n", file + `:2: unknown key "modulez" in the configuration`},
		{"unknown ssh key", mod(pwKH + "      pasword: x\n"), file + `:7: unknown key "pasword" in ssh`},
		{"password inline refused", mod(pwKH + "      password: x\n"), file + `:7: unknown key "password" in ssh`},
		{"unknown module key", "modules:\n  default:\n    shh: {}\n", file + `:3: unknown key "shh" in a module`},
		{"unknown cim key", mod(pwKH) + "    cim:\n      url: http://x\n      usr: u\n", file + `:9: unknown key "usr" in cim`},
		{"unknown target key", mod(pwKH) + "targets:\n  a: {address: h, modul: x}\n", file + `:8: unknown key "modul" in a target`},
		{"empty module", "modules:\n  default:\n", file + `:2: module "default" is empty`},
		{"module without ssh", "modules:\n  default:\n    time_zone: UTC\n", file + ":3: module: an ssh: section is required"},
		{"ssh not a mapping", "modules:\n  default:\n    ssh: [a]\n", file + ":3: ssh must be a mapping"},
		{"no user", mod("      password_file: pw\n      known_hosts_file: known_hosts\n"), file + ":4: ssh.user is required"},
		{"neither secret", mod("      user: u\n      known_hosts_file: known_hosts\n"), "exactly one of password_file and private_key_file (none is set)"},
		{"both secrets", mod(pwKH + "      private_key_file: id_ed25519\n"), file + ":7: ssh: set exactly one of password_file and private_key_file (both are set)"},
		{"no known hosts", mod("      user: u\n      password_file: pw\n"), file + ":4: ssh.known_hosts_file is required"},
		{"known hosts and insecure", mod(pwKH + "      insecure_ignore_host_key: true\n"), file + ":7: ssh: known_hosts_file and insecure_ignore_host_key"},
		{"bad duration", mod(pwKH + "      timeout: 20x\n"), file + `:7: ssh.timeout: "20x" is not a duration: write it like 20s, 1m30s or 500ms`},
		{"integer duration", mod(pwKH + "      timeout: 20\n"), file + ":7: ssh.timeout: 20 has no unit: write 20s (or ms, m, h)"},
		{"negative duration", mod(pwKH + "      timeout: -1s\n"), file + ":7: ssh.timeout must be positive"},
		{"zero max output", mod(pwKH + "      max_output_bytes: 0\n"), file + ":7: ssh.max_output_bytes must be positive"},
		{"bad bool", mod(pwKH + "      insecure_ignore_host_key: yes please\n"), file + ":7: cannot unmarshal"},
		{"missing password file", mod("      user: u\n      password_file: nope\n      known_hosts_file: known_hosts\n"), file + `:5: module "default": ssh.password_file: ` + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"empty password", mod("      user: u\n      password_file: emptypw\n      known_hosts_file: known_hosts\n"), file + ":5: module \"default\": ssh.password_file: " + filepath.Join(dir, "emptypw") + ": the password (first line) is empty"},
		{"password file is a dir", mod("      user: u\n      password_file: .\n      known_hosts_file: known_hosts\n"), ": not a regular file (a directory)"},
		{"known hosts is a device", mod("      user: u\n      password_file: pw\n      known_hosts_file: /dev/null\n"), file + `:6: module "default": ssh.known_hosts_file: /dev/null: not a regular file (a character device)`},
		{"password from stdin refused", mod("      user: u\n      password_file: /dev/stdin\n      known_hosts_file: known_hosts\n"), "/dev/stdin: not a regular file"},
		{"missing known hosts", mod("      user: u\n      password_file: pw\n      known_hosts_file: kh\n"), file + `:6: module "default": ssh.known_hosts_file: ` + filepath.Join(dir, "kh") + ": no such file or directory"},
		{"encrypted key", mod("      user: u\n      private_key_file: id_enc\n      known_hosts_file: known_hosts\n"), file + ":5: module \"default\": ssh.private_key_file: " + filepath.Join(dir, "id_enc") + " is encrypted with a passphrase"},
		{"not a key", mod("      user: u\n      private_key_file: notakey\n      known_hosts_file: known_hosts\n"), "is not a usable private key"},
		{"target without module", mod(pwKH) + "targets:\n  a: {address: h, module: other}\n", file + `:8: target "a": module "other" is not defined under modules: (known: default)`},
		{"target default module missing", "modules:\n  m:\n    ssh:\n" + pwKH + "targets:\n  a:\n    address: h\n", file + `:9: target "a": module "default" is not defined`},
		{"target without address", mod(pwKH) + "targets:\n  a: {module: default}\n", file + ":8: target: address is required"},
		{"target bad port", mod(pwKH) + "targets:\n  a: {address: 'h:99999'}\n", file + `:8: target: address "h:99999": port "99999"`},
		{"empty target", mod(pwKH) + "targets:\n  a:\n", file + `:8: target "a" is empty`},
		{"cim without url", mod(pwKH) + "    cim:\n      namespace: x\n", file + ":8: cim.url is required"},
		{"cim bad scheme", mod(pwKH) + "    cim:\n      url: ftp://{target}/\n", file + `:8: cim.url "ftp://{target}/" is not an http(s)`},
		{"cim user without password", mod(pwKH) + "    cim:\n      url: https://{target}:5989\n      user: u\n", file + ":8: cim: user and password_file go together"},
		{"cim ca and insecure", mod(pwKH) + "    cim:\n      url: https://{target}:5989\n      ca_file: ca.pem\n      insecure_skip_verify: true\n", file + ":10: cim: ca_file and insecure_skip_verify"},
		{"cim missing ca", mod(pwKH) + "    cim:\n      url: https://{target}:5989\n      ca_file: nope.pem\n", file + `:9: module "default": cim.ca_file: ` + filepath.Join(dir, "nope.pem") + ": no such file or directory"},
		{"bad time zone", mod(pwKH) + "    time_zone: IST\n", file + `:7: time_zone "IST" is not an IANA time zone name`},
		{"auth_backoff without unit", mod(pwKH + "      auth_backoff: 2.5\n"), file + ":7: ssh.auth_backoff: 2.5 has no unit: write 2.5s (or ms, m, h)"},
		{"cim timeout without unit", mod(pwKH) + "    cim:\n      url: https://{target}:5989\n      timeout: 30\n", file + ":9: cim.timeout: 30 has no unit: write 30s"},
		{"cim_url without cim", mod(pwKH) + "targets:\n  a: {address: h, cim_url: 'https://h:5990'}\n", file + `:8: target "a": cim_url needs a module that reads CIM (module "default" has no cim: section`},
		{"cim_url bad", mod(pwKH) + "    cim:\n      url: https://{target}:5989\ntargets:\n  a:\n    address: h\n    cim_url: 'ftp://h'\n", file + `:12: target "a": cim_url "ftp://h" is not an http(s)://`},
		{"cim_url http with password", mod(pwKH) + "    cim:\n      url: https://{target}:5989\n      user: u\n      password_file: cimpw\ntargets:\n  a: {address: h, cim_url: 'http://h:5988'}\n", file + `:12: target "a": cim_url is plain http and user/password_file are set`},
		{"two documents", mod(pwKH) + "---\nmodules: {}\n", file + ":7: more than one YAML document"},
		{"duplicate key", mod(pwKH + "      user: v\n"), file + ":7:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseIn(t, dir, tc.text)
			if err == nil {
				t.Fatalf("no error; config %s", c.Redacted())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n  %v\nwant it to contain\n  %s", err, tc.want)
			}
			if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), passphraseText) {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := fixtureDir(t)
	path := filepath.Join(dir, "rcopy.yml")
	if err := os.WriteFile(path, []byte(goodConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// A rotated password is picked up by the next load (reload).
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("rotated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Modules["default"].SSH.Password.Reveal() != testPassword || c2.Modules["default"].SSH.Password.Reveal() != "rotated" {
		t.Errorf("passwords: before %q after %q", c.Modules["default"].SSH.Password.Reveal(), c2.Modules["default"].SSH.Password.Reveal())
	}
	if _, err := Load(filepath.Join(dir, "missing.yml")); err == nil || err.Error() != filepath.Join(dir, "missing.yml")+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	dir := fixtureDir(t)
	c, err := parseIn(t, dir, goodConfig)
	if err != nil {
		t.Fatal(err)
	}
	key := c.Modules["keyed"].SSH.PrivateKey.Reveal()
	keyLine := strings.Split(key, "\n")[1] // a line of the base64 body
	jsonOut, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logOut strings.Builder
	slog.New(slog.NewTextHandler(&logOut, nil)).Info("loaded", "ssh", c.Modules["default"].SSH.Password, "cim", c.Modules["default"].CIM.Password)
	s := c.Modules["default"].SSH.Password
	outputs := map[string]string{
		"redacted": c.Redacted(),
		"json":     string(jsonOut),
		"slog":     logOut.String(),
		"%v":       fmt.Sprintf("%v", c.Modules["default"]),
		"%+v":      fmt.Sprintf("%+v", *c.Modules["default"]),
		"%#v":      fmt.Sprintf("%#v", *c.Modules["keyed"]),
		"verbs":    fmt.Sprintf("%s %q %x %X %d %10s %-5v", s, s, s, s, s, s, s),
		"println":  fmt.Sprintln(s, c.Modules["keyed"].SSH),
	}
	for name, out := range outputs {
		for _, secret := range []string{testPassword, testCIMPass, keyLine} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output reveals a secret:\n%s", name, out)
			}
		}
	}
	red := outputs["redacted"]
	for _, want := range []string{"password_file: " + filepath.Join(dir, "pw"), "private_key_file: " + filepath.Join(dir, "id_ed25519"), "timeout: 20s", "url: https://{target}:5989"} {
		if !strings.Contains(red, want) {
			t.Errorf("redacted config lacks %q:\n%s", want, red)
		}
	}
	if strings.Contains(red, Redacted) || strings.Contains(red, "password:") || strings.Contains(red, "private_key:") {
		t.Errorf("redacted config shows keys the loader refuses (the secrets are in their files):\n%s", red)
	}
	if !strings.Contains(outputs["json"], `"password":"\u003csecret\u003e"`) {
		t.Errorf("json: %s", outputs["json"])
	}
	if !strings.Contains(outputs["slog"], "ssh=<secret>") {
		t.Errorf("slog: %s", outputs["slog"])
	}
	// The redacted form loads again, from another directory (its paths are
	// absolute), to the same configuration.
	again, err := parseIn(t, t.TempDir(), red)
	if err != nil {
		t.Fatalf("redacted config does not load again: %v\n%s", err, red)
	}
	if again.Redacted() != red || again.Modules["default"].SSH.Password.Reveal() != testPassword {
		t.Errorf("reloaded redacted config differs:\n%s\nwant\n%s", again.Redacted(), red)
	}
}

// Relative paths are relative to the configuration file's directory and
// become absolute at load, whatever the working directory.
func TestRelativePathsBecomeAbsolute(t *testing.T) {
	dir := fixtureDir(t)
	sub := filepath.Join(dir, "etc")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(mustGetwd(t), filepath.Join(sub, "rcopy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := "modules:\n  default:\n    ssh: {user: u, password_file: ../pw, known_hosts_file: ../known_hosts}\n"
	if err := os.WriteFile(filepath.Join(sub, "rcopy.yml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(rel)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Modules["default"].SSH.PasswordFile; got != filepath.Join(dir, "pw") {
		t.Errorf("password_file %q, want %q", got, filepath.Join(dir, "pw"))
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// A bare 0 is a duration (auth_backoff: 0 retries at every probe).
func TestZeroDuration(t *testing.T) {
	c, err := parseIn(t, fixtureDir(t), "modules:\n  default:\n    ssh: {user: u, password_file: pw, known_hosts_file: known_hosts, auth_backoff: 0}\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Modules["default"].SSH.AuthBackoff; got != 0 {
		t.Errorf("auth_backoff %s, want 0", got)
	}
}

// A target's cim_url replaces its module's cim.url: one module serves
// arrays whose CIM servers listen on different ports of one host.
func TestTargetCIMURL(t *testing.T) {
	text := `modules:
  sim:
    ssh: {user: u, password_file: pw, known_hosts_file: known_hosts}
    cim: {url: 'http://{target}:5988', user: u, password_file: cimpw, insecure_http_auth: true}
targets:
  sim-a: {address: '127.0.0.1:2222', module: sim}
  sim-b: {address: '127.0.0.1:2223', module: sim, cim_url: 'http://{target}:5990'}
`
	c, err := parseIn(t, fixtureDir(t), text)
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{"sim-a": "http://127.0.0.1:5988", "sim-b": "http://127.0.0.1:5990", "127.0.0.1:2223": "http://127.0.0.1:5988"} {
		address, m, err := c.Resolve(target, "sim")
		if err != nil {
			t.Fatal(err)
		}
		if got := m.CIM.URLFor(address); got != want {
			t.Errorf("%s: CIM URL %s, want %s", target, got, want)
		}
		if m.CIM.Password.Reveal() != testCIMPass || m.Name != "sim" {
			t.Errorf("%s: the module's other settings are lost: %+v", target, m)
		}
	}
	if c.Modules["sim"].CIM.URL != "http://{target}:5988" {
		t.Errorf("Resolve changed the module: %s", c.Modules["sim"].CIM.URL)
	}
	if !strings.Contains(c.Redacted(), "cim_url: http://{target}:5990") {
		t.Errorf("/config does not show cim_url:\n%s", c.Redacted())
	}
}

func TestResolve(t *testing.T) {
	dir := fixtureDir(t)
	c, err := parseIn(t, dir, goodConfig)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		target, module, addr, mod, err string
	}{
		{"array-a", "", "10.0.0.1:22", "default", ""},
		{"array-b", "", "[fd00::2]:2222", "keyed", ""},
		{"array-b", "default", "[fd00::2]:2222", "default", ""},
		{"10.1.1.1", "", "10.1.1.1:22", "default", ""},
		{"host.example:2200", "keyed", "host.example:2200", "keyed", ""},
		{"::1", "", "[::1]:22", "default", ""},
		{"", "", "", "", "no target given"},
		{"array-a", "nope", "", "", `unknown module "nope" (known: default, keyed)`},
		{"http://x/", "", "", "", "neither a name under targets: nor HOST[:PORT]"},
		{"h:0", "", "", "", "port"},
	}
	for _, tc := range cases {
		addr, m, err := c.Resolve(tc.target, tc.module)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Resolve(%q,%q) error %v, want %q", tc.target, tc.module, err, tc.err)
			}
			continue
		}
		if err != nil || addr != tc.addr || m.Name != tc.mod {
			t.Errorf("Resolve(%q,%q) = %q, %v, %v; want %q %q", tc.target, tc.module, addr, m, err, tc.addr, tc.mod)
		}
	}
}

func TestNormalizeAddress(t *testing.T) {
	good := map[string]string{
		"h": "h:22", "h:2222": "h:2222", "10.0.0.1": "10.0.0.1:22", "::1": "[::1]:22",
		"[::1]": "[::1]:22", "[::1]:23": "[::1]:23", "fe80::1%eth0": "[fe80::1%eth0]:22",
	}
	for in, want := range good {
		if got, err := NormalizeAddress(in); err != nil || got != want {
			t.Errorf("NormalizeAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ":22", "h:", "h:x", "h:65536", "h:022", "a b", "u@h", "h/x", "[h", "::g"} {
		if got, err := NormalizeAddress(in); err == nil {
			t.Errorf("NormalizeAddress(%q) = %q, want an error", in, got)
		}
	}
}

func FuzzLoadConfig(f *testing.F) {
	dir := fixtureDir(f)
	name := filepath.Join(dir, "rcopy.yml")
	f.Add([]byte(goodConfig))
	f.Add([]byte("modules:\n  default:\n    ssh: {user: u, password_file: pw, insecure_ignore_host_key: true}\n"))
	f.Add([]byte("modules: &a\n  default: *a\n"))
	f.Add([]byte("modules:\n  m:\n    <<: {ssh: {user: u}}\ntargets:\n  t: {address: '[::1]:1'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, name)
		if err != nil {
			if strings.Contains(err.Error(), testPassword) {
				t.Fatalf("error reveals a secret: %v", err)
			}
			return
		}
		if strings.Contains(c.Redacted(), testPassword) {
			t.Fatalf("redacted config reveals a secret")
		}
		for _, tg := range c.Targets {
			if _, _, err := c.Resolve(tg.Name, ""); err != nil {
				t.Fatalf("a loaded config's target does not resolve: %v", err)
			}
		}
	})
}
