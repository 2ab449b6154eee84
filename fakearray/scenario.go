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
	// TimeScale is the simulator's time factor: the arrays' documented
	// durations (the links' heartbeat and target timeouts) are multiplied
	// by it (default 0.1: a sync target fails 1.5 s after its links).
	// Options.TimeScale overrides it.
	TimeScale float64 `yaml:"time_scale"`
	// SyncPercent (default true) makes the sending side print
	// "Syncing (NN%)" while a volume syncs, as arrays do (the receiving
	// side prints "Syncing"); false prints plain "Syncing" on both.
	SyncPercent *bool `yaml:"sync_percent"`
	// ReturningPrimary is what an old primary shows when it is back after
	// a failover: "tables" (default: Secondary-Rev at once, the CIM
	// tables' T110-4) or "continentalclusters" (it keeps Primary until
	// setrcopygroup recover, as the Continentalclusters guide says).
	ReturningPrimary string `yaml:"returning_primary"`
	// CIMOutsideTables sets the simulator's own CIM answers for states
	// that no table covers (e.g. the natural primary whose target failed);
	// they replace the built-in choices for the same state.
	CIMOutsideTables []CIMChoiceConfig `yaml:"cim_outside_tables"`

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
	Stopped bool `yaml:"stopped"`
	// New starts the group never started: Status New, volumes New;
	// startrcopygroup then copies the volumes one after another.
	New bool `yaml:"new"`
	// ResyncDuration is how long each periodic resync runs (its volumes
	// print Syncing meanwhile); 0: at once.
	ResyncDuration Duration `yaml:"resync_duration"`
	// LongDistance makes a Synchronous Long Distance group: besides the
	// sync secondary, a periodic (long-distance) secondary, and a standby
	// leg between the two secondaries.
	LongDistance *LongDistanceConfig `yaml:"long_distance"`
	Volumes      []VolumeConfig      `yaml:"volumes"`
}

// LongDistanceConfig is the periodic target of a Synchronous Long
// Distance group.
type LongDistanceConfig struct {
	// Secondary is the long-distance (periodic) secondary array.
	Secondary string `yaml:"secondary"`
	// Period is its sync interval (default 5m).
	Period Duration `yaml:"period"`
}

// Return-primary behaviours (Scenario.ReturningPrimary).
const (
	ReturningPrimaryTables              = "tables"
	ReturningPrimaryContinentalclusters = "continentalclusters"
)

// CIMChoiceConfig is one of the simulator's own CIM answers for a state no
// table covers.
type CIMChoiceConfig struct {
	Role         string `yaml:"role"`
	SyncStatus   string `yaml:"sync_status"`
	TargetStatus string `yaml:"target_status"` // ready, failed or any
	// States: a number or a DMTF name the simulator knows.
	CopyState      string `yaml:"copy_state"`
	SyncState      string `yaml:"sync_state"`
	ProgressStatus string `yaml:"progress_status"`
	// RoleReversed defaults to whether Role ends in -Rev.
	RoleReversed *bool `yaml:"role_reversed"`
}

// VolumeConfig is one replicated volume. IDs are assigned when zero;
// RemoteName defaults to Name.
type VolumeConfig struct {
	Name       string `yaml:"name"`
	ID         int    `yaml:"id"`
	RemoteName string `yaml:"remote_name"`
	RemoteID   int    `yaml:"remote_id"`
	// LongDistanceID is the id on a Synchronous Long Distance group's
	// long-distance secondary (assigned when zero; the name there is
	// RemoteName).
	LongDistanceID int `yaml:"long_distance_id"`
	// Status starts a volume of a started group NotSynced (its initial
	// sync failed on a read error) or Stale (its last periodic resync
	// failed; periodic legs only).
	Status string `yaml:"status"`
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

// Built-in credentials of the default scenario (documented in docs/simulator.md;
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
		TimeScale:       DefaultTimeScale,
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

// DefaultTimeScale is the time factor of a scenario that sets none.
const DefaultTimeScale = 0.1

// SLDScenario is the built-in Synchronous Long Distance trio: sld-a
// (natural primary, system id 188160) replicates group rcg-sld
// synchronously to sld-b (188161, over FC) and periodically (5m) to sld-c
// (188162, over IP); sld-b and sld-c hold the standby leg (Status Backup,
// both Secondary). Users as in DefaultScenario.
func SLDScenario() *Scenario {
	users := []UserConfig{{Name: DefaultUser, Password: DefaultPassword}}
	sc := &Scenario{
		TimeZone:        "UTC",
		TransitionDelay: Duration(2 * time.Second),
		TimeScale:       DefaultTimeScale,
		Arrays: []ArrayConfig{
			{Name: "sld-a", SystemID: 188160, Users: users},
			{Name: "sld-b", SystemID: 188161, Users: users},
			{Name: "sld-c", SystemID: 188162, Users: users},
		},
		Targets: []TargetConfig{
			{Arrays: []string{"sld-a", "sld-b"}, Type: "FC"},
			{Arrays: []string{"sld-a", "sld-c"}, Type: "IP"},
			{Arrays: []string{"sld-b", "sld-c"}, Type: "IP"},
		},
		Groups: []GroupConfig{
			{Name: "rcg-sld", Primary: "sld-a", Secondary: "sld-b", Mode: "sync",
				Options:      []string{"auto_recover", "over_per_alert"},
				LongDistance: &LongDistanceConfig{Secondary: "sld-c", Period: Duration(5 * time.Minute)},
				Volumes:      vols("sld", 2)},
		},
	}
	if err := sc.normalize(); err != nil {
		panic("fakearray: built-in SLD scenario is invalid: " + err.Error()) // a programming error, caught by tests
	}
	return sc
}

// BuiltinScenarios names the built-in scenarios: "pair" (DefaultScenario)
// and "sld" (SLDScenario).
var BuiltinScenarios = []string{"pair", "sld"}

// BuiltinScenario returns a built-in scenario by name (see BuiltinScenarios).
func BuiltinScenario(name string) (*Scenario, error) {
	switch name {
	case "pair", "":
		return DefaultScenario(), nil
	case "sld":
		return SLDScenario(), nil
	}
	return nil, fmt.Errorf("no built-in scenario %q (known: %s)", name, strings.Join(BuiltinScenarios, ", "))
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
	switch {
	case sc.TimeScale == 0:
		sc.TimeScale = DefaultTimeScale
	case sc.TimeScale < 0:
		return errors.New("time_scale must be positive")
	}
	switch sc.ReturningPrimary {
	case "":
		sc.ReturningPrimary = ReturningPrimaryTables
	case ReturningPrimaryTables, ReturningPrimaryContinentalclusters:
	default:
		return fmt.Errorf("returning_primary %q: want %s or %s", sc.ReturningPrimary, ReturningPrimaryTables, ReturningPrimaryContinentalclusters)
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

	if err := sc.normalizeGroups(arrays, targets, pairKey); err != nil {
		return err
	}
	// Materialize implied targets so that the scenario lists them all.
	listed := map[string]bool{}
	for _, t := range sc.Targets {
		listed[pairKey(t.Arrays[0], t.Arrays[1])] = true
	}
	for _, g := range sc.Groups {
		pairs := [][2]string{{g.Primary, g.Secondary}}
		if g.LongDistance != nil {
			pairs = append(pairs, [2]string{g.Primary, g.LongDistance.Secondary}, [2]string{g.Secondary, g.LongDistance.Secondary})
		}
		for _, pr := range pairs {
			if k := pairKey(pr[0], pr[1]); !listed[k] {
				listed[k] = true
				sc.Targets = append(sc.Targets, TargetConfig{Arrays: []string{pr[0], pr[1]}, Type: "IP"})
			}
		}
	}
	if _, err := sc.cimChoices(); err != nil {
		return err
	}
	return nil
}

// normalizeGroups validates the groups, fills their defaults and assigns
// volume ids (explicit ids first, so that assigned ones do not collide).
func (sc *Scenario) normalizeGroups(arrays map[string]*ArrayConfig, targets map[string]bool, pairKey func(a, b string) string) error {
	nextVolID := map[string]int{}
	usedVolID := map[string]map[int]bool{}
	usedVolName := map[string]map[string]bool{}
	for i, a := range sc.Arrays {
		usedVolID[a.Name] = map[int]bool{}
		usedVolName[a.Name] = map[string]bool{}
		// Distinct ranges per array make swapped local/remote ids visible.
		nextVolID[a.Name] = 100 + 1000*(i%10)
	}
	// holders are the arrays holding group g, with each volume's id there.
	type holder struct {
		array string
		id    func(*VolumeConfig) *int
		name  func(*VolumeConfig) string
	}
	holders := func(g *GroupConfig) []holder {
		h := []holder{
			{g.Primary, func(v *VolumeConfig) *int { return &v.ID }, func(v *VolumeConfig) string { return v.Name }},
			{g.Secondary, func(v *VolumeConfig) *int { return &v.RemoteID }, func(v *VolumeConfig) string { return v.RemoteName }},
		}
		if g.LongDistance != nil {
			h = append(h, holder{g.LongDistance.Secondary, func(v *VolumeConfig) *int { return &v.LongDistanceID }, func(v *VolumeConfig) string { return v.RemoteName }})
		}
		return h
	}
	for i := range sc.Groups {
		g := &sc.Groups[i]
		for _, h := range holders(g) {
			if arrays[h.array] == nil {
				continue // reported below
			}
			for j := range g.Volumes {
				if id := *h.id(&g.Volumes[j]); id > 0 {
					if usedVolID[h.array][id] {
						return itemErr("groups", i, fmt.Errorf("group %s: volume id %d used twice on %s", g.Name, id, h.array))
					}
					usedVolID[h.array][id] = true
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
		if err := g.normalize(arrays); err != nil {
			return itemErr("groups", i, err)
		}
		where := "group " + g.Name
		for _, h := range holders(g) {
			k := h.array + "\x00" + g.Name
			if groupNames[k] {
				return itemErr("groups", i, fmt.Errorf("%s: defined twice on one array", where))
			}
			groupNames[k] = true
		}
		targets[pairKey(g.Primary, g.Secondary)] = true
		for j := range g.Volumes {
			v := &g.Volumes[j]
			for _, h := range holders(g) {
				name := h.name(v)
				if usedVolName[h.array][name] {
					return itemErr("groups", i, fmt.Errorf("%s: volume %q already exists on %s", where, name, h.array))
				}
				usedVolName[h.array][name] = true
				if id := h.id(v); *id == 0 {
					*id = assign(h.array)
				}
			}
		}
	}
	return nil
}

// normalize validates one group and fills its defaults (not its volume ids).
func (g *GroupConfig) normalize(arrays map[string]*ArrayConfig) error {
	if !validName(g.Name) || strings.Contains(g.Name, ".r") {
		return fmt.Errorf("name %q: want 1-31 letters, digits, '.', '_' or '-' (and no \".r\", which secondaries append)", g.Name)
	}
	where := "group " + g.Name
	if arrays[g.Primary] == nil {
		return fmt.Errorf("%s: unknown primary array %q", where, g.Primary)
	}
	if arrays[g.Secondary] == nil {
		return fmt.Errorf("%s: unknown secondary array %q", where, g.Secondary)
	}
	if g.Primary == g.Secondary {
		return fmt.Errorf("%s: primary and secondary are the same array", where)
	}
	switch g.Mode {
	case "sync":
		if g.Period != 0 {
			return fmt.Errorf("%s: period is only for periodic mode", where)
		}
	case "periodic":
		if g.Period == 0 {
			g.Period = Duration(5 * time.Minute)
		}
		if g.Period < Duration(time.Second) {
			return fmt.Errorf("%s: period must be at least 1s", where)
		}
	default:
		return fmt.Errorf("%s: mode %q: want sync or periodic", where, g.Mode)
	}
	periodic := g.Mode == "periodic"
	if ld := g.LongDistance; ld != nil {
		switch {
		case g.Mode != "sync":
			return fmt.Errorf("%s: long_distance needs mode sync (Synchronous Long Distance: a sync and a periodic target)", where)
		case arrays[ld.Secondary] == nil:
			return fmt.Errorf("%s: long_distance: unknown secondary array %q", where, ld.Secondary)
		case ld.Secondary == g.Primary || ld.Secondary == g.Secondary:
			return fmt.Errorf("%s: long_distance: secondary %s must be a third array", where, ld.Secondary)
		}
		if ld.Period == 0 {
			ld.Period = Duration(5 * time.Minute)
		}
		if ld.Period < Duration(time.Second) {
			return fmt.Errorf("%s: long_distance: period must be at least 1s", where)
		}
		periodic = true
	}
	switch {
	case g.ResyncDuration < 0:
		return fmt.Errorf("%s: resync_duration must not be negative", where)
	case g.ResyncDuration > 0 && !periodic:
		return fmt.Errorf("%s: resync_duration is for periodic groups", where)
	case g.ResyncDuration > 0 && (g.ResyncDuration >= g.Period && g.Mode == "periodic" || g.LongDistance != nil && g.ResyncDuration >= g.LongDistance.Period):
		return fmt.Errorf("%s: resync_duration must be shorter than the period", where)
	case g.New && g.Stopped:
		return fmt.Errorf("%s: new and stopped exclude each other (a new group was never started)", where)
	}
	for _, o := range g.Options {
		if !optRE.MatchString(o) {
			return fmt.Errorf("%s: option %q: want a word like auto_recover", where, o)
		}
	}
	if len(g.Volumes) == 0 {
		return fmt.Errorf("%s: no volumes", where)
	}
	for j := range g.Volumes {
		v := &g.Volumes[j]
		if !validName(v.Name) {
			return fmt.Errorf("%s: volumes[%d]: name %q invalid", where, j, v.Name)
		}
		if v.RemoteName == "" {
			v.RemoteName = v.Name
		}
		if !validName(v.RemoteName) {
			return fmt.Errorf("%s: volumes[%d]: remote_name %q invalid", where, j, v.RemoteName)
		}
		for _, id := range []int{v.ID, v.RemoteID, v.LongDistanceID} {
			if id < 0 || id > 999999 {
				return fmt.Errorf("%s: volumes[%d]: ids must be 1..999999 (0: assigned)", where, j)
			}
		}
		if v.LongDistanceID != 0 && g.LongDistance == nil {
			return fmt.Errorf("%s: volumes[%d]: long_distance_id without long_distance", where, j)
		}
		switch v.Status {
		case "":
		case syncNotSynced, syncStale:
			if g.New || g.Stopped {
				return fmt.Errorf("%s: volumes[%d]: status %s is for a started group", where, j, v.Status)
			}
			if v.Status == syncStale && !periodic {
				return fmt.Errorf("%s: volumes[%d]: status Stale is for periodic groups (a failed periodic resync)", where, j)
			}
		default:
			return fmt.Errorf("%s: volumes[%d]: status %q: want %s or %s", where, j, v.Status, syncNotSynced, syncStale)
		}
	}
	return nil
}

// cimChoices returns the simulator's own CIM answers for this scenario:
// the built-in choices with cim_outside_tables laid over them. A choice
// for a state the manual covers is an error: there the manual answers.
func (sc *Scenario) cimChoices() ([]CIMEntry, error) {
	var user []CIMEntry
	for i, c := range sc.CIMOutsideTables {
		bad := func(format string, args ...any) error {
			return itemErr("cim_outside_tables", i, fmt.Errorf(format, args...))
		}
		e := CIMEntry{Role: c.Role, SyncStatus: c.SyncStatus, Choice: true,
			Source: "scenario: cim_outside_tables[" + strconv.Itoa(i) + "]"}
		switch c.Role {
		case rolePrimary, roleSecondary, rolePrimaryRev, roleSecondaryRev:
		default:
			return nil, bad("role %q: want Primary, Secondary, Primary-Rev or Secondary-Rev", c.Role)
		}
		switch c.SyncStatus {
		case syncNew, syncSyncing, syncSynced, syncNotSynced, syncStale, syncStopped:
		default:
			return nil, bad("sync_status %q: want New, Syncing, Synced, NotSynced, Stale or Stopped", c.SyncStatus)
		}
		switch c.TargetStatus {
		case "ready":
			e.Link = LinkUp
		case "failed":
			e.Link = LinkDown
		case "any", "":
			e.Link = LinkAny
		default:
			return nil, bad("target_status %q: want ready, failed or any", c.TargetStatus)
		}
		var err error
		for _, f := range []struct {
			prop string
			text string
			to   *uint16
		}{{"copy_state", c.CopyState, &e.CopyState}, {"sync_state", c.SyncState, &e.SyncState}, {"progress_status", c.ProgressStatus, &e.ProgressStatus}} {
			if f.text == "" {
				return nil, bad("%s missing", f.prop)
			}
			if *f.to, err = parseState(f.prop, f.text); err != nil {
				return nil, bad("%v", err)
			}
		}
		e.RoleReversed = reversed(c.Role)
		if c.RoleReversed != nil {
			e.RoleReversed = *c.RoleReversed
		}
		for _, link := range []bool{true, false} {
			if e.Link == LinkUp && !link || e.Link == LinkDown && link {
				continue
			}
			cs := cimCase{role: e.Role, sync: e.SyncStatus, linkUp: link}
			for _, m := range manualAnswers {
				if m.covers(cs) {
					return nil, bad("%s: the manual answers this state (%s); the simulator follows it", cs, strings.Join(m.Rows, ", "))
				}
			}
		}
		user = append(user, e)
	}
	// The scenario's choices come first (the first that covers a state
	// answers), then the built-in ones.
	return append(user, defaultChoices...), nil
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
