// Package yamlfile decodes the project's YAML input files strictly and
// reports errors as "FILE:LINE: msg". Unknown keys, trailing documents,
// anchors, aliases and merge keys (<<) are errors, and a panic of the YAML
// library on hostile input is recovered. Every loader of a user file (the
// configuration, state tables, CIM observations, simulator scenarios) goes
// through it, so that a rule about YAML input lives in one place:
// DecodeStrict for plain structs, Document (and CheckPlain) for loaders
// that walk the node tree themselves, as the configuration does.
package yamlfile
