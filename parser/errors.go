package parser

import "strconv"

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
