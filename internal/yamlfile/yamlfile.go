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
// keys, trailing documents and (by recovering) any panic of the YAML
// library on hostile input. Errors are *FileError.
func DecodeStrict(name string, data []byte, out any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &FileError{File: name, Msg: fmt.Sprintf("cannot read YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return &FileError{File: name, Line: 1, Msg: "empty file"}
		}
		return Error(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return Error(name, err)
	default:
		return &FileError{File: name, Line: extra.Line, Msg: "more than one YAML document"}
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
