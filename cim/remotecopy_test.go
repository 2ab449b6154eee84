package cim

import (
	"reflect"
	"testing"
)

func TestJoinRemoteCopyVolumes(t *testing.T) {
	vols := []Instance{volume(devLocal1, "vol.one"), volume(devLocal2, "vol.two")}
	noHost := volumePath("", peerWWN, devPeer1)
	noHost.Host = ""

	withProps := func(in Instance, props map[string]*string) Instance {
		out := in
		out.Properties = nil
		for _, p := range in.Properties {
			if v, ok := props[p.Name]; ok {
				p.Value = v
			}
			out.Properties = append(out.Properties, p)
		}
		return out
	}
	base := synced(volumePath(localWWN, localWWN, devLocal1), volumePath(peerWWN, peerWWN, devPeer1), "4", "6", "2", false, nil)
	without := func(in Instance, name string) Instance {
		out := in
		out.Properties = nil
		for _, p := range in.Properties {
			if p.Name != name {
				out.Properties = append(out.Properties, p)
			}
		}
		return out
	}

	for _, tc := range []struct {
		name string
		sync Instance
		want RemoteCopyVolume
	}{
		{"local is source", base, RemoteCopyVolume{Volume: "vol.one", DeviceID: devLocal1, PeerDeviceID: devPeer1, PeerSystem: peerWWN,
			LocalIsSystemElement: true, CopyState: 4, SyncState: 6, ProgressStatus: 2}},
		{"role reversed, local is target", synced(volumePath(peerWWN, peerWWN, devPeer2), volumePath("", localWWN, devLocal2), "10", "12", "11", true, Str(" 20261130044500.000000+000 ")),
			RemoteCopyVolume{Volume: "vol.two", DeviceID: devLocal2, PeerDeviceID: devPeer2, PeerSystem: peerWWN,
				CopyState: 10, SyncState: 12, ProgressStatus: 11, RoleReversed: true, WhenSynced: "20261130044500.000000+000"}},
		{"peer path without host: SystemName", synced(volumePath(localWWN, localWWN, devLocal1), noHost, "4", "6", "2", false, nil),
			RemoteCopyVolume{Volume: "vol.one", DeviceID: devLocal1, PeerDeviceID: devPeer1, PeerSystem: peerWWN, LocalIsSystemElement: true, CopyState: 4, SyncState: 6, ProgressStatus: 2}},
		{"device ids compared case-insensitively", synced(volumePath("", localWWN, "60002ac0000000000000000a00001234"), volumePath(peerWWN, peerWWN, devPeer1), "4", "6", "2", false, nil),
			RemoteCopyVolume{Volume: "vol.one", DeviceID: "60002ac0000000000000000a00001234", PeerDeviceID: devPeer1, PeerSystem: peerWWN, LocalIsSystemElement: true, CopyState: 4, SyncState: 6, ProgressStatus: 2}},
		{"unknown local element", synced(volumePath(peerWWN, peerWWN, devPeer2), volumePath(peerWWN, peerWWN, devPeer1), "5", "12", "2", false, nil),
			RemoteCopyVolume{DeviceID: devPeer2, PeerDeviceID: devPeer1, PeerSystem: peerWWN, CopyState: 5, SyncState: 12, ProgressStatus: 2,
				Note: `neither SystemElement DeviceID "60002AC0000000000000000D00005678" nor SyncedElement DeviceID "60002AC0000000000000000B00005678" is a TPD_StorageVolume of this array`}},
		{"both ends local", synced(volumePath("", localWWN, devLocal1), volumePath("", localWWN, devLocal2), "4", "6", "2", false, nil),
			RemoteCopyVolume{DeviceID: devLocal1, PeerDeviceID: devLocal2, PeerSystem: localWWN, CopyState: 4, SyncState: 6, ProgressStatus: 2,
				Note: "both SystemElement " + devLocal1 + " and SyncedElement " + devLocal2 + " are volumes of this array; local end unknown"}},
		{"NULL values", withProps(base, map[string]*string{"CopyState": nil, "SyncState": nil, "ProgressStatus": nil, "RoleReversed": nil}),
			RemoteCopyVolume{Volume: "vol.one", DeviceID: devLocal1, PeerDeviceID: devPeer1, PeerSystem: peerWWN, LocalIsSystemElement: true,
				CopyStateNull: true, SyncStateNull: true, ProgressStatusNull: true, RoleReversedNull: true}},
		{"RoleReversed missing (older firmware)", without(base, "RoleReversed"),
			RemoteCopyVolume{Volume: "vol.one", DeviceID: devLocal1, PeerDeviceID: devPeer1, PeerSystem: peerWWN, LocalIsSystemElement: true,
				CopyState: 4, SyncState: 6, ProgressStatus: 2, RoleReversedNull: true}},
		{"unreadable values", withProps(base, map[string]*string{"CopyState": Str("70000"), "SyncState": Str("x"), "RoleReversed": Str("yes")}),
			RemoteCopyVolume{Volume: "vol.one", DeviceID: devLocal1, PeerDeviceID: devPeer1, PeerSystem: peerWWN, LocalIsSystemElement: true,
				CopyStateNull: true, SyncStateNull: true, ProgressStatus: 2, RoleReversedNull: true,
				Note: `CopyState "70000" is not a uint16; SyncState "x" is not a uint16; RoleReversed "yes" is not a boolean`}},
		{"no references", Instance{ClassName: ClassRemoteStorageSynchronized},
			RemoteCopyVolume{CopyStateNull: true, SyncStateNull: true, ProgressStatusNull: true, RoleReversedNull: true,
				Note: `neither SystemElement DeviceID "" nor SyncedElement DeviceID "" is a TPD_StorageVolume of this array`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := JoinRemoteCopyVolumes(vols, []Instance{tc.sync})
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestJoinUsesNameWhenElementNameIsNull(t *testing.T) {
	v := volume(devLocal1, "")
	for i := range v.Properties {
		if v.Properties[i].Name == "ElementName" {
			v.Properties[i].Value = nil
		}
	}
	v.Properties = append(v.Properties, Property{Name: "Name", Type: "string", Value: Str("by-name")})
	got := JoinRemoteCopyVolumes([]Instance{v}, newTestProvider().classes["tpd_remotestoragesynchronized"][:1])
	if len(got) != 1 || got[0].Volume != "by-name" {
		t.Errorf("got %+v", got)
	}
}
