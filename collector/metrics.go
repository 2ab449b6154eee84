package collector

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every series this package emits.
const Namespace = "threepar_rcopy"

// The words of each state set and count: one series per word, plus one for
// any other word the array prints (the CLI may know states beyond the
// manual's). In byte order: series are sent in the order the registry
// sorts them into, which makes its sort cheap.
var (
	groupStatuses  = []string{"Backup", "Started", "Stopped"}
	groupRoles     = []string{"Primary", "Primary-Rev", "Secondary", "Secondary-Rev"}
	volumeStatuses = []string{"New", "NotSynced", "Stale", "Stopped", "Synced", "Syncing"}
)

// Label names of a group listing and of a volume in one.
var (
	groupLabels  = []string{"group", "natural_group", "target"}
	volumeLabels = []string{"group", "natural_group", "target", "volume"}
	tripleLabels = []string{"copy_state", "sync_state", "progress_status", "role_reversed"}
)

// descriptors are built once for the process; every probe's collector
// shares them and only creates samples.
type descriptors struct {
	up, duration, scrapeError, parseSkipped        *family
	systemStarted, targetReady, linkUp             *family
	groupInfo, groupStatus, groupRole, groupPeriod *family
	groupVolumes, groupNotInTable, groupCIMNonconf *family
	groupLastSync                                  *family
	volumeSyncStatus, volumeLastSync, volumeRatio  *family
	volumeExpected, volumeInTable                  *family
	volumeCIM, volumeCIMConformant                 *family
	all                                            []*prometheus.Desc
	names                                          []string
}

var descs = newDescriptors()

func newDescriptors() *descriptors {
	d := &descriptors{}
	add := func(name, help string, labels ...string) *family {
		full := prometheus.BuildFQName(Namespace, "", name)
		f := newFamily(full, help, labels)
		d.all = append(d.all, f.desc)
		d.names = append(d.names, full)
		return f
	}
	with := func(base []string, more ...string) []string { return append(slices.Clip(base), more...) }

	d.up = add("up",
		"1 if showrcopy (and, when configured, the CIM server) was read and understood; 0 if any stage failed.")
	d.duration = add("scrape_duration_seconds",
		"Time the probe took, in seconds.")
	d.scrapeError = add("scrape_error",
		"1 for the stage at which the probe failed (connect, auth, command, parse, cim), 0 for the others.",
		"stage")
	d.parseSkipped = add("parse_skipped_rows",
		"Rows of showrcopy's Target and Link sections the parser could not read and left out (the exporter logs each).")
	d.systemStarted = add("system_started",
		"1 if the array's remote copy system status is Started.")
	d.targetReady = add("target_ready",
		"1 if the remote copy target (the peer array as the probed array names it) is ready.",
		"target")
	d.linkUp = add("link_up",
		"1 if the remote copy link is Up. direction is send, or receive for the links the array lists under target receive.",
		"target", "node", "address", "direction")
	d.groupInfo = add("group_info",
		"Always 1: a remote copy group as listed for one target, with its mode and options (Last-Sync left out).",
		with(groupLabels, "mode", "options")...)
	d.groupStatus = add("group_status",
		"State set of the group's status: 1 for the current one (Started, Stopped, Backup, or the word printed).",
		with(groupLabels, "status")...)
	d.groupRole = add("group_role",
		"State set of the group's role: 1 for the current one (Primary, Secondary, Primary-Rev, Secondary-Rev, or the word printed).",
		with(groupLabels, "role")...)
	d.groupPeriod = add("group_period_seconds",
		"Synchronization period of a periodic group, in seconds.",
		groupLabels...)
	d.groupLastSync = add("group_last_sync_timestamp_seconds",
		"The oldest LastSyncTime of the group listing's volumes as a Unix timestamp; absent when none is printed or convertible.",
		groupLabels...)
	d.groupVolumes = add("group_volumes",
		"Volumes of the group listing per sync status (New, Syncing, Synced, NotSynced, Stale, Stopped, 0 when none, and any other word printed).",
		with(groupLabels, "sync_status")...)
	d.groupNotInTable = add("group_volumes_not_in_table",
		"Volumes of the group listing whose role, sync status and target status match no state-table row.",
		groupLabels...)
	d.groupCIMNonconf = add("group_volumes_cim_nonconformant",
		"Volumes of the group listing for which the CIM server reports a triple no applicable row allows, or nothing at all.",
		groupLabels...)
	d.volumeSyncStatus = add("volume_sync_status",
		"Always 1: the volume's SyncStatus as printed, in the status label.",
		with(volumeLabels, "status")...)
	d.volumeLastSync = add("volume_last_sync_timestamp_seconds",
		"The volume's LastSyncTime as a Unix timestamp; absent for NA or when the time zone is unknown.",
		volumeLabels...)
	d.volumeRatio = add("volume_sync_ratio",
		"How far the volume's sync has come (0 to 1), while the array prints Syncing (NN%).",
		volumeLabels...)
	d.volumeExpected = add("volume_expected_cim_info",
		"Always 1: a CIM triple the state tables require for the volume's observed state; rows lists the rows that give it.",
		with(volumeLabels, append(slices.Clip(tripleLabels), "rows")...)...)
	d.volumeInTable = add("volume_state_in_table",
		"1 if the volume's observed role, sync status and target status match at least one state-table row, 0 if none.",
		volumeLabels...)
	d.volumeCIM = add("volume_cim_info",
		"Always 1: the triple the CIM server reports for the volume (for this target), named as in volume_expected_cim_info; NULL for a NULL value.",
		with(volumeLabels, tripleLabels...)...)
	d.volumeCIMConformant = add("volume_cim_conformant",
		"1 if the CIM server reports for the volume (for this target) a triple an applicable state-table row allows; 0 if not, or if it does not report the volume.",
		volumeLabels...)
	return d
}

// MetricNames returns the full name of every series a probe can emit, in a
// fixed order. docs/metrics.md and the alert rules are checked against it.
func MetricNames() []string { return slices.Clone(descs.names) }
