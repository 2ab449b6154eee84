package conformance

import (
	"strings"

	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/internal/yamlfile"
	"github.com/threepar/rcopy-exporter/parser"
)

// observedFile is the schema of a saved CIM observation (checker check
// --cim): YAML, and therefore JSON too.
type observedFile struct {
	Instances *[]observedInstance `yaml:"instances"`
}

type observedInstance struct {
	Group          string                   `yaml:"group"`
	Volume         string                   `yaml:"volume"`
	CopyState      *expected.CopyState      `yaml:"copy_state"`
	SyncState      *expected.SyncState      `yaml:"sync_state"`
	ProgressStatus *expected.ProgressStatus `yaml:"progress_status"`
	RoleReversed   *bool                    `yaml:"role_reversed"`
}

// LoadObserved reads a saved CIM observation for the array whose showrcopy
// is out. Strict: an unknown key, a state that is no DMTF name or number, a
// value of the wrong type, a missing field, or a volume (or group) that the
// showrcopy does not hold is an error "FILE:LINE: msg".
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
	volumes, groups := map[string]bool{}, map[string]bool{}
	if out != nil {
		for _, g := range out.Groups {
			groups[g.Name] = true
			for _, v := range g.Volumes {
				volumes[v.LocalVV] = true
				volumes[g.Name+"\x00"+v.LocalVV] = true
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
			case in.Group != "" && !groups[in.Group]:
				return nil, bad("group " + in.Group + " is not in the showrcopy output")
			case in.Group != "" && !volumes[in.Group+"\x00"+in.Volume]:
				return nil, bad("volume " + in.Volume + " is not in group " + in.Group + " of the showrcopy output")
			case !volumes[in.Volume]:
				return nil, bad("volume " + in.Volume + " is not in the showrcopy output")
			}
		}
		obs = append(obs, Observed{Group: in.Group, Volume: in.Volume, Triple: expected.Triple{
			CopyState: *in.CopyState, SyncState: *in.SyncState, ProgressStatus: *in.ProgressStatus, RoleReversed: *in.RoleReversed,
		}})
	}
	return obs, nil
}
