package yamlfile

import (
	"errors"
	"strings"
	"testing"
)

type item struct {
	Name  string `yaml:"name"`
	Value int    `yaml:"value"`
}

type file struct {
	Items []item `yaml:"items"`
	Lab   bool   `yaml:"lab"`
}

func TestDecodeStrict(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"ok", "items:\n  - {name: a, value: 1}\nlab: true\n", ""},
		{"empty", "", "f.yml:1: empty file"},
		{"comment only", "# nothing\n", "f.yml:1: empty file"},
		{"unknown key", "items: []\nlabb: true\n", `f.yml:2: unknown key "labb"`},
		{"two documents", "lab: true\n---\nlab: false\n", "f.yml:2: more than one YAML document"},
		{"syntax", "items: [\n", "f.yml:1:"},
		{"merge key hiding an unknown key", "items:\n  - {<<: {nmae: typo}, name: a}\n", "f.yml:2: YAML merge key << is not allowed"},
		{"merge key from an anchor", "base: &b {value: 1}\nitems:\n  - <<: *b\n    name: a\n", "f.yml:1: YAML anchor &b is not allowed"},
		{"anchor", "items:\n  - &first {name: a}\n", "f.yml:2: YAML anchor &first is not allowed"},
		{"alias of an anchor never defined", "lab: true\nitems:\n  - *x\n", "f.yml: unknown anchor 'x' referenced"},
		{"merge key at the top", "<<: {lab: true}\n", "f.yml:1: YAML merge key << is not allowed"},
		{"a quoted << is just an unknown key", "items: []\n'<<': {lab: true}\n", `f.yml:2: unknown key "<<"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f file
			err := DecodeStrict("f.yml", []byte(tc.text), &f)
			if tc.want == "" {
				if err != nil || len(f.Items) != 1 || !f.Lab {
					t.Fatalf("%+v, %v", f, err)
				}
				return
			}
			var fe *FileError
			if err == nil || !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line starting %q", err, tc.want)
			}
		})
	}
}

func TestCheckPlainFindsTheFirstInFileOrder(t *testing.T) {
	err := DecodeStrict("f.yml", []byte("items:\n  - {name: a}\n  - &a {name: b}\n  - {<<: {name: c}}\n"), &file{})
	if err == nil || !strings.HasPrefix(err.Error(), "f.yml:3: YAML anchor &a") {
		t.Errorf("%v, want the anchor on line 3 first", err)
	}
}
