package cim

import (
	"context"
	"strings"
)

// staticProvider serves fixed instances; it stands in for the simulator.
type staticProvider struct {
	namespace string
	classes   map[string][]Instance // by lower-case class name
}

func (p *staticProvider) EnumerateInstances(_ context.Context, namespace, className string) ([]Instance, error) {
	if !strings.EqualFold(strings.Trim(namespace, "/"), p.namespace) {
		return nil, &Error{Code: ErrInvalidNamespace, Description: "namespace " + namespace + " does not exist"}
	}
	insts, ok := p.classes[strings.ToLower(className)]
	if !ok {
		return nil, &Error{Code: ErrInvalidClass, Description: "class " + className + " does not exist"}
	}
	return insts, nil
}

const (
	localWWN = "2FF70002AC001234"
	peerWWN  = "2FF70002AC005678"
)

func volumePath(host, system, deviceID string) *ObjectPath {
	return &ObjectPath{Host: host, Namespace: "root/tpd", ClassName: "TPD_StorageVolume", Keys: []KeyBinding{
		{Name: "CreationClassName", Value: "TPD_StorageVolume", ValueType: "string"},
		{Name: "DeviceID", Value: deviceID, ValueType: "string"},
		{Name: "SystemCreationClassName", Value: "TPD_StorageSystem", ValueType: "string"},
		{Name: "SystemName", Value: system, ValueType: "string"},
	}}
}

func volume(deviceID, name string) Instance {
	return Instance{ClassName: "TPD_StorageVolume", Properties: []Property{
		{Name: "CreationClassName", Type: "string", Key: true, Value: Str("TPD_StorageVolume")},
		{Name: "DeviceID", Type: "string", Key: true, Value: Str(deviceID)},
		{Name: "SystemCreationClassName", Type: "string", Key: true, Value: Str("TPD_StorageSystem")},
		{Name: "SystemName", Type: "string", Key: true, Value: Str(localWWN)},
		{Name: "ElementName", Type: "string", Value: Str(name)},
		{Name: "OperationalStatus", Type: "uint16", IsArray: true, Elements: []string{"2"}},
	}}
}

func synced(system, syncedEl *ObjectPath, copyState, syncState, progress string, reversed bool, whenSynced *string) Instance {
	rr := "FALSE"
	if reversed {
		rr = "TRUE"
	}
	return Instance{ClassName: "TPD_RemoteStorageSynchronized", Properties: []Property{
		{Name: "SystemElement", Type: TypeReference, Key: true, Ref: system},
		{Name: "SyncedElement", Type: TypeReference, Key: true, Ref: syncedEl},
		{Name: "CopyState", Type: "uint16", Value: Str(copyState)},
		{Name: "SyncState", Type: "uint16", Value: Str(syncState)},
		{Name: "ProgressStatus", Type: "uint16", Value: Str(progress)},
		{Name: "RoleReversed", Type: "boolean", Value: Str(rr)},
		{Name: "WhenSynced", Type: "datetime", Value: whenSynced},
	}}
}

const (
	devLocal1 = "60002AC0000000000000000A00001234"
	devPeer1  = "60002AC0000000000000000B00005678"
	devLocal2 = "60002AC0000000000000000C00001234"
	devPeer2  = "60002AC0000000000000000D00005678"
)

// newTestProvider returns one array's view (system localWWN): two volume
// pairs. In the first the local volume is the SystemElement (source); the
// second is role-reversed, so the local volume is the SyncedElement and the
// peer's volume, with the peer's WWN as host, is the SystemElement.
func newTestProvider() *staticProvider {
	return &staticProvider{namespace: "root/tpd", classes: map[string][]Instance{
		"tpd_storagevolume": {volume(devLocal1, "vol.one"), volume(devLocal2, "vol<two>&\"")},
		"tpd_remotestoragesynchronized": {
			// natural primary: local volume is the source
			synced(volumePath(localWWN, localWWN, devLocal1), volumePath(peerWWN, peerWWN, devPeer1), "4", "6", "2", false, Str("20261130044500.000000+000")),
			// role reversed: the peer's volume became the source, ours the target
			synced(volumePath(peerWWN, peerWWN, devPeer2), volumePath(localWWN, localWWN, devLocal2), "10", "12", "2", true, nil),
		},
		"tpd_remotereplicationgroup": {},
	}}
}
