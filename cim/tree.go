package cim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits on decoded XML. CIM-XML is shallow (an INSTANCEPATH inside a
// KEYBINDING inside an INSTANCENAME is about 12 levels below CIM), so the
// depth cap only stops hostile input; the element cap bounds the memory of
// one instance, because responses are converted one instance at a time.
const (
	maxDepth           = 64
	maxElementsPerItem = 100_000
)

// node is one XML element with its attributes, children and character data.
type node struct {
	name  string
	attrs []xml.Attr
	kids  []*node
	text  string
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) children(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// tokenReader wraps xml.Decoder, keeping the depth and rejecting input deeper
// than maxDepth, so that no caller can be made to recurse or allocate without
// bound by nesting.
type tokenReader struct {
	dec   *xml.Decoder
	depth int
}

// newTokenReader checks data as a whole for invalid UTF-8 (encoding/xml does
// not check every place, e.g. names) and returns a strict decoder over it.
// A document that declares another encoding is rejected by encoding/xml,
// because no CharsetReader is set.
func newTokenReader(data []byte) (*tokenReader, error) {
	if !utf8.Valid(data) {
		off := invalidUTF8Offset(data)
		return nil, fmt.Errorf("invalid UTF-8 at byte offset %d (line %d)", off, 1+bytes.Count(data[:off], []byte("\n")))
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	return &tokenReader{dec: dec}, nil
}

func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// next returns the next start element, end element or character data,
// skipping comments, processing instructions and directives.
func (tr *tokenReader) next() (xml.Token, error) {
	for {
		tok, err := tr.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("line %d: unexpected end of document", tr.line())
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			tr.depth++
			if tr.depth > maxDepth {
				return nil, fmt.Errorf("line %d: XML nested deeper than %d elements", tr.line(), maxDepth)
			}
			return t, nil
		case xml.EndElement:
			tr.depth--
			return t, nil
		case xml.CharData:
			return t, nil
		}
	}
}

func (tr *tokenReader) line() int {
	line, _ := tr.dec.InputPos()
	return line
}

// nextStart returns the next child start element of the current element, or
// nil at the current element's end. Character data between elements is
// ignored.
func (tr *tokenReader) nextStart() (*xml.StartElement, error) {
	for {
		tok, err := tr.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return &t, nil
		case xml.EndElement:
			return nil, nil
		}
	}
}

// skip consumes the rest of the element whose start was just read.
func (tr *tokenReader) skip() error {
	level := 1
	for level > 0 {
		tok, err := tr.next()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			level++
		case xml.EndElement:
			level--
		}
	}
	return nil
}

// readElement reads the element whose start was just read into a node tree
// of at most maxElementsPerItem elements.
func (tr *tokenReader) readElement(start xml.StartElement) (*node, error) {
	count := 0
	return tr.readNode(start, start.Name.Local, &count)
}

func (tr *tokenReader) readNode(start xml.StartElement, item string, count *int) (*node, error) {
	*count++
	if *count > maxElementsPerItem {
		return nil, fmt.Errorf("line %d: more than %d elements in one %s", tr.line(), maxElementsPerItem, item)
	}
	n := &node{name: start.Name.Local, attrs: start.Attr}
	var text strings.Builder
	for {
		tok, err := tr.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			kid, err := tr.readNode(t, item, count)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			n.text = text.String()
			return n, nil
		}
	}
}

// writer serializes elements with escaping; the first error sticks.
type writer struct {
	w   io.Writer
	err error
}

func (w *writer) raw(s string) {
	if w.err == nil {
		_, w.err = io.WriteString(w.w, s)
	}
}

func (w *writer) escaped(s string) {
	w.raw(escape(s))
}

// escape uses the five predefined entities only: sblim wbemcli (and other
// small CIM-XML parsers) do not decode numeric references such as &#34;,
// which encoding/xml's EscapeText writes for quotes. Line breaks and tabs
// stay numeric so that attribute values keep them; characters XML 1.0
// cannot carry and invalid UTF-8 become U+FFFD, so that the output is
// always well formed.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r == '\n':
			b.WriteString("&#xA;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == '\t':
			b.WriteString("&#x9;")
		case r == utf8.RuneError && size == 1, !isXMLChar(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isXMLChar reports whether XML 1.0 allows r (the Char production).
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// open writes a start tag; attrs alternate name, value.
func (w *writer) open(name string, attrs ...string) {
	w.raw("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.raw(" " + attrs[i] + `="`)
		w.escaped(attrs[i+1])
		w.raw(`"`)
	}
	w.raw(">")
}

func (w *writer) close(name string) { w.raw("</" + name + ">") }

// empty writes <name .../>.
func (w *writer) empty(name string, attrs ...string) {
	w.open(name, attrs...)
	// Rewriting the '>' would need buffering; an explicit end tag is
	// equivalent XML and every CIM-XML parser accepts it.
	w.close(name)
}

// leaf writes <name>text</name>.
func (w *writer) leaf(name, text string, attrs ...string) {
	w.open(name, attrs...)
	w.escaped(text)
	w.close(name)
}
