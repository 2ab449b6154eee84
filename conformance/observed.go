package conformance

import (
	"strings"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/internal/yamlfile"
	"github.com/threepar/rcopy-exporter/parser"
)

// Nulls says which fields of an observed triple the CIM server left NULL
// (or sent unreadable).
type Nulls struct {
	CopyState, SyncState, ProgressStatus, RoleReversed bool
}

// ObservedTriple is the CIM triple one instance reports. A NULL field
// never conforms.
type ObservedTriple struct {
	expected.Triple
	Null Nulls
}

// Complete reports whether no field is NULL.
func (t ObservedTriple) Complete() bool { return t.Null == Nulls{} }

// Names returns the four fields as the tables name them, "NULL" for a NULL
// field (the exporter's volume_cim_info labels, the text report).
func (t ObservedTriple) Names() (copyState, syncState, progressStatus, roleReversed string) {
	pick := func(null bool, s string) string {
		if null {
			return "NULL"
		}
		return s
	}
	rr := "false"
	if t.RoleReversed {
		rr = "true"
	}
	return pick(t.Null.CopyState, t.CopyState.String()), pick(t.Null.SyncState, t.SyncState.String()),
		pick(t.Null.ProgressStatus, t.ProgressStatus.String()), pick(t.Null.RoleReversed, rr)
}

// String prints the triple as expected.Triple does, NULL fields as NULL.
func (t ObservedTriple) String() string {
	c, s, p, r := t.Names()
	return c + "/" + s + "/" + p + " RoleReversed=" + r
}

// Observed is one CIM instance (TPD_RemoteStorageSynchronized) as read from
// an array: the local volume it is about and the triple it reports, and,
// to tell the legs of a group with two targets apart, the peer it is for.
type Observed struct {
	Group  string // optional: the group name on this array
	Target string // optional: the target (peer array) as showrcopy names it
	Peer   string // optional: the peer system as CIM names it (a name or WWN)
	Volume string // the local volume name
	ObservedTriple
}

// conforms reports the first row whose triple the instance reports.
func (o *Observed) conforms(rows []expected.Row) (expected.Row, bool) {
	if !o.Complete() {
		return expected.Row{}, false
	}
	return expected.Conforms(rows, o.Triple)
}

// FromCIM turns what the CIM client read into observations. An instance
// whose local volume is unknown is left out (it cannot be put against a
// volume); NULL states stay NULL.
func FromCIM(vols []cim.RemoteCopyVolume) []Observed {
	out := make([]Observed, 0, len(vols))
	for _, v := range vols {
		if v.Volume == "" {
			continue
		}
		out = append(out, Observed{Volume: v.Volume, Peer: v.PeerSystem, ObservedTriple: ObservedTriple{
			Triple: expected.Triple{
				CopyState:      expected.CopyState(v.CopyState),
				SyncState:      expected.SyncState(v.SyncState),
				ProgressStatus: expected.ProgressStatus(v.ProgressStatus),
				RoleReversed:   v.RoleReversed,
			},
			Null: Nulls{v.CopyStateNull, v.SyncStateNull, v.ProgressStatusNull, v.RoleReversedNull},
		}})
	}
	return out
}

// observedFile is the schema of a saved CIM observation (checker check
// --cim): YAML, and therefore JSON too.
type observedFile struct {
	Instances *[]observedInstance `yaml:"instances"`
}

type observedInstance struct {
	Group          string                   `yaml:"group"`
	Target         string                   `yaml:"target"`
	Volume         string                   `yaml:"volume"`
	CopyState      *expected.CopyState      `yaml:"copy_state"`
	SyncState      *expected.SyncState      `yaml:"sync_state"`
	ProgressStatus *expected.ProgressStatus `yaml:"progress_status"`
	RoleReversed   *bool                    `yaml:"role_reversed"`
}

// LoadObserved reads a saved CIM observation for the array whose showrcopy
// is out. Strict: an unknown key, a state that is no DMTF name or number, a
// value of the wrong type, a missing field, or a volume, group or target
// that the showrcopy does not hold is an error "FILE:LINE: msg".
func LoadObserved(path string, out *parser.Output) ([]Observed, error) {
	data, err := safefile.Read(path, safefile.MaxObservation)
	if err != nil {
		return nil, err
	}
	return ParseObserved(path, data, out)
}

// ParseObserved is LoadObserved on bytes already read; name is used in
// errors. A nil out skips the check against the showrcopy.
func ParseObserved(name string, data []byte, out *parser.Output) ([]Observed, error) {
	var f observedFile
	if err := yamlfile.DecodeStrict(name, data, &f); err != nil {
		return nil, err
	}
	if f.Instances == nil {
		return nil, &yamlfile.FileError{File: name, Line: 1, Msg: "no `instances:` list"}
	}
	lines := yamlfile.ItemLines(data, "instances")
	held := map[string]bool{} // "volume", "group\x00volume", "\x01target", "group\x01target"
	if out != nil {
		for _, g := range out.Groups {
			held[g.Name] = true
			held["\x01"+g.Target] = true
			held[g.Name+"\x01"+g.Target] = true
			for _, v := range g.Volumes {
				held["\x00"+v.LocalVV] = true
				held[g.Name+"\x00"+v.LocalVV] = true
			}
		}
	}
	obs := make([]Observed, 0, len(*f.Instances))
	for i, in := range *f.Instances {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		bad := func(msg string) error { return &yamlfile.FileError{File: name, Line: line, Msg: msg} }
		switch {
		case strings.TrimSpace(in.Volume) == "":
			return nil, bad("instance without volume")
		case in.CopyState == nil:
			return nil, bad("volume " + in.Volume + ": copy_state missing")
		case in.SyncState == nil:
			return nil, bad("volume " + in.Volume + ": sync_state missing")
		case in.ProgressStatus == nil:
			return nil, bad("volume " + in.Volume + ": progress_status missing")
		case in.RoleReversed == nil:
			return nil, bad("volume " + in.Volume + ": role_reversed missing")
		}
		if out != nil {
			switch {
			case in.Group != "" && !held[in.Group]:
				return nil, bad("group " + in.Group + " is not in the showrcopy output")
			case in.Group != "" && !held[in.Group+"\x00"+in.Volume]:
				return nil, bad("volume " + in.Volume + " is not in group " + in.Group + " of the showrcopy output")
			case !held["\x00"+in.Volume]:
				return nil, bad("volume " + in.Volume + " is not in the showrcopy output")
			case in.Target != "" && in.Group == "" && !held["\x01"+in.Target]:
				return nil, bad("target " + in.Target + " is the target of no group in the showrcopy output")
			case in.Target != "" && in.Group != "" && !held[in.Group+"\x01"+in.Target]:
				return nil, bad("group " + in.Group + " is not listed for target " + in.Target + " in the showrcopy output")
			}
		}
		obs = append(obs, Observed{Group: in.Group, Target: in.Target, Volume: in.Volume, ObservedTriple: ObservedTriple{
			Triple: expected.Triple{CopyState: *in.CopyState, SyncState: *in.SyncState, ProgressStatus: *in.ProgressStatus, RoleReversed: *in.RoleReversed},
		}})
	}
	return obs, nil
}
