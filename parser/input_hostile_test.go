package parser

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Hostile input: whatever an array (or something in its place) prints,
// Parse returns either a sane model or an *Error on a line of the input
// whose message is one short, printable line (it ends up in logs and in the
// checker's stderr), and it never panics.
func TestParseHostileInput(t *testing.T) {
	good, err := os.ReadFile("testdata/s1_primary_all.txt")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"huge single line":         bytes.Repeat([]byte("A"), 64<<20),
		"huge line after title":    append([]byte("Remote Copy System Information\n"), bytes.Repeat([]byte("x "), 8<<20)...),
		"a million blank lines":    bytes.Repeat([]byte("\n"), 1_000_000),
		"a million prompts":        bytes.Repeat([]byte("cli% \n"), 1_000_000),
		"control characters":       append([]byte("\x1b[2J\x00\x07\x08\x7f"), good...),
		"invalid UTF-8 first line": []byte("\xff\xfe\xfd\xc3\x28 Remote Copy System Information\n"),
		"invalid UTF-8 in rows":    bytes.ReplaceAll(good, []byte("Synced"), []byte("Sy\xffnced")),
		"NUL in rows":              bytes.ReplaceAll(good, []byte(" "), []byte(" \x00")),
		"CR line ends":             bytes.ReplaceAll(good, []byte("\n"), []byte("\r")),
		"CRLF line ends":           bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")),
		"quotes and backslashes":   bytes.ReplaceAll(good, []byte("rcg"), []byte(`r"c\g`)),
		"huge name":                bytes.Replace(good, []byte("rcg"), bytes.Repeat([]byte("n"), 4<<20), 1),
		"title repeated":           bytes.Repeat([]byte("Remote Copy System Information\n"), 100_000),
		"every section empty":      []byte("Remote Copy System Information\nStatus: Started, Normal\n\nTarget Information\n\nLink Information\n\nGroup Information\n"),
		"truncated everywhere":     good[:len(good)/3],
		"unreadable link rows": append([]byte("Remote Copy System Information\nStatus: Started, Normal\n\nLink Information\n\nTarget Node Address Status Options\n"),
			bytes.Repeat([]byte("t\t<>\t<>\t\tUp\t\t-\n"), 200_000)...),
		"unknown titles": bytes.Repeat([]byte("Some Other Information\nx\n"), 200_000),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := Parse(in)
			if err == nil {
				checkSane(t, out)
				return
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T, want *Error: %v", err, err)
			}
			lines := bytes.Count(in, []byte("\n")) + 1
			if pe.Line < 1 || pe.Line > lines {
				t.Errorf("error on line %d of %d: %v", pe.Line, lines, err)
			}
			msg := err.Error()
			if len(msg) > 512 || !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }) {
				t.Errorf("message not one short printable line (%d bytes): %q", len(msg), msg[:min(len(msg), 600)])
			}
			t.Logf("%s", msg)
		})
	}
}
