// Package config loads and validates the YAML configuration shared by the
// exporter and the checker: modules (SSH and optional CIM settings) and
// targets. Decoding is strict; secrets are read from files and print as
// <secret>.
package config
