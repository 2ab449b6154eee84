package parser

import "strconv"

// Output is everything one showrcopy invocation printed. Sections that the
// invocation did not print (for example Targets for `showrcopy groups`) are
// empty slices, never nil, so that JSON shows [] rather than null.
type Output struct {
	System  System   `json:"system"`
	Targets []Target `json:"targets"`
	Links   []Link   `json:"links"`
	Groups  []Group  `json:"groups"`
	// Sections lists the sections found, in order ("system", "targets",
	// "links", "groups"), whether printed with their title or recognised by
	// their column header alone. Consumers use it to tell "no target
	// section printed" (target status unknown) from "no targets".
	Sections []string `json:"-"`
	// Warnings lists what Parse read past instead of failing, in input
	// order: rows of the Target and Link sections it could not read and
	// left out (Skipped), and sections it does not know. Nil when there
	// are none.
	Warnings []Warning `json:"-"`
	// unlisted counts rows left out after maxWarnings warnings were listed
	// (hostile input must not grow the list without bound).
	unlisted int
}

// Warning is one thing Parse read past: Line is the 1-based line of the
// input, Msg one line saying what and why (control characters escaped).
// Skipped is true for a row of the Target or Link section that was left
// out of the model.
type Warning struct {
	Line    int
	Msg     string
	Skipped bool
}

func (w Warning) String() string { return "line " + strconv.Itoa(w.Line) + ": " + w.Msg }

// SkippedRows returns how many rows of the Target and Link sections were
// left out because they could not be read.
func (o *Output) SkippedRows() int {
	n := o.unlisted
	for _, w := range o.Warnings {
		if w.Skipped {
			n++
		}
	}
	return n
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
	// SyncPercent is the percentage the sending array prints while a
	// volume syncs ("Syncing (20%)" gives SyncStatus "Syncing" and 20);
	// nil when none is printed.
	SyncPercent *float64 `json:"sync_percent,omitempty"`
	// LastSyncTime is the text as printed; nil for "NA".
	LastSyncTime *string `json:"last_sync_time"`
	// Extra holds -d columns (Resync_ss, Sync_ss, VV_iter, ...) keyed by header name.
	Extra map[string]string `json:"extra,omitempty"`
}
