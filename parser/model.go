package parser

// Output is everything one showrcopy invocation printed. Sections that the
// invocation did not print (for example Targets for `showrcopy groups`) are
// empty slices, never nil, so that JSON shows [] rather than null.
type Output struct {
	System  System   `json:"system"`
	Targets []Target `json:"targets"`
	Links   []Link   `json:"links"`
	Groups  []Group  `json:"groups"`
	// Sections lists the section titles found, in order ("system",
	// "targets", "links", "groups"). Consumers use it to tell "no target
	// section printed" (target status unknown) from "no targets".
	Sections []string `json:"-"`
}

// HasSection reports whether the output contained the named section
// ("system", "targets", "links" or "groups").
func (o *Output) HasSection(name string) bool {
	for _, s := range o.Sections {
		if s == name {
			return true
		}
	}
	return false
}

// System is the "Remote Copy System Information" line, e.g.
// "Status: Started, Normal" gives Status "Started" and Detail "Normal".
type System struct {
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Target is one row of "Target Information".
type Target struct {
	Name    string `json:"name"`
	ID      int    `json:"id"`
	Type    string `json:"type"`    // IP, FC
	Status  string `json:"status"`  // ready, failed, or any word printed
	Options string `json:"options"` // as printed: "-", a WWN for FC targets, or ""
	Policy  string `json:"policy"`  // e.g. mirror_config
	// Extra holds columns this parser does not model, keyed by header name.
	Extra map[string]string `json:"extra,omitempty"`
}

// Link is one row of "Link Information". Inbound links have Target "receive".
type Link struct {
	Target  string            `json:"target"`
	Node    string            `json:"node"`    // n:s:p
	Address string            `json:"address"` // IP, WWN, or "receive"
	Status  string            `json:"status"`  // Up, Down, or any word printed
	Options string            `json:"options"` // as printed ("-" or "")
	Extra   map[string]string `json:"extra,omitempty"`
}

// Group is one group row with its volumes. A group replicated to several
// targets (Synchronous Long Distance) appears once per target.
type Group struct {
	Name    string   `json:"name"`
	ID      *int     `json:"id,omitempty"` // only with -d
	Target  string   `json:"target"`
	Status  string   `json:"status"` // Started, Stopped, Backup, or any word printed
	Role    string   `json:"role"`   // Primary, Secondary, Primary-Rev, Secondary-Rev, or any word printed
	Mode    string   `json:"mode"`   // Sync, Periodic, Async
	Options []string `json:"options"`
	// PeriodSeconds is set when Options hold "Period <n>{s|m|h|d}".
	PeriodSeconds *int64 `json:"period_seconds,omitempty"`
	// LastSync is the text of "Last-Sync <time>" in Options, as printed.
	LastSync *string  `json:"last_sync,omitempty"`
	Volumes  []Volume `json:"volumes"`
	// Extra holds -d columns (LocalUserCpg, RmUserCpg, ...) keyed by header name.
	Extra map[string]string `json:"extra,omitempty"`
}

// Volume is one volume pair of a group.
type Volume struct {
	LocalVV    string `json:"local_vv"`
	LocalID    int    `json:"local_id"`
	RemoteVV   string `json:"remote_vv"`
	RemoteID   int    `json:"remote_id"`
	SyncStatus string `json:"sync_status"` // New, Syncing, Synced, NotSynced, Stale, Stopped, or any word printed
	// LastSyncTime is the text as printed; nil for "NA".
	LastSyncTime *string `json:"last_sync_time"`
	// Extra holds -d columns (Resync_ss, Sync_ss, VV_iter, ...) keyed by header name.
	Extra map[string]string `json:"extra,omitempty"`
}
