package fakearray

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/internal/yamlfile"
)

// Scenario describes the simulated arrays, the remote copy targets between
// them and the groups they replicate. It is what a scenario YAML file holds
// (see examples/fakearray/sim.yml); DefaultScenario returns the built-in pair.
type Scenario struct {
	// TimeZone is the IANA zone in which arrays print times (default UTC,
	// printed as "UTC").
	TimeZone string `yaml:"time_zone"`
	// TransitionDelay is how long a state transition (syncing, failing
	// over, recovering, restoring) takes. Options.TransitionDelay overrides it.
	TransitionDelay Duration `yaml:"transition_delay"`
	// SimAdminPassword / SimAdminPasswordFile set the password of the
	// control user "simadmin" (default "simadmin").
	SimAdminPassword     string `yaml:"simadmin_password"`
	SimAdminPasswordFile string `yaml:"simadmin_password_file"`
	// HostKeyDir, when set, keeps each array's host key in DIR/<name>.key
	// unless the array names its own host_key_file.
	HostKeyDir string `yaml:"host_key_dir"`

	Arrays  []ArrayConfig  `yaml:"arrays"`
	Targets []TargetConfig `yaml:"targets"`
	Groups  []GroupConfig  `yaml:"groups"`
	// Generate adds generated arrays, targets and groups (for load tests).
	Generate *GenerateConfig `yaml:"generate"`

	// source names the file the scenario came from, for error messages.
	source string
}

// ArrayConfig is one simulated array.
type ArrayConfig struct {
	Name     string `yaml:"name"`
	SystemID int    `yaml:"system_id"`
	// WWN is the system's WWN (16 hex digits); derived from SystemID when empty.
	WWN string `yaml:"wwn"`
	// SSHListen / CIMListen are listen addresses (default 127.0.0.1:0).
	SSHListen   string       `yaml:"ssh_listen"`
	CIMListen   string       `yaml:"cim_listen"`
	Users       []UserConfig `yaml:"users"`
	HostKeyFile string       `yaml:"host_key_file"`
	// Faults are injected at start (see Faults for the names).
	Faults []string `yaml:"faults"`
	// Down starts the array powered off.
	Down bool `yaml:"down"`
}

// UserConfig is one CLI (and CIM) user of an array. A user authenticates
// with a password, with one of its authorized keys, or both.
type UserConfig struct {
	Name               string   `yaml:"name"`
	Password           string   `yaml:"password"`
	PasswordFile       string   `yaml:"password_file"`
	AuthorizedKeys     []string `yaml:"authorized_keys"`
	AuthorizedKeysFile string   `yaml:"authorized_keys_file"`
}

// TargetConfig declares that two arrays are remote copy targets of each
// other (each shows the other in `showrcopy targets`). Targets implied by
// groups are added automatically.
type TargetConfig struct {
	Arrays []string `yaml:"arrays"`
	// Type is IP (default) or FC.
	Type string `yaml:"type"`
	// Down starts the links between the two arrays down.
	Down bool `yaml:"down"`
}

// GroupConfig is one remote copy group between its natural primary and its
// natural secondary. The secondary names it "<name>.r<primary system id>".
type GroupConfig struct {
	Name      string `yaml:"name"`
	Primary   string `yaml:"primary"`
	Secondary string `yaml:"secondary"`
	// Mode is sync or periodic.
	Mode string `yaml:"mode"`
	// Period is the periodic sync interval (periodic mode; default 5m).
	Period Duration `yaml:"period"`
	// Options as printed, e.g. auto_recover, over_per_alert.
	Options []string `yaml:"options"`
	// Stopped starts the group stopped (as after stoprcopygroup).
	Stopped bool           `yaml:"stopped"`
	Volumes []VolumeConfig `yaml:"volumes"`
}

// VolumeConfig is one replicated volume. IDs are assigned when zero;
// RemoteName defaults to Name.
type VolumeConfig struct {
	Name       string `yaml:"name"`
	ID         int    `yaml:"id"`
	RemoteName string `yaml:"remote_name"`
	RemoteID   int    `yaml:"remote_id"`
}

// GenerateConfig generates Arrays arrays (sim-0000, sim-0001, ...), paired
// two by two, with GroupsPerPair groups of VolumesPerGroup volumes in each
// pair (alternating sync and periodic). Users are those of the built-in
// default (3paradm / 3pardata).
type GenerateConfig struct {
	Arrays          int `yaml:"arrays"`
	GroupsPerPair   int `yaml:"groups_per_pair"`
	VolumesPerGroup int `yaml:"volumes_per_group"`
	// FirstSystemID numbers the generated arrays (default 200000).
	FirstSystemID int `yaml:"first_system_id"`
}

// Duration is a time.Duration that YAML reads as "10ms", "5m", ...
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Built-in credentials of the default scenario (documented in the README;
// a simulator's well-known password, not a secret).
const (
	DefaultUser          = "3paradm"
	DefaultPassword      = "3pardata"
	DefaultAdminUser     = "simadmin"
	DefaultAdminPassword = "simadmin"
)

// DefaultScenario is the built-in healthy pair: sim-a (natural primary,
// system id 188150) and sim-b (natural secondary, 188151), user 3paradm /
// 3pardata, three groups in sync and periodic mode.
func DefaultScenario() *Scenario {
	users := []UserConfig{{Name: DefaultUser, Password: DefaultPassword}}
	sc := &Scenario{
		TimeZone:        "UTC",
		TransitionDelay: Duration(2 * time.Second),
		Arrays: []ArrayConfig{
			{Name: "sim-a", SystemID: 188150, Users: users},
			{Name: "sim-b", SystemID: 188151, Users: users},
		},
		Targets: []TargetConfig{{Arrays: []string{"sim-a", "sim-b"}, Type: "IP"}},
		Groups: []GroupConfig{
			{Name: "rcg-db", Primary: "sim-a", Secondary: "sim-b", Mode: "sync",
				Options: []string{"auto_recover", "auto_synchronize"},
				Volumes: vols("db", 3)},
			{Name: "rcg-app", Primary: "sim-a", Secondary: "sim-b", Mode: "periodic",
				Period: Duration(5 * time.Minute), Options: []string{"auto_recover", "over_per_alert", "auto_synchronize"},
				Volumes: vols("app", 2)},
			{Name: "rcg-files", Primary: "sim-a", Secondary: "sim-b", Mode: "sync",
				Options: []string{"auto_recover", "path_management"},
				Volumes: vols("files", 8)},
		},
	}
	if err := sc.normalize(); err != nil {
		panic("fakearray: built-in scenario is invalid: " + err.Error()) // a programming error, caught by tests
	}
	return sc
}

func vols(prefix string, n int) []VolumeConfig {
	out := make([]VolumeConfig, n)
	for i := range out {
		out[i].Name = fmt.Sprintf("%s.%d", prefix, i)
	}
	return out
}

// LoadScenario reads a scenario YAML file. Unknown keys are errors; every
// error names the file (and the line where the YAML decoder knows it).
func LoadScenario(path string) (*Scenario, error) {
	data, err := safefile.Read(path, safefile.MaxScenario)
	if err != nil {
		return nil, err
	}
	sc, err := ParseScenario(data, path)
	if err != nil {
		return nil, err
	}
	// Relative file names in the scenario are relative to the file.
	base := filepath.Dir(path)
	rel := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	rel(&sc.SimAdminPasswordFile)
	rel(&sc.HostKeyDir)
	for i := range sc.Arrays {
		a := &sc.Arrays[i]
		rel(&a.HostKeyFile)
		for j := range a.Users {
			rel(&a.Users[j].PasswordFile)
			rel(&a.Users[j].AuthorizedKeysFile)
		}
	}
	return sc, nil
}

// ParseScenario decodes a scenario from YAML; name is used in errors.
func ParseScenario(data []byte, name string) (*Scenario, error) {
	if _, err := yamlfile.Document(name, data, new(yaml.Node)); err != nil { // one plain document: no anchors, aliases or merge keys
		return nil, err
	}
	sc := &Scenario{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(sc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlfile.Error(name, err) // "sim.yml:7: ..."
	}
	sc.source = name
	if err := sc.normalize(); err != nil {
		var ie *itemError
		if errors.As(err, &ie) {
			if lines := yamlfile.ItemLines(data, ie.section); ie.index >= 0 && ie.index < len(lines) {
				line := lines[ie.index]
				return nil, fmt.Errorf("%s:%d: %w", name, line, ie.err)
			}
			return nil, fmt.Errorf("%s: %w", name, ie.err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return sc, nil
}

// itemError is a validation error in one item of a top-level list
// (arrays, targets, groups), so that messages can name its line.
type itemError struct {
	section string
	index   int
	err     error
}

func (e *itemError) Error() string { return fmt.Sprintf("%s[%d]: %v", e.section, e.index, e.err) }
func (e *itemError) Unwrap() error { return e.err }

func itemErr(section string, index int, err error) error {
	return &itemError{section: section, index: index, err: err}
}

var (
	wwnRE = regexp.MustCompile(`^[0-9A-F]{16}$`)
	optRE = regexp.MustCompile(`^[a-z_]+$`)
)

// validName reports whether s is an array, group or volume name: 1-31
// letters, digits, '.', '_' or '-', starting with a letter or digit
// (^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$; a regexp is too slow for a million
// volumes).
func validName(s string) bool {
	if len(s) == 0 || len(s) > 31 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// normalize expands Generate, fills defaults and validates. It is
// idempotent.
func (sc *Scenario) normalize() error {
	if sc.TimeZone == "" {
		sc.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(sc.TimeZone); err != nil {
		return fmt.Errorf("time_zone %q: %w", sc.TimeZone, err)
	}
	if sc.TransitionDelay < 0 {
		return errors.New("transition_delay must not be negative")
	}
	if sc.Generate != nil {
		if err := sc.expand(); err != nil {
			return err
		}
	}
	if len(sc.Arrays) == 0 {
		return errors.New("no arrays: a scenario needs at least one array (or generate:)")
	}
	arrays := map[string]*ArrayConfig{}
	sysIDs := map[int]string{}
	for i := range sc.Arrays {
		a := &sc.Arrays[i]
		if !validName(a.Name) {
			return itemErr("arrays", i, fmt.Errorf("name %q: want 1-31 letters, digits, '.', '_' or '-'", a.Name))
		}
		if arrays[a.Name] != nil {
			return itemErr("arrays", i, fmt.Errorf("array %q defined twice", a.Name))
		}
		arrays[a.Name] = a
		if a.SystemID <= 0 || a.SystemID > 0xFFFFFF {
			return itemErr("arrays", i, fmt.Errorf("array %s: system_id must be 1..16777215", a.Name))
		}
		if other, dup := sysIDs[a.SystemID]; dup {
			return itemErr("arrays", i, fmt.Errorf("array %s: system_id %d already used by %s", a.Name, a.SystemID, other))
		}
		sysIDs[a.SystemID] = a.Name
		if a.WWN == "" {
			a.WWN = fmt.Sprintf("2FF70002AC%06X", a.SystemID)
		}
		a.WWN = strings.ToUpper(a.WWN)
		if !wwnRE.MatchString(a.WWN) {
			return itemErr("arrays", i, fmt.Errorf("array %s: wwn %q: want 16 hex digits", a.Name, a.WWN))
		}
		for _, addr := range []*string{&a.SSHListen, &a.CIMListen} {
			if *addr == "" {
				*addr = "127.0.0.1:0"
			}
			if _, _, err := net.SplitHostPort(*addr); err != nil {
				return itemErr("arrays", i, fmt.Errorf("array %s: listen address: %w", a.Name, err))
			}
		}
		if len(a.Users) == 0 {
			return itemErr("arrays", i, fmt.Errorf("array %s: no users", a.Name))
		}
		for j, u := range a.Users {
			if u.Name == "" || u.Name == DefaultAdminUser {
				return itemErr("arrays", i, fmt.Errorf("array %s: users[%d]: name must be set and not %q (reserved for control)", a.Name, j, DefaultAdminUser))
			}
			if u.Password != "" && u.PasswordFile != "" {
				return itemErr("arrays", i, fmt.Errorf("array %s: user %s: set password or password_file, not both", a.Name, u.Name))
			}
			if u.Password == "" && u.PasswordFile == "" && len(u.AuthorizedKeys) == 0 && u.AuthorizedKeysFile == "" {
				return itemErr("arrays", i, fmt.Errorf("array %s: user %s: needs a password, password_file, authorized_keys or authorized_keys_file", a.Name, u.Name))
			}
		}
		for _, f := range a.Faults {
			if _, err := ParseFault(f); err != nil {
				return itemErr("arrays", i, fmt.Errorf("array %s: %w", a.Name, err))
			}
		}
	}
	if sc.SimAdminPassword != "" && sc.SimAdminPasswordFile != "" {
		return errors.New("set simadmin_password or simadmin_password_file, not both")
	}

	pairKey := func(a, b string) string {
		if a > b {
			a, b = b, a
		}
		return a + "\x00" + b
	}
	targets := map[string]bool{}
	for i := range sc.Targets {
		t := &sc.Targets[i]
		if len(t.Arrays) != 2 || t.Arrays[0] == t.Arrays[1] {
			return itemErr("targets", i, errors.New("arrays: want two different array names"))
		}
		for _, n := range t.Arrays {
			if arrays[n] == nil {
				return itemErr("targets", i, fmt.Errorf("unknown array %q", n))
			}
		}
		if t.Type == "" {
			t.Type = "IP"
		}
		if t.Type != "IP" && t.Type != "FC" {
			return itemErr("targets", i, fmt.Errorf("type %q: want IP or FC", t.Type))
		}
		k := pairKey(t.Arrays[0], t.Arrays[1])
		if targets[k] {
			return itemErr("targets", i, fmt.Errorf("%s and %s are already targets of each other", t.Arrays[0], t.Arrays[1]))
		}
		targets[k] = true
	}

	nextVolID := map[string]int{}
	usedVolID := map[string]map[int]bool{}
	usedVolName := map[string]map[string]bool{}
	for i, a := range sc.Arrays {
		usedVolID[a.Name] = map[int]bool{}
		usedVolName[a.Name] = map[string]bool{}
		// Distinct ranges per array make swapped local/remote ids visible.
		nextVolID[a.Name] = 100 + 1000*(i%10)
	}
	// Explicit ids first, so that assigned ids do not collide with them.
	for i, g := range sc.Groups {
		for _, c := range []struct {
			array string
			id    func(VolumeConfig) int
		}{{g.Primary, func(v VolumeConfig) int { return v.ID }}, {g.Secondary, func(v VolumeConfig) int { return v.RemoteID }}} {
			if arrays[c.array] == nil {
				continue // reported below
			}
			for _, v := range g.Volumes {
				if id := c.id(v); id > 0 {
					if usedVolID[c.array][id] {
						return itemErr("groups", i, fmt.Errorf("group %s: volume id %d used twice on %s", g.Name, id, c.array))
					}
					usedVolID[c.array][id] = true
				}
			}
		}
	}
	assign := func(array string) int {
		for usedVolID[array][nextVolID[array]] {
			nextVolID[array]++
		}
		id := nextVolID[array]
		usedVolID[array][id] = true
		return id
	}
	groupNames := map[string]bool{}
	for i := range sc.Groups {
		g := &sc.Groups[i]
		if !validName(g.Name) || strings.Contains(g.Name, ".r") {
			return itemErr("groups", i, fmt.Errorf("name %q: want 1-31 letters, digits, '.', '_' or '-' (and no \".r\", which secondaries append)", g.Name))
		}
		where := "group " + g.Name
		if arrays[g.Primary] == nil {
			return itemErr("groups", i, fmt.Errorf("%s: unknown primary array %q", where, g.Primary))
		}
		if arrays[g.Secondary] == nil {
			return itemErr("groups", i, fmt.Errorf("%s: unknown secondary array %q", where, g.Secondary))
		}
		if g.Primary == g.Secondary {
			return itemErr("groups", i, fmt.Errorf("%s: primary and secondary are the same array", where))
		}
		for _, k := range []string{g.Primary + "\x00" + g.Name, g.Secondary + "\x00" + g.Name} {
			if groupNames[k] {
				return itemErr("groups", i, fmt.Errorf("%s: defined twice on one array", where))
			}
			groupNames[k] = true
		}
		targets[pairKey(g.Primary, g.Secondary)] = true
		switch g.Mode {
		case "sync":
			if g.Period != 0 {
				return itemErr("groups", i, fmt.Errorf("%s: period is only for periodic mode", where))
			}
		case "periodic":
			if g.Period == 0 {
				g.Period = Duration(5 * time.Minute)
			}
			if g.Period < Duration(time.Second) {
				return itemErr("groups", i, fmt.Errorf("%s: period must be at least 1s", where))
			}
		default:
			return itemErr("groups", i, fmt.Errorf("%s: mode %q: want sync or periodic", where, g.Mode))
		}
		for _, o := range g.Options {
			if !optRE.MatchString(o) {
				return itemErr("groups", i, fmt.Errorf("%s: option %q: want a word like auto_recover", where, o))
			}
		}
		if len(g.Volumes) == 0 {
			return itemErr("groups", i, fmt.Errorf("%s: no volumes", where))
		}
		for j := range g.Volumes {
			v := &g.Volumes[j]
			if !validName(v.Name) {
				return itemErr("groups", i, fmt.Errorf("%s: volumes[%d]: name %q invalid", where, j, v.Name))
			}
			if v.RemoteName == "" {
				v.RemoteName = v.Name
			}
			if v.ID < 0 || v.RemoteID < 0 || v.ID > 999999 || v.RemoteID > 999999 {
				return itemErr("groups", i, fmt.Errorf("%s: volumes[%d]: ids must be 1..999999 (0: assigned)", where, j))
			}
			if !validName(v.RemoteName) {
				return itemErr("groups", i, fmt.Errorf("%s: volumes[%d]: remote_name %q invalid", where, j, v.RemoteName))
			}
			for _, c := range []struct{ array, name string }{{g.Primary, v.Name}, {g.Secondary, v.RemoteName}} {
				if usedVolName[c.array][c.name] {
					return itemErr("groups", i, fmt.Errorf("%s: volume %q already exists on %s", where, c.name, c.array))
				}
				usedVolName[c.array][c.name] = true
			}
			if v.ID == 0 {
				v.ID = assign(g.Primary)
			}
			if v.RemoteID == 0 {
				v.RemoteID = assign(g.Secondary)
			}
		}
	}
	// Materialize implied targets so that the scenario lists them all.
	listed := map[string]bool{}
	for _, t := range sc.Targets {
		listed[pairKey(t.Arrays[0], t.Arrays[1])] = true
	}
	for _, g := range sc.Groups {
		if k := pairKey(g.Primary, g.Secondary); !listed[k] {
			listed[k] = true
			sc.Targets = append(sc.Targets, TargetConfig{Arrays: []string{g.Primary, g.Secondary}, Type: "IP"})
		}
	}
	return nil
}

// maxGeneratedVolumePairs bounds generate: (500 arrays of 10000 volumes
// is 2.5 M pairs); a variable so that the fuzz test can lower it.
var maxGeneratedVolumePairs = 5_000_000

// expand turns Generate into arrays, targets and groups, then clears it.
func (sc *Scenario) expand() error {
	g := sc.Generate
	if g.Arrays < 1 || g.Arrays > 5000 {
		return errors.New("generate.arrays must be 1..5000")
	}
	if g.GroupsPerPair < 0 || g.GroupsPerPair > 100000 || g.VolumesPerGroup < 1 || g.VolumesPerGroup > 100000 ||
		g.GroupsPerPair*g.VolumesPerGroup > 100000 {
		return errors.New("generate: groups_per_pair >= 0, volumes_per_group >= 1, and at most 100000 volumes per array")
	}
	if total := g.Arrays / 2 * g.GroupsPerPair * g.VolumesPerGroup; total > maxGeneratedVolumePairs {
		return fmt.Errorf("generate: %d volume pairs in all, more than the %d one process serves", total, maxGeneratedVolumePairs)
	}
	first := g.FirstSystemID
	if first == 0 {
		first = 200000
	}
	users := []UserConfig{{Name: DefaultUser, Password: DefaultPassword}}
	names := make([]string, g.Arrays)
	for i := range names {
		names[i] = fmt.Sprintf("sim-%04d", i)
		sc.Arrays = append(sc.Arrays, ArrayConfig{Name: names[i], SystemID: first + i, Users: users})
	}
	for i := 0; i+1 < len(names); i += 2 {
		p, s := names[i], names[i+1]
		sc.Targets = append(sc.Targets, TargetConfig{Arrays: []string{p, s}, Type: "IP"})
		for j := 0; j < g.GroupsPerPair; j++ {
			gc := GroupConfig{Name: "rcg-" + strconv.Itoa(j), Primary: p, Secondary: s,
				Options: []string{"auto_recover"}}
			if j%2 == 0 {
				gc.Mode = "sync"
			} else {
				gc.Mode = "periodic"
				gc.Period = Duration(5 * time.Minute)
				gc.Options = append(gc.Options, "over_per_alert")
			}
			for k := 0; k < g.VolumesPerGroup; k++ {
				gc.Volumes = append(gc.Volumes, VolumeConfig{Name: fmt.Sprintf("vv%d.%d", j, k)})
			}
			sc.Groups = append(sc.Groups, gc)
		}
	}
	sc.Generate = nil
	return nil
}
