package collector

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threepar/rcopy-exporter/stage"
)

// Namespace prefixes every series this package emits.
const Namespace = "threepar_rcopy"

// Scrape stages, the values of scrape_error's stage label. Every probe emits
// one series per stage; the stage that failed has value 1.
const (
	StageConnect = string(stage.Connect)
	StageAuth    = string(stage.Auth)
	StageCommand = string(stage.Command)
	StageParse   = string(stage.Parse)
	StageCIM     = string(stage.CIM)
)

// Stages lists every stage in a fixed order.
var Stages = []string{StageConnect, StageAuth, StageCommand, StageParse, StageCIM}

// The words of each state set: one series per word, plus one for any other
// word the array prints (the CLI may know states beyond the manual's).
var (
	groupStatuses  = []string{"Started", "Stopped", "Backup"}
	groupRoles     = []string{"Primary", "Secondary", "Primary-Rev", "Secondary-Rev"}
	volumeStatuses = []string{"New", "Syncing", "Synced", "NotSynced", "Stale", "Stopped"}
)

// descriptors are built once for the process; every probe's collector
// shares them and only creates const metrics.
type descriptors struct {
	up, duration, scrapeError                      *prometheus.Desc
	systemStarted, targetReady, linkUp             *prometheus.Desc
	groupInfo, groupStatus, groupRole, groupPeriod *prometheus.Desc
	volumeSyncStatus, volumeLastSync               *prometheus.Desc
	volumeExpectedInfo, volumeInTable              *prometheus.Desc
	cimConformant, cimCopyState, cimSyncState      *prometheus.Desc
	cimProgressStatus, cimRoleReversed             *prometheus.Desc
	all                                            []*prometheus.Desc
	names                                          []string
	textOrder                                      []int // indexes into all, by name
	layouts                                        map[*prometheus.Desc]labelLayout
}

var descs = newDescriptors()

func newDescriptors() *descriptors {
	d := &descriptors{layouts: map[*prometheus.Desc]labelLayout{}}
	add := func(name, help string, labels ...string) *prometheus.Desc {
		full := prometheus.BuildFQName(Namespace, "", name)
		desc := prometheus.NewDesc(full, help, labels, nil)
		d.layouts[desc] = newLabelLayout(len(d.all), full, help, labels)
		d.all = append(d.all, desc)
		d.names = append(d.names, full)
		return desc
	}
	d.up = add("up",
		"1 if showrcopy (and, when configured, the CIM server) was read and understood; 0 if any stage failed.")
	d.duration = add("scrape_duration_seconds",
		"Time the probe took, in seconds.")
	d.scrapeError = add("scrape_error",
		"1 for the stage at which the probe failed (connect, auth, command, parse, cim), 0 for the others.",
		"stage")
	d.systemStarted = add("system_started",
		"1 if the array's remote copy system status is Started.")
	d.targetReady = add("target_ready",
		"1 if the remote copy target (the peer array as the probed array names it) is ready.",
		"target")
	d.linkUp = add("link_up",
		"1 if the remote copy link is Up. Inbound links have target=\"receive\".",
		"target", "node", "address")
	d.groupInfo = add("group_info",
		"Always 1: a remote copy group as listed for one target, with its mode and options (Last-Sync left out).",
		"group", "natural_group", "target", "mode", "options")
	d.groupStatus = add("group_status",
		"State set of the group's status: 1 for the current one (Started, Stopped, Backup, or the word printed).",
		"group", "target", "status")
	d.groupRole = add("group_role",
		"State set of the group's role: 1 for the current one (Primary, Secondary, Primary-Rev, Secondary-Rev, or the word printed).",
		"group", "natural_group", "target", "role")
	d.groupPeriod = add("group_period_seconds",
		"Synchronization period of a periodic group, in seconds.",
		"group", "natural_group", "target")
	d.volumeSyncStatus = add("volume_sync_status",
		"State set of the volume's SyncStatus: 1 for the current one (New, Syncing, Synced, NotSynced, Stale, Stopped, or the word printed).",
		"group", "volume", "status")
	d.volumeLastSync = add("volume_last_sync_timestamp_seconds",
		"The volume's LastSyncTime as a Unix timestamp; absent for NA or when the time zone is unknown.",
		"group", "volume")
	d.volumeExpectedInfo = add("volume_expected_cim_info",
		"Always 1: one series per state-table row that applies to the volume's observed state, with the CIM values that row requires.",
		"group", "volume", "copy_state", "sync_state", "progress_status", "role_reversed", "row")
	d.volumeInTable = add("volume_state_in_table",
		"1 if the volume's observed role, sync status and target status match at least one state-table row, 0 if none.",
		"group", "volume")
	d.cimConformant = add("volume_cim_conformant",
		"1 if the CIM server reports for the volume a triple that an applicable state-table row allows, 0 if not or if the CIM server does not report the volume.",
		"group", "volume")
	d.cimCopyState = add("volume_cim_copy_state",
		"CopyState the CIM server reports for the volume (DMTF number).",
		"group", "volume")
	d.cimSyncState = add("volume_cim_sync_state",
		"SyncState the CIM server reports for the volume (DMTF number).",
		"group", "volume")
	d.cimProgressStatus = add("volume_cim_progress_status",
		"ProgressStatus the CIM server reports for the volume (DMTF number).",
		"group", "volume")
	d.cimRoleReversed = add("volume_cim_role_reversed",
		"1 if the CIM server reports RoleReversed true for the volume.",
		"group", "volume")
	for i := range d.all {
		d.textOrder = append(d.textOrder, i)
	}
	slices.SortFunc(d.textOrder, func(a, b int) int { return strings.Compare(d.names[a], d.names[b]) })
	return d
}

// MetricNames returns the full name of every series a probe can emit, in a
// fixed order. docs/metrics.md and the alert rules are checked against it.
func MetricNames() []string { return slices.Clone(descs.names) }
