package parser

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is what Parse returns for input it cannot read: the 1-based line of
// the input and what was expected there.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Msg }

// maxQuote bounds how much of an offending line an error message repeats.
const maxQuote = 60

// quote returns s in Go quoted form, shortened to maxQuote bytes, so that an
// error message stays on one line whatever the input holds.
func quote(s string) string {
	if len(s) > maxQuote {
		return strconv.Quote(s[:maxQuote]) + "..."
	}
	return strconv.Quote(s)
}

// Printable writes control characters of msg as Go escapes, so that text
// that came from an array (a name, a header's column names) stays one
// printable line in a message or a text report and cannot drive the
// reader's terminal (ESC, BEL). Invalid UTF-8 bytes, C1 controls (U+0085
// is a line break to some readers) and the Unicode line and paragraph
// separators are escaped too.
func Printable(msg string) string {
	clean := true
	for i := 0; i < len(msg); i++ {
		if c := msg[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		r, size := utf8.DecodeRuneInString(msg[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, msg[i])
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			q := strconv.QuoteRune(r) // e.g. '\r', '\x00' or '\u0085'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(msg[i : i+size])
		}
		i += size
	}
	return b.String()
}
