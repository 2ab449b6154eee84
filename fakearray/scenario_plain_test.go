package fakearray

import (
	"strings"
	"testing"
)

// Scenarios are strict YAML like every other input: a merge key would
// bring in keys the strict decoder never checks.
func TestParseScenarioRefusesMergeKeysAndAnchors(t *testing.T) {
	for text, want := range map[string]string{
		"arrays:\n  - {<<: {nmae: typo}, name: a, system_id: 1}\n": "sim.yml:2: YAML merge key << is not allowed",
		"arrays:\n  - &a {name: a, system_id: 1}\n":                "sim.yml:2: YAML anchor &a is not allowed",
		"transition_delay: 1s\n---\ntime_zone: UTC\n":              "sim.yml:2: more than one YAML document",
	} {
		if _, err := ParseScenario([]byte(text), "sim.yml"); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
