//go:build !unix

package safefile

// openFlags: only the type check before opening protects other systems.
const openFlags = 0
