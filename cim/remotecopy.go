package cim

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Class names of the 3PAR CIM provider that RemoteCopyVolumes reads.
const (
	ClassStorageVolume             = "TPD_StorageVolume"
	ClassRemoteStorageSynchronized = "TPD_RemoteStorageSynchronized"
	ClassRemoteReplicationGroup    = "TPD_RemoteReplicationGroup"
)

// RemoteCopyVolume is one TPD_RemoteStorageSynchronized instance seen from
// the array the client talks to, joined to the local volume's name.
type RemoteCopyVolume struct {
	// Volume is the local volume's ElementName (Name when ElementName is
	// NULL); "" when neither element is a volume of this array, and then
	// Note says why.
	Volume       string
	DeviceID     string // local volume's DeviceID (the volume WWN)
	PeerDeviceID string // the other element's DeviceID
	PeerSystem   string // HOST of the peer element's path (the peer's WWN), else its SystemName key
	// LocalIsSystemElement tells which end of the association is local:
	// true when this array's volume is the SystemElement (the source).
	LocalIsSystemElement bool

	// Raw DMTF numbers; a NULL, missing or unreadable value is 0 with the
	// Null flag set (and, when unreadable, a Note).
	CopyState          uint16
	CopyStateNull      bool
	SyncState          uint16
	SyncStateNull      bool
	ProgressStatus     uint16
	ProgressStatusNull bool
	// RoleReversed is the vendor extension; RoleReversedNull when absent.
	RoleReversed     bool
	RoleReversedNull bool
	WhenSynced       string // CIM datetime as sent; "" when NULL (synchronous mode)

	// Note explains anything doubtful about this entry, e.g. an unknown
	// local element; "" when all is well.
	Note string
}

// RemoteCopyVolumes enumerates TPD_StorageVolume and
// TPD_RemoteStorageSynchronized and returns one entry per synchronization,
// sorted by Volume then DeviceID.
//
// The local end is the element whose DeviceID is one of this array's
// volumes; SystemElement and SyncedElement swap when the role is reversed,
// so position alone cannot say. When neither (or both) ends are local
// volumes the entry is still returned, with Volume "" and a Note: a
// synchronization whose volume the array does not list is itself a finding
// (it must not vanish from the metrics). DeviceID is then the
// SystemElement's and PeerDeviceID the SyncedElement's.
//
// Concurrent calls share one read (singleflight), as concurrent probes of
// an array share one showrcopy: each caller waits within its own context,
// and the read goes on for the others when one gives up, but never past
// the deadline of the caller that started it. Each caller gets its own
// copy of the result.
func (c *Client) RemoteCopyVolumes(ctx context.Context) ([]RemoteCopyVolume, error) {
	results := c.flight.DoChan("RemoteCopyVolumes", func() (any, error) {
		readCtx := ctx
		if deadline, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			readCtx, cancel = context.WithDeadline(context.WithoutCancel(ctx), deadline)
			defer cancel()
		}
		return c.remoteCopyVolumes(readCtx)
	})
	if testHookJoined != nil {
		testHookJoined()
	}
	select {
	case res := <-results:
		if res.Err != nil {
			return nil, res.Err
		}
		vols := res.Val.([]RemoteCopyVolume)
		if res.Shared {
			vols = slices.Clone(vols)
		}
		return vols, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("cim: reading remote copy volumes at %s: %w", c.url, context.Cause(ctx))
	}
}

// testHookJoined, when set by a test, is called once a RemoteCopyVolumes
// call has joined (or started) the shared read.
var testHookJoined func()

func (c *Client) remoteCopyVolumes(ctx context.Context) ([]RemoteCopyVolume, error) {
	vols, err := c.EnumerateInstances(ctx, ClassStorageVolume)
	if err != nil {
		return nil, err
	}
	syncs, err := c.EnumerateInstances(ctx, ClassRemoteStorageSynchronized)
	if err != nil {
		return nil, err
	}
	return JoinRemoteCopyVolumes(vols, syncs), nil
}

// JoinRemoteCopyVolumes is RemoteCopyVolumes' join on already read
// instances (e.g. from saved responses).
func JoinRemoteCopyVolumes(volumes, syncs []Instance) []RemoteCopyVolume {
	names := map[string]string{} // DeviceID -> name
	for _, v := range volumes {
		id, ok := v.Value("DeviceID")
		if !ok {
			continue
		}
		name, ok := v.Value("ElementName")
		if !ok {
			name, _ = v.Value("Name")
		}
		names[strings.ToUpper(id)] = name
	}

	out := make([]RemoteCopyVolume, 0, len(syncs))
	for _, s := range syncs {
		out = append(out, joinOne(s, names))
	}
	slices.SortFunc(out, func(a, b RemoteCopyVolume) int {
		return cmp.Or(cmp.Compare(a.Volume, b.Volume), cmp.Compare(a.DeviceID, b.DeviceID), cmp.Compare(a.PeerDeviceID, b.PeerDeviceID))
	})
	return out
}

func joinOne(s Instance, names map[string]string) RemoteCopyVolume {
	var r RemoteCopyVolume
	var notes []string
	sysRef, sysID := elementRef(s, "SystemElement")
	synRef, synID := elementRef(s, "SyncedElement")
	sysName, sysLocal := names[strings.ToUpper(sysID)]
	synName, synLocal := names[strings.ToUpper(synID)]

	var peer *ObjectPath
	switch {
	case sysLocal && !synLocal:
		r.Volume, r.DeviceID, r.PeerDeviceID, peer = sysName, sysID, synID, synRef
		r.LocalIsSystemElement = true
	case synLocal && !sysLocal:
		r.Volume, r.DeviceID, r.PeerDeviceID, peer = synName, synID, sysID, sysRef
	default:
		r.DeviceID, r.PeerDeviceID, peer = sysID, synID, synRef
		if sysLocal {
			notes = append(notes, fmt.Sprintf("both SystemElement %s and SyncedElement %s are volumes of this array; local end unknown", sysID, synID))
		} else {
			notes = append(notes, fmt.Sprintf("neither SystemElement DeviceID %q nor SyncedElement DeviceID %q is a TPD_StorageVolume of this array", sysID, synID))
		}
	}
	if peer != nil {
		r.PeerSystem = peer.Host
		if r.PeerSystem == "" {
			r.PeerSystem, _ = peer.Key("SystemName")
		}
	}

	var note string
	r.CopyState, r.CopyStateNull, note = uint16Prop(s, "CopyState")
	notes = appendNote(notes, note)
	r.SyncState, r.SyncStateNull, note = uint16Prop(s, "SyncState")
	notes = appendNote(notes, note)
	r.ProgressStatus, r.ProgressStatusNull, note = uint16Prop(s, "ProgressStatus")
	notes = appendNote(notes, note)
	if v, ok := s.Value("RoleReversed"); ok {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "TRUE":
			r.RoleReversed = true
		case "FALSE":
		default:
			r.RoleReversedNull = true
			notes = append(notes, fmt.Sprintf("RoleReversed %q is not a boolean", v))
		}
	} else {
		r.RoleReversedNull = true
	}
	r.WhenSynced, _ = s.Value("WhenSynced")
	r.WhenSynced = strings.TrimSpace(r.WhenSynced)
	r.Note = strings.Join(notes, "; ")
	return r
}

func appendNote(notes []string, note string) []string {
	if note != "" {
		return append(notes, note)
	}
	return notes
}

// elementRef returns a reference property's path and its DeviceID key.
func elementRef(in Instance, name string) (*ObjectPath, string) {
	p, ok := in.Property(name)
	if !ok || p.Ref == nil {
		return nil, ""
	}
	id, _ := p.Ref.Key("DeviceID")
	return p.Ref, id
}

// uint16Prop reads a numeric property: value, NULL flag, and a note when the
// text is not a uint16.
func uint16Prop(in Instance, name string) (uint16, bool, string) {
	v, ok := in.Value(name)
	if !ok {
		return 0, true, ""
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
	if err != nil {
		return 0, true, fmt.Sprintf("%s %q is not a uint16", name, v)
	}
	return uint16(n), false, ""
}
