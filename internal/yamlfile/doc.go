// Package yamlfile decodes the project's YAML input files strictly (unknown
// keys, trailing documents and library panics are errors) and reports
// errors as "FILE:LINE: msg". Every loader of a user file (state tables,
// CIM observations, simulator scenarios) goes through it, so that a rule
// about YAML input lives in one place.
package yamlfile
