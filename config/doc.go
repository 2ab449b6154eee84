// Package config loads and validates the YAML configuration shared by the
// exporter and the checker: modules (SSH and optional CIM settings) and
// targets. Decoding is strict; secrets are read from files and print as
// <secret>; Redacted (the exporter's /config) writes the loaded
// configuration back as YAML that loads again, paths absolute, secrets left
// in their files.
//
// Load reads the file through internal/safefile (a regular file within a
// cap: a pipe or a device fails at once). Parse takes the document through
// internal/yamlfile (one document; no anchors, aliases or merge keys, which
// would bring in keys the strict check never sees). Each type's
// UnmarshalYAML applies defaults, rejects unknown keys (yaml.v3's
// KnownFields does not reach into custom unmarshalers, so checkKeys does
// it with line numbers) and validates; modules: and targets: are decoded
// one entry at a time (yaml.v3's map decoding is quadratic in the number
// of keys); duration keys are read first (checkDurations) so that a bare
// number gets a hint ("write 10s"). Parse then reads the files the
// configuration names, relative to its directory, and keeps their absolute
// paths. A target's cim_url replaces its module's cim.url (Resolve). Errors
// read "FILE:LINE: message".
//
// CheckLabTargets is the drill's interlock on addresses.
package config
