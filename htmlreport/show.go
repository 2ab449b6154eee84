package htmlreport

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// show makes a string from an array or a file safe to read: control
// characters, Unicode format characters (bidirectional overrides,
// zero-width characters) and line separators print as Go escapes (\x1b,
// \u202e), bytes that are not UTF-8 as \xff. html/template then escapes
// what is left; show only keeps the invisible from hiding or reordering
// what a person reads.
func show(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0xa0 && r >= 0x80, unicode.Is(unicode.Cf, r), unicode.In(r, unicode.Zl, unicode.Zp):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
