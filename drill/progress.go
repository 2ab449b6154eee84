package drill

import (
	"fmt"
	"io"
	"os"
	"time"
)

// TermProgress shows, on a terminal, which step runs and how long it has
// waited, rewriting one status line; each finished step leaves one line.
type TermProgress struct {
	W io.Writer
}

const clearLine = "\r\033[K"

// StepStarted implements Progress.
func (p TermProgress) StepStarted(i, n int, s Step) {
	fmt.Fprintf(p.W, "%s[%d/%d] %s ...", clearLine, i+1, n, s.Name)
}

// Waiting implements Progress.
func (p TermProgress) Waiting(i, n int, s Step, elapsed time.Duration, state string) {
	fmt.Fprintf(p.W, "%s[%d/%d] %s: waiting %s (%s)", clearLine, i+1, n, s.Name, elapsed.Round(time.Second), state)
}

// StepDone implements Progress.
func (p TermProgress) StepDone(i, n int, r StepResult) {
	result := "PASS"
	switch {
	case !r.Conformant:
		result = "FAIL"
	case !r.Observed:
		result = "not observed"
	}
	fmt.Fprintf(p.W, "%s[%d/%d] %s: %s (%s)\n", clearLine, i+1, n, r.Name, result, r.Elapsed.Round(time.Millisecond))
}

// IsTerminal reports whether w is a terminal (a character device), where
// progress lines belong; pipes and files get none.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
