package safefile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Caps per kind of file; see the package documentation.
const (
	MaxConfig      int64 = 32 << 20
	MaxSecret      int64 = 1 << 20
	MaxKnownHosts  int64 = 16 << 20
	MaxCAFile      int64 = 4 << 20
	MaxObservation int64 = 64 << 20
	MaxShowrcopy   int64 = 64 << 20
	MaxTable       int64 = 4 << 20
	MaxScenario    int64 = 16 << 20
)

// StdinName is how messages name standard input.
const StdinName = "<stdin>"

// Error is a file that could not be read. Error() is one line: "FILE: reason".
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// ErrNotRegular is wrapped by the error for a file that is not a regular
// file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the error for a file larger than its cap.
var ErrTooLarge = errors.New("file too large")

// Read returns the content of the regular file at path, at most max bytes.
func Read(path string, max int64) ([]byte, error) {
	return ReadContext(context.Background(), path, max)
}

// ReadContext is Read, giving up when ctx ends. The read itself then goes
// on in the background until it ends (a regular file's read does end); its
// result is dropped.
func ReadContext(ctx context.Context, path string, max int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Path: path, Err: fmt.Errorf("not read: %w", context.Cause(ctx))}
	}
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	if size > max {
		f.Close()
		return nil, tooLarge(path, max)
	}
	if ctx.Done() == nil {
		defer f.Close()
		return readAll(path, f, size, max)
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer f.Close()
		data, err := readAll(path, f, size, max)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, &Error{Path: path, Err: fmt.Errorf("reading did not finish in time: %w", context.Cause(ctx))}
	}
}

// ReadInput reads the file at path like ReadContext, or, when path is "-",
// stdin (which may be a pipe or a terminal) until its end, at most max
// bytes. It returns when ctx ends (e.g. on SIGTERM) even while stdin is
// silent; the blocked read of stdin is then left behind, so call it only
// where the process ends soon after. Errors name stdin StdinName.
func ReadInput(ctx context.Context, path string, stdin io.Reader, max int64) ([]byte, error) {
	if path != "-" {
		return ReadContext(ctx, path, max)
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Path: StdinName, Err: fmt.Errorf("not read: %w", context.Cause(ctx))}
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := readAll(StdinName, stdin, -1, max)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, &Error{Path: StdinName, Err: fmt.Errorf("reading interrupted: %w", context.Cause(ctx))}
	}
}

// openRegular opens path for reading if it is a regular file, and returns
// its size. The type is checked before opening, so that no device or pipe
// is ever opened, and again on the descriptor, in case the path was
// replaced in between; O_NONBLOCK keeps such a replacement from blocking
// the open itself.
func openRegular(path string) (*os.File, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, pathError(path, err)
	}
	if err := regular(path, st); err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, 0, pathError(path, err)
	}
	st, err = f.Stat()
	if err == nil {
		err = regular(path, st)
	}
	if err != nil {
		f.Close()
		return nil, 0, pathError(path, err)
	}
	return f, st.Size(), nil
}

func regular(path string, st fs.FileInfo) error {
	if st.Mode().IsRegular() {
		return nil
	}
	return &Error{Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, describe(st.Mode()))}
}

func describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "file type " + m.Type().String()
}

// readAll reads r to its end, at most max bytes; size, when known (>= 0),
// sizes the buffer.
func readAll(name string, r io.Reader, size, max int64) ([]byte, error) {
	var b bytes.Buffer
	if size >= 0 && size < max {
		b.Grow(int(size) + bytes.MinRead) // room to see the end without growing
	}
	if _, err := b.ReadFrom(io.LimitReader(r, max+1)); err != nil {
		return nil, pathError(name, err)
	}
	if int64(b.Len()) > max {
		return nil, tooLarge(name, max)
	}
	return b.Bytes(), nil
}

func tooLarge(path string, max int64) error {
	return &Error{Path: path, Err: fmt.Errorf("%w: larger than %s", ErrTooLarge, bytesText(max))}
}

func bytesText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// pathError makes one uniform "FILE: reason" out of an *os.PathError (whose
// own text repeats the operation) or any other error.
func pathError(path string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{Path: path, Err: err}
}
