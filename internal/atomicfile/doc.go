// Package atomicfile writes a file so that readers see either the old
// content or the whole new content, never a part: the new content goes to a
// temporary file in the destination's directory, which is synced and then
// renamed over the destination. An interrupted writer leaves the
// destination as it was (and at worst a stray temporary file, named
// .NAME.*.tmp, when the process is killed outright).
package atomicfile
