// Package config loads and validates the YAML configuration shared by the
// exporter and the checker: modules (SSH and optional CIM settings) and
// targets. Decoding is strict; secrets are read from files and print as
// <secret>.
//
// Each type's UnmarshalYAML applies defaults, rejects unknown keys (yaml.v3's
// KnownFields does not reach into custom unmarshalers, so checkKeys does it
// with line numbers) and validates; Parse then reads the files the
// configuration names, relative to its directory. Errors read
// "FILE:LINE: message".
package config
