package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileError is an error in an input file, printed as "FILE:LINE: msg".
type FileError struct {
	File string
	Line int // 0 when no line applies
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var (
	yamlLineRE   = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownKeyRE = regexp.MustCompile(`^field (.*) not found in type \S+$`)
)

// Error turns an error of gopkg.in/yaml.v3 into a *FileError naming
// file and line (the first error when there are several).
func Error(name string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	// yaml.v3 quotes the offending value as it is; a value with a line break
	// would split the one-line FILE:LINE message.
	msg = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(msg)
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		msg = m[2]
		if k := unknownKeyRE.FindStringSubmatch(msg); k != nil {
			msg = fmt.Sprintf("unknown key %q", k[1])
		}
		return &FileError{File: name, Line: line, Msg: msg}
	}
	return &FileError{File: name, Msg: msg}
}

// DecodeStrict decodes one YAML document into out, rejecting unknown
// keys, anchors, aliases and merge keys (CheckPlain), trailing documents
// and (by recovering) any panic of the YAML library on hostile input.
// Errors are *FileError.
func DecodeStrict(name string, data []byte, out any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &FileError{File: name, Msg: fmt.Sprintf("cannot read YAML: %v", r)}
		}
	}()
	if err := checkDocument(name, data); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		return Error(name, err)
	}
	return nil
}

// checkDocument parses data as YAML: exactly one document, and plain
// (CheckPlain).
func checkDocument(name string, data []byte) error {
	var doc yaml.Node
	found, err := Document(name, data, &doc)
	if err == nil && !found {
		return &FileError{File: name, Line: 1, Msg: "empty file"}
	}
	return err
}

// Document parses data into doc, which must be the only YAML document of
// the file and plain (CheckPlain). It returns false, with a nil error,
// when data holds no document at all, and never panics. Errors are
// *FileError.
func Document(name string, data []byte, doc *yaml.Node) (found bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			found, err = false, &FileError{File: name, Msg: fmt.Sprintf("cannot read YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, Error(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return false, Error(name, err)
	default:
		return false, &FileError{File: name, Line: extra.Line, Msg: "more than one YAML document"}
	}
	return true, CheckPlain(name, doc)
}

// CheckPlain refuses anchors (&a), aliases (*a) and merge keys (<<) in
// the tree under n. Strict decoding checks the keys written in a mapping;
// a merge key brings in keys of another mapping after that check, so
// `<<: {pasword_file: typo}` or an inline password would slip through, and
// an alias makes one value stand for many (and its line for none). No
// input file of the project needs them. The error names the first one.
func CheckPlain(name string, n *yaml.Node) error {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch {
		case n.Kind == yaml.AliasNode:
			return &FileError{File: name, Line: n.Line, Msg: fmt.Sprintf("YAML alias *%s is not allowed: write the value out", n.Value)}
		case n.Anchor != "":
			return &FileError{File: name, Line: n.Line, Msg: fmt.Sprintf("YAML anchor &%s is not allowed: write the value out where it is used", n.Anchor)}
		case n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
					return &FileError{File: name, Line: k.Line, Msg: "YAML merge key << is not allowed: write the keys out"}
				}
			}
		}
		// Push in reverse so that the first problem in file order is found
		// first.
		for i := len(n.Content) - 1; i >= 0; i-- {
			stack = append(stack, n.Content[i])
		}
	}
	return nil
}

// ItemLines returns the line of each item of the top-level sequence under
// key, for strict loaders that validate items after decoding (the decoder
// does not keep lines, the node tree does).
func ItemLines(data []byte, key string) []int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, it := range m.Content[i+1].Content {
				lines = append(lines, it.Line)
			}
			return lines
		}
	}
	return nil
}
