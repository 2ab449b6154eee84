package cim

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits on decoded XML. CIM-XML is shallow (an INSTANCEPATH inside a
// KEYBINDING inside an INSTANCENAME is about 12 levels below CIM), so the
// depth cap only stops hostile input; the element cap per item bounds the
// memory of one instance, because responses are converted one instance at
// a time, and the cap per message bounds what a whole answer may build
// (the largest real answer at the 32 MiB response cap has about 550,000
// elements). No CIM-XML element has more than 8 attributes (QUALIFIER);
// encoding/xml collects all of an element's attributes before it returns
// the element, so their number is checked on the bytes first.
const (
	maxDepth           = 64
	maxElementsPerItem = 100_000
	maxElements        = 1_000_000
	maxAttributes      = 64
	// ctxCheckTokens and ctxCheckBytes: how often decoding looks at its
	// context (a check costs little next to 1024 tokens or 1 MiB).
	ctxCheckTokens = 1024
	ctxCheckBytes  = 1 << 20
)

// checkMarkup scans data once, before encoding/xml sees it, for what
// encoding/xml would build without bound inside one token: the attributes
// of one start tag (one element of millions of attributes, 31 MiB, took
// 3.2 GB and 20 s). It also counts the elements of the message, checks
// their depth (as tokenReader does again), refuses a DOCTYPE that declares
// anything (entities), and stops when ctx ends. It
// follows encoding/xml's reading of markup: comments end at "-->", CDATA at
// "]]>", processing instructions at "?>", and in a tag a quote opens a
// value that only the same quote closes. Input that is not well formed is
// left for encoding/xml to refuse.
func checkMarkup(ctx context.Context, data []byte) error {
	line := func(i int) int { return 1 + bytes.Count(data[:i], []byte("\n")) }
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("scanning stopped: %w", context.Cause(ctx))
	}
	elements, depth := 0, 0
	nextCheck := ctxCheckBytes
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		if i >= nextCheck {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("scanning stopped at line %d: %w", line(i), context.Cause(ctx))
			}
			nextCheck = i + ctxCheckBytes
		}
		rest := data[i:]
		var end int // of this markup, relative to i; -1: not closed
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end = indexAfter(rest, 4, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end = indexAfter(rest, 9, "]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			end = indexAfter(rest, 2, "?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			var declares bool
			end, declares = scanTag(rest, nil)
			if declares {
				return fmt.Errorf("line %d: DOCTYPE with declarations (ENTITY...) is not allowed", line(i))
			}
		case bytes.HasPrefix(rest, []byte("</")):
			end, _ = scanTag(rest, nil)
			depth--
		default:
			if elements++; elements > maxElements {
				return fmt.Errorf("line %d: more than %d elements in one message", line(i), maxElements)
			}
			attributes := 0
			var tooMany bool
			end, tooMany = scanTag(rest, &attributes)
			if tooMany {
				return fmt.Errorf("line %d: more than %d attributes in one element", line(i), maxAttributes)
			}
			if end >= 2 && rest[end-2] != '/' { // not <X/>
				if depth++; depth > maxDepth {
					return fmt.Errorf("line %d: XML nested deeper than %d elements", line(i), maxDepth)
				}
			}
		}
		if end < 0 {
			return nil // unterminated: encoding/xml says so
		}
		i += end
	}
}

// indexAfter returns the offset just past the first sep in b after from,
// or -1.
func indexAfter(b []byte, from int, sep string) int {
	k := bytes.Index(b[from:], []byte(sep))
	if k < 0 {
		return -1
	}
	return from + k + len(sep)
}

// scanTag returns the offset just past the '>' that ends the tag or
// directive starting at b[0], skipping quoted values, or -1. With
// attributes, it counts the '=' outside quotes (one per attribute) and
// stops early, reporting true, past maxAttributes; without, it stops early
// and reports true at a '<' outside quotes (a declaration inside a
// DOCTYPE).
func scanTag(b []byte, attributes *int) (int, bool) {
	for k := 1; k < len(b); k++ {
		switch b[k] {
		case '"', '\'':
			q := bytes.IndexByte(b[k+1:], b[k])
			if q < 0 {
				return -1, false
			}
			k += 1 + q
		case '>':
			return k + 1, false
		case '=':
			if attributes != nil {
				if *attributes++; *attributes > maxAttributes {
					return -1, true
				}
			}
		case '<':
			if attributes == nil {
				return -1, true
			}
		}
	}
	return -1, false
}

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
// bound by nesting, and stopping when its context ends.
type tokenReader struct {
	ctx    context.Context
	dec    *xml.Decoder
	depth  int
	tokens int
}

// newTokenReader checks data as a whole for invalid UTF-8 (encoding/xml does
// not check every place, e.g. names) and for the limits of checkMarkup, and
// returns a strict decoder over it. A document that declares another
// encoding is rejected by encoding/xml, because no CharsetReader is set.
func newTokenReader(ctx context.Context, data []byte) (*tokenReader, error) {
	if !utf8.Valid(data) {
		off := invalidUTF8Offset(data)
		return nil, fmt.Errorf("invalid UTF-8 at byte offset %d (line %d)", off, 1+bytes.Count(data[:off], []byte("\n")))
	}
	if err := checkMarkup(ctx, data); err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	return &tokenReader{ctx: ctx, dec: dec}, nil
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
		if tr.tokens++; tr.tokens%ctxCheckTokens == 0 {
			if err := tr.ctx.Err(); err != nil {
				return nil, fmt.Errorf("line %d: decoding stopped: %w", tr.line(), context.Cause(tr.ctx))
			}
		}
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
