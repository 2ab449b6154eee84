package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time_zone must work in minimal containers without /usr/share/zoneinfo

	"golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"

	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/internal/yamlfile"
)

// Defaults applied before validation.
const (
	DefaultModuleName     = "default"          // module used when a probe or target names none
	DefaultSSHPort        = "22"               // port added to an address without one
	DefaultSSHTimeout     = 20 * time.Second   // per command, connect included
	DefaultAuthBackoff    = 5 * time.Minute    // no new login this long after the array refused one
	DefaultMaxOutputBytes = 16 << 20           // real outputs of the biggest arrays stay under 10 MiB
	DefaultCIMNamespace   = "root/tpd"         // the 3PAR CIM server's namespace
	DefaultCIMTimeout     = 20 * time.Second   // per CIM request
	TargetPlaceholder     = "{target}"         // replaced in cim.url by the probed host
	placeholderCheckHost  = "placeholder.test" // stands in for {target} when validating a URL
)

// Config is the file shared by the exporter and the checker.
type Config struct {
	Modules map[string]*Module `yaml:"modules" json:"modules"`
	Targets map[string]*Target `yaml:"targets,omitempty" json:"targets,omitempty"`
}

// Module is a named set of access settings (the probe's module= parameter).
type Module struct {
	Name string `yaml:"-" json:"-"` // the key under modules:
	SSH  SSH    `yaml:"ssh" json:"ssh"`
	CIM  *CIM   `yaml:"cim,omitempty" json:"cim,omitempty"` // nil: CIM is not read
	// TimeZone is the IANA zone name used to convert LastSyncTime text such
	// as "2026-10-09 23:39:24 IST" (abbreviations are ambiguous). Without it,
	// only times marked UTC, GMT or Z are converted.
	TimeZone string         `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
	Location *time.Location `yaml:"-" json:"-"` // loaded TimeZone, nil when unset
	// VolumeMetrics (default true) exports the per-volume series; false
	// keeps the group-level ones only (very large arrays), which is all the
	// shipped alerts read.
	VolumeMetrics bool `yaml:"volume_metrics" json:"volume_metrics"`

	line int
}

// SSH holds how to reach an array's CLI.
type SSH struct {
	User                  string        `yaml:"user" json:"user"`
	PasswordFile          string        `yaml:"password_file,omitempty" json:"password_file,omitempty"`
	PrivateKeyFile        string        `yaml:"private_key_file,omitempty" json:"private_key_file,omitempty"`
	KnownHostsFile        string        `yaml:"known_hosts_file,omitempty" json:"known_hosts_file,omitempty"`
	InsecureIgnoreHostKey bool          `yaml:"insecure_ignore_host_key,omitempty" json:"insecure_ignore_host_key,omitempty"`
	Timeout               time.Duration `yaml:"timeout" json:"timeout"`
	MaxOutputBytes        int64         `yaml:"max_output_bytes" json:"max_output_bytes"`
	// AuthBackoff is how long no new login is tried after the array refused
	// one with the same credentials (arrays lock users out after a few
	// failed logins); 0 tries again at every probe.
	AuthBackoff time.Duration `yaml:"auth_backoff" json:"auth_backoff"`

	// Read from PasswordFile / PrivateKeyFile at load; never printed.
	Password   Secret `yaml:"-" json:"password,omitzero"`
	PrivateKey Secret `yaml:"-" json:"private_key,omitzero"`

	keyLines map[string]int
}

// CIM holds how to reach an array's CIM-XML server (optional).
type CIM struct {
	URL                string `yaml:"url" json:"url"` // may contain {target}
	Namespace          string `yaml:"namespace" json:"namespace"`
	User               string `yaml:"user,omitempty" json:"user,omitempty"`
	PasswordFile       string `yaml:"password_file,omitempty" json:"password_file,omitempty"`
	CAFile             string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	// InsecureHTTPAuth accepts user and password_file with a plain http
	// URL, which sends the password readable on the network (Basic auth).
	InsecureHTTPAuth bool          `yaml:"insecure_http_auth,omitempty" json:"insecure_http_auth,omitempty"`
	Timeout          time.Duration `yaml:"timeout" json:"timeout"`

	Password Secret `yaml:"-" json:"password,omitzero"` // read from PasswordFile at load

	keyLines map[string]int
}

// Target is a named array.
type Target struct {
	Name    string `yaml:"-" json:"-"`                         // the key under targets:
	Address string `yaml:"address" json:"address"`             // host:port (port 22 added at load)
	Module  string `yaml:"module" json:"module"`               // default "default"
	Lab     bool   `yaml:"lab,omitempty" json:"lab,omitempty"` // drills with --allow-changes only on lab targets
	// CIMURL replaces the module's cim.url for this array (arrays whose
	// CIM servers differ by more than the host, such as simulated arrays
	// on one host with a port each); it may contain {target} too.
	CIMURL string `yaml:"cim_url,omitempty" json:"cim_url,omitempty"`

	line, moduleLine, cimURLLine int
}

// Load reads and validates the configuration file at path, reading every
// secret file it names (relative paths are relative to the file's
// directory). Errors name the file and, where known, the line. path must
// be a regular file of at most safefile.MaxConfig bytes: a pipe or a
// device fails at once.
func Load(path string) (*Config, error) {
	data, err := safefile.Read(path, safefile.MaxConfig)
	if err != nil {
		return nil, err // "FILE: reason"
	}
	return Parse(data, path)
}

// Parse decodes and validates data as if read from the file name (used in
// messages and as the base for relative paths).
func Parse(data []byte, name string) (*Config, error) {
	var doc yaml.Node
	found, err := yamlfile.Document(name, data, &doc) // one document, no anchors, aliases or merge keys
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s: empty configuration: no modules defined", name)
	}
	var c Config
	if err := doc.Decode(&c); err != nil {
		return nil, positioned(name, err)
	}
	if len(c.Modules) == 0 {
		return nil, fmt.Errorf("%s: no modules defined (a module named %q is used when a probe names none)", name, DefaultModuleName)
	}
	// Paths relative to the file's directory are made absolute, so that
	// they name the same files whatever the working directory (and /config
	// shows a configuration that loads from anywhere).
	dir, err := filepath.Abs(filepath.Dir(name))
	if err != nil {
		dir = filepath.Dir(name)
	}
	if err := c.readFiles(dir); err != nil {
		return nil, positioned(name, err)
	}
	return &c, nil
}

// Module returns the named module; "" means "default".
func (c *Config) Module(name string) (*Module, bool) {
	if name == "" {
		name = DefaultModuleName
	}
	m, ok := c.Modules[name]
	return m, ok
}

// Resolve maps a probe's target and module parameters to an address
// (host:port) and a module. target is a name under targets: (its address and
// module apply; a non-empty module argument overrides the latter) or
// HOST[:PORT] (port 22 by default) with module (or "default"). For a target
// with its own cim_url, m is a copy of the module with that URL (when the
// module reads CIM).
func (c *Config) Resolve(target, module string) (address string, m *Module, err error) {
	if target == "" {
		return "", nil, errors.New("no target given")
	}
	var cimURL string
	if t, ok := c.Targets[target]; ok {
		address, cimURL = t.Address, t.CIMURL
		if module == "" {
			module = t.Module
		}
	} else {
		address, err = NormalizeAddress(target)
		if err != nil {
			return "", nil, fmt.Errorf("target %q is neither a name under targets: nor HOST[:PORT]: %w", target, err)
		}
	}
	if module == "" {
		module = DefaultModuleName
	}
	m, ok := c.Modules[module]
	if !ok {
		return "", nil, fmt.Errorf("unknown module %q (known: %s)", module, strings.Join(c.moduleNames(), ", "))
	}
	if cimURL != "" && m.CIM != nil {
		own, cim := *m, *m.CIM
		cim.URL = cimURL
		own.CIM = &cim
		m = &own
	}
	return address, m, nil
}

// Redacted returns the configuration as it was loaded, as YAML that loads
// again (exporter --config.check): the files it names with absolute paths,
// never what is in them (secrets are only ever read from files), defaults
// written out.
func (c *Config) Redacted() string {
	var out bytes.Buffer
	out.WriteString("# The loaded configuration: defaults written out, paths absolute; secrets stay in their files.\n")
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		// Only plain types reach the encoder; keep the page useful anyway.
		return "# cannot render configuration: " + err.Error() + "\n"
	}
	enc.Close()
	return out.String()
}

func (c *Config) moduleNames() []string {
	names := make([]string, 0, len(c.Modules))
	for n := range c.Modules {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NormalizeAddress checks HOST[:PORT] and returns host:port, adding port 22
// when none is given. IPv6 hosts are accepted bare (::1) or bracketed.
func NormalizeAddress(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty address")
	}
	if strings.ContainsAny(s, " \t\r\n/?#@") {
		return "", fmt.Errorf("address %q: not HOST[:PORT]", s)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a bare host name, IPv4 or IPv6 address.
		host = s
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			host = s[1 : len(s)-1]
		}
		if strings.ContainsAny(host, "[]") {
			return "", fmt.Errorf("address %q: not HOST[:PORT]", s)
		}
		if _, err := netip.ParseAddr(host); strings.Contains(host, ":") && err != nil {
			return "", fmt.Errorf("address %q: not HOST[:PORT]", s)
		}
		port = DefaultSSHPort
	}
	if host == "" {
		return "", fmt.Errorf("address %q: empty host", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
		return "", fmt.Errorf("address %q: port %q is not a number from 1 to 65535", s, port)
	}
	return net.JoinHostPort(host, port), nil
}

// Host returns the host part of a host:port address (without brackets), as
// substituted for {target} and for the CIM server's host.
func Host(address string) string {
	if h, _, err := net.SplitHostPort(address); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(address, "["), "]")
}

// URLFor returns the CIM URL for an array at address (host[:port]):
// {target} is replaced by the host, bracketed if it is an IPv6 address.
func (c *CIM) URLFor(address string) string {
	h := Host(address)
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return strings.ReplaceAll(c.URL, TargetPlaceholder, h)
}

// ---- decoding: defaults, then strict keys, then validation ----

// UnmarshalYAML implements yaml.Unmarshaler.
func (c *Config) UnmarshalYAML(node *yaml.Node) error {
	if err := checkKeys(node, "the configuration", Config{}); err != nil {
		return err
	}
	var err error
	if c.Modules, err = decodeNamed[Module](mappingValue(node, "modules"), "modules", "module", "it needs an ssh: section"); err != nil {
		return err
	}
	if c.Targets, err = decodeNamed[Target](mappingValue(node, "targets"), "targets", "target", "it needs an address"); err != nil {
		return err
	}
	for name, m := range c.Modules {
		m.Name = name
	}
	for name, t := range c.Targets {
		t.Name = name
	}
	// Deterministic: report the first problem in file order.
	targets := make([]*Target, 0, len(c.Targets))
	for _, t := range c.Targets {
		targets = append(targets, t)
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].line < targets[j].line })
	for _, t := range targets {
		m, ok := c.Modules[t.Module]
		if !ok {
			return lineErrorf(t.moduleLine, "target %q: module %q is not defined under modules: (known: %s)", t.Name, t.Module, strings.Join(c.moduleNames(), ", "))
		}
		if t.CIMURL == "" {
			continue
		}
		if m.CIM == nil {
			return lineErrorf(t.cimURLLine, "target %q: cim_url needs a module that reads CIM (module %q has no cim: section, which gives the namespace, user and password)", t.Name, t.Module)
		}
		if _, err := m.CIM.checkURL("target "+strconv.Quote(t.Name)+": cim_url", t.CIMURL); err != nil {
			return lineErrorf(t.cimURLLine, "%v", err)
		}
	}
	return nil
}

// decodeNamed decodes a mapping of names to settings (modules:, targets:)
// one entry at a time. yaml.v3 decoding a map compares every key with
// every other to find duplicates, which made a 200,000-target file take
// minutes; a set does it in linear time. An empty entry is an error that
// says what it needs.
func decodeNamed[T any](node *yaml.Node, section, what, needs string) (map[string]*T, error) {
	if node == nil || node.ShortTag() == "!!null" {
		return nil, nil
	}
	if node.Kind != yaml.MappingNode {
		return nil, lineErrorf(node.Line, "%s: must be a mapping of names to settings, got %s", section, describe(node))
	}
	out := make(map[string]*T, len(node.Content)/2)
	lines := make(map[string]int, len(node.Content)/2)
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, lineErrorf(k.Line, "%s: a name must be a plain value, got %s", section, describe(k))
		}
		if first, dup := lines[k.Value]; dup {
			return nil, lineErrorf(k.Line, "%s %q is defined twice (first at line %d)", what, k.Value, first)
		}
		lines[k.Value] = k.Line
		if v.ShortTag() == "!!null" {
			return nil, lineErrorf(k.Line, "%s %q is empty: %s", what, k.Value, needs)
		}
		item := new(T)
		if err := v.Decode(item); err != nil {
			return nil, err
		}
		out[k.Value] = item
	}
	return out, nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (m *Module) UnmarshalYAML(node *yaml.Node) error {
	type plain Module
	if err := checkKeys(node, "a module", plain{}); err != nil {
		return err
	}
	m.line = node.Line
	m.VolumeMetrics = true
	if mappingValue(node, "ssh") == nil || mappingValue(node, "ssh").ShortTag() == "!!null" {
		return lineErrorf(node.Line, "module: an ssh: section is required")
	}
	if err := node.Decode((*plain)(m)); err != nil {
		return err
	}
	if m.TimeZone != "" {
		loc, err := time.LoadLocation(m.TimeZone)
		if err != nil || m.TimeZone == "Local" {
			return lineErrorf(valueLine(node, "time_zone"), "time_zone %q is not an IANA time zone name (e.g. Asia/Kolkata, Europe/Paris, UTC)", m.TimeZone)
		}
		m.Location = loc
	}
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *SSH) UnmarshalYAML(node *yaml.Node) error {
	type plain SSH
	if err := checkKeys(node, "ssh", plain{}); err != nil {
		return err
	}
	*s = SSH{Timeout: DefaultSSHTimeout, MaxOutputBytes: DefaultMaxOutputBytes, AuthBackoff: DefaultAuthBackoff}
	if err := checkDurations(node, "ssh", plain{}); err != nil {
		return err
	}
	if err := node.Decode((*plain)(s)); err != nil {
		return err
	}
	s.keyLines = keyLines(node)
	switch {
	case s.User == "":
		return lineErrorf(node.Line, "ssh.user is required (a read-only array user)")
	case s.PasswordFile == "" && s.PrivateKeyFile == "":
		return lineErrorf(node.Line, "ssh: set exactly one of password_file and private_key_file (none is set)")
	case s.PasswordFile != "" && s.PrivateKeyFile != "":
		return lineErrorf(s.keyLines["private_key_file"], "ssh: set exactly one of password_file and private_key_file (both are set)")
	case s.KnownHostsFile == "" && !s.InsecureIgnoreHostKey:
		return lineErrorf(node.Line, "ssh.known_hosts_file is required (host keys are verified); insecure_ignore_host_key: true turns checking off")
	case s.KnownHostsFile != "" && s.InsecureIgnoreHostKey:
		return lineErrorf(s.keyLines["insecure_ignore_host_key"], "ssh: known_hosts_file and insecure_ignore_host_key: true contradict each other; keep one")
	case s.Timeout <= 0:
		return lineErrorf(s.keyLines["timeout"], "ssh.timeout must be positive, got %s", s.Timeout)
	case s.MaxOutputBytes <= 0:
		return lineErrorf(s.keyLines["max_output_bytes"], "ssh.max_output_bytes must be positive, got %d", s.MaxOutputBytes)
	case s.AuthBackoff < 0:
		return lineErrorf(s.keyLines["auth_backoff"], "ssh.auth_backoff must not be negative, got %s (0 tries a refused login again at every probe)", s.AuthBackoff)
	}
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (c *CIM) UnmarshalYAML(node *yaml.Node) error {
	type plain CIM
	if err := checkKeys(node, "cim", plain{}); err != nil {
		return err
	}
	*c = CIM{Namespace: DefaultCIMNamespace, Timeout: DefaultCIMTimeout}
	if err := checkDurations(node, "cim", plain{}); err != nil {
		return err
	}
	if err := node.Decode((*plain)(c)); err != nil {
		return err
	}
	c.keyLines = keyLines(node)
	if c.URL == "" {
		return lineErrorf(node.Line, "cim.url is required, e.g. https://%s:5989", TargetPlaceholder)
	}
	u, err := c.checkURL("cim.url", c.URL)
	if err != nil {
		return lineErrorf(c.keyLines["url"], "%v", err)
	}
	switch {
	case c.Namespace == "":
		return lineErrorf(c.keyLines["namespace"], "cim.namespace must not be empty (default %s)", DefaultCIMNamespace)
	case (c.User == "") != (c.PasswordFile == ""):
		return lineErrorf(node.Line, "cim: user and password_file go together (set both or neither)")
	case c.CAFile != "" && c.InsecureSkipVerify:
		return lineErrorf(c.keyLines["insecure_skip_verify"], "cim: ca_file and insecure_skip_verify: true contradict each other; keep one")
	case c.Timeout <= 0:
		return lineErrorf(c.keyLines["timeout"], "cim.timeout must be positive, got %s", c.Timeout)
	case u.Scheme != "http" && c.InsecureHTTPAuth:
		return lineErrorf(c.keyLines["insecure_http_auth"], "cim.insecure_http_auth applies to http URLs only; remove it (cim.url is %s)", u.Scheme)
	}
	return nil
}

// checkURL checks a CIM URL (cim.url, or a target's cim_url, named by
// key) with this section's credentials: an http(s)://HOST[:PORT][/PATH]
// URL, {target} standing for a host, no credentials in it, and no password
// sent over plain http to anything but a loopback address unless
// insecure_http_auth is set.
func (c *CIM) checkURL(key, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.ReplaceAll(raw, TargetPlaceholder, placeholderCheckHost))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%s %q is not an http(s)://HOST[:PORT][/PATH] URL ({target} stands for the probed host; credentials go in user and password_file)", key, raw)
	}
	if u.Scheme == "http" && c.User != "" && !c.InsecureHTTPAuth && !isLoopbackIP(u.Hostname()) {
		return nil, fmt.Errorf("%s is plain http and user/password_file are set: the CIM password would cross the network readable by anyone on the path (HTTP Basic auth); use https (the array's CIM server listens on 5989), or accept the risk for a lab with insecure_http_auth: true", key)
	}
	return u, nil
}

// isLoopbackIP reports whether host is a loopback IP address literal:
// traffic to it never leaves the machine, so Basic auth over http there
// exposes nothing on a network (the simulator's configurations). A name
// such as localhost is not trusted to stay local.
func isLoopbackIP(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (t *Target) UnmarshalYAML(node *yaml.Node) error {
	type plain Target
	if err := checkKeys(node, "a target", plain{}); err != nil {
		return err
	}
	*t = Target{Module: DefaultModuleName}
	if err := node.Decode((*plain)(t)); err != nil {
		return err
	}
	t.line = node.Line
	t.cimURLLine = valueLine(node, "cim_url")
	t.moduleLine = valueLine(node, "module")
	if t.moduleLine == 0 {
		t.moduleLine = node.Line
	}
	if t.Address == "" {
		return lineErrorf(node.Line, "target: address is required (HOST[:PORT])")
	}
	addr, err := NormalizeAddress(t.Address)
	if err != nil {
		return lineErrorf(valueLine(node, "address"), "target: %v", err)
	}
	t.Address = addr
	if t.Module == "" {
		return lineErrorf(t.moduleLine, "target: module must not be empty")
	}
	return nil
}

// ---- secret and referenced files ----

// readFiles resolves relative paths against dir and reads every secret, so
// that a reload picks up a rotated password and a bad file fails the load.
func (c *Config) readFiles(dir string) error {
	for _, name := range c.moduleNames() {
		m := c.Modules[name]
		s := &m.SSH
		where := func(key string) string { return fmt.Sprintf("module %q: ssh.%s", name, key) }
		var err error
		if s.PasswordFile != "" {
			s.PasswordFile = resolvePath(dir, s.PasswordFile)
			if s.Password, err = readPassword(s.PasswordFile); err != nil {
				return lineErrorf(s.keyLines["password_file"], "%s: %v", where("password_file"), err)
			}
		}
		if s.PrivateKeyFile != "" {
			s.PrivateKeyFile = resolvePath(dir, s.PrivateKeyFile)
			if s.PrivateKey, err = readPrivateKey(s.PrivateKeyFile); err != nil {
				return lineErrorf(s.keyLines["private_key_file"], "%s: %v", where("private_key_file"), err)
			}
		}
		if s.KnownHostsFile != "" {
			s.KnownHostsFile = resolvePath(dir, s.KnownHostsFile)
			if err := checkReadable(s.KnownHostsFile, safefile.MaxKnownHosts); err != nil {
				return lineErrorf(s.keyLines["known_hosts_file"], "%s: %v", where("known_hosts_file"), err)
			}
		}
		if c := m.CIM; c != nil {
			if c.PasswordFile != "" {
				c.PasswordFile = resolvePath(dir, c.PasswordFile)
				if c.Password, err = readPassword(c.PasswordFile); err != nil {
					return lineErrorf(c.keyLines["password_file"], "module %q: cim.password_file: %v", name, err)
				}
			}
			if c.CAFile != "" {
				c.CAFile = resolvePath(dir, c.CAFile)
				if err := checkReadable(c.CAFile, safefile.MaxCAFile); err != nil {
					return lineErrorf(c.keyLines["ca_file"], "module %q: cim.ca_file: %v", name, err)
				}
			}
		}
	}
	return nil
}

func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

func readSecretFile(path string) ([]byte, error) {
	return safefile.Read(path, safefile.MaxSecret)
}

// readPassword reads a password file: the first line, without its line
// ending (files written by `echo` end in a newline that is not part of it).
func readPassword(path string) (Secret, error) {
	data, err := readSecretFile(path)
	if err != nil {
		return Secret{}, err
	}
	pw, _, _ := strings.Cut(string(data), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return Secret{}, fmt.Errorf("%s: the password (first line) is empty", path)
	}
	return NewSecret(pw), nil
}

// readPrivateKey reads and checks an unencrypted private key file.
func readPrivateKey(path string) (Secret, error) {
	data, err := readSecretFile(path)
	if err != nil {
		return Secret{}, err
	}
	if _, err := ssh.ParsePrivateKey(data); err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return Secret{}, fmt.Errorf("%s is encrypted with a passphrase; use a key without one (ssh-keygen -p -N '' -f FILE), protected by file permissions", path)
		}
		// The parser's message never contains key material.
		return Secret{}, fmt.Errorf("%s is not a usable private key: %v", path, err)
	}
	return NewSecret(string(data)), nil
}

// checkReadable reads a file the way it will be read later (known_hosts at
// every dial, the CA file when a CIM client is made), so that a file that
// is no regular file or too large fails the load instead.
func checkReadable(path string, max int64) error {
	_, err := safefile.Read(path, max)
	return err
}

// ---- YAML helpers and positioned errors ----

// lineError is an error at a line of the file; Parse adds the file name.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return e.msg
}

func lineErrorf(line int, format string, args ...any) error {
	return &lineError{line: line, msg: fmt.Sprintf(format, args...)}
}

var yamlLinePrefix = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// positioned turns our and yaml.v3's "line N: msg" errors into
// "FILE:N: msg" (one line per problem).
func positioned(file string, err error) error {
	var le *lineError
	if errors.As(err, &le) {
		if le.line > 0 {
			return fmt.Errorf("%s:%d: %s", file, le.line, le.msg)
		}
		return fmt.Errorf("%s: %s", file, le.msg)
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			msgs = append(msgs, positionLine(file, e))
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	return errors.New(positionLine(file, err.Error()))
}

func positionLine(file, msg string) string {
	if m := yamlLinePrefix.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: %s", file, m[1], msg[len(m[0]):])
	}
	return fmt.Sprintf("%s: %s", file, strings.TrimPrefix(msg, "yaml: "))
}

// checkDurations reads the duration keys of a section (the time.Duration
// fields of plain) before yaml.v3 does, which would answer a bare number
// with "cannot unmarshal !!int `10` into time.Duration": a bare 0 is 0s,
// another number gets the hint to write its unit, anything else an example.
func checkDurations(node *yaml.Node, section string, plain any) error {
	t := reflect.TypeOf(plain)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type != reflect.TypeOf(time.Duration(0)) {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		v := mappingValue(node, key)
		if v == nil || v.Kind != yaml.ScalarNode {
			continue // absent, or yaml.v3 says what it is
		}
		if _, err := time.ParseDuration(v.Value); err == nil {
			if v.Value == "0" {
				v.Value, v.Tag = "0s", "!!str"
			}
			continue
		}
		if _, err := strconv.ParseFloat(v.Value, 64); err == nil {
			return lineErrorf(v.Line, "%s.%s: %s has no unit: write %ss (or ms, m, h)", section, key, v.Value, v.Value)
		}
		return lineErrorf(v.Line, "%s.%s: %q is not a duration: write it like 20s, 1m30s or 500ms", section, key, v.Value)
	}
	return nil
}

// checkKeys rejects keys that are not yaml fields of plain (strict decoding:
// yaml.v3's KnownFields does not reach into custom unmarshalers).
func checkKeys(node *yaml.Node, what string, plain any) error {
	if node.Kind != yaml.MappingNode {
		return lineErrorf(node.Line, "%s must be a mapping of keys to values, got %s", what, describe(node))
	}
	known := yamlFields(reflect.TypeOf(plain))
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		if k.Kind != yaml.ScalarNode || !contains(known, k.Value) {
			return lineErrorf(k.Line, "unknown key %q in %s (known keys: %s)", k.Value, what, strings.Join(known, ", "))
		}
	}
	return nil
}

func yamlFields(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		names = append(names, name)
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// mappingValue returns the value node of key in a mapping node, or nil.
func mappingValue(node *yaml.Node, key string) *yaml.Node {
	if node == nil || node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return nil
}

func valueLine(node *yaml.Node, key string) int {
	if v := mappingValue(node, key); v != nil {
		return v.Line
	}
	return 0
}

func keyLines(node *yaml.Node) map[string]int {
	lines := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		lines[node.Content[i].Value] = node.Content[i].Line
	}
	return lines
}
