package safefile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func mkfifo(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	return p
}

// oneLine checks that err is an *Error naming path, on one line, saying
// want.
func oneLine(t *testing.T, err error, path, want string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Path != path {
		t.Fatalf("error %v (%T) does not name %s", err, err, path)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, path+": ") || strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Errorf("error %q: want one line %q... saying %q", msg, path+": ", want)
	}
}

func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t, dir)
	zeroLink := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zeroLink); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path, want string }{
		{"named pipe without a writer", fifo, "not a regular file (a named pipe)"},
		{"/dev/zero", "/dev/zero", "not a regular file (a character device)"},
		{"symlink to /dev/zero", zeroLink, "not a regular file (a character device)"},
		{"directory", dir, "not a regular file (a directory)"},
		{"missing", filepath.Join(dir, "nope"), "no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path, MaxConfig)
			oneLine(t, err, tc.path, tc.want)
			if strings.Contains(tc.want, "regular") && !errors.Is(err, ErrNotRegular) {
				t.Errorf("errors.Is(err, ErrNotRegular) is false: %v", err)
			}
		})
	}
}

// A pipe that has a writer which never writes would block a plain read
// forever; it is refused like any other pipe.
func TestReadRefusesAPipeWithASilentWriter(t *testing.T) {
	fifo := mkfifo(t, t.TempDir())
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = ReadContext(t.Context(), fifo, MaxConfig)
	oneLine(t, err, fifo, "named pipe")
}

// The open itself never blocks on a pipe that replaced the file after the
// type check: without O_NONBLOCK, opening a FIFO waits for a writer.
func TestOpenFlagsDoNotBlockOnAPipe(t *testing.T) {
	fifo := mkfifo(t, t.TempDir())
	f, err := os.OpenFile(fifo, os.O_RDONLY|openFlags, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	f.Close()
	if err != nil || st.Mode().IsRegular() {
		t.Fatalf("stat %v, %v", st, err)
	}
	if err := regular(fifo, st); !errors.Is(err, ErrNotRegular) {
		t.Errorf("the descriptor check lets a pipe through: %v", err)
	}
}

func TestReadSizeCap(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(p, 5); err != nil || string(data) != "12345" {
		t.Fatalf("at the cap: %q, %v", data, err)
	}
	_, err := Read(p, 4)
	oneLine(t, err, p, "larger than 4 bytes")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("errors.Is(err, ErrTooLarge) is false: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 2<<20+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Read(big, 2<<20)
	oneLine(t, err, big, "larger than 2 MiB")
}

func TestReadFollowsSymlinksToRegularFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "real")
	if err := os.WriteFile(p, []byte("content\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	data, err := ReadContext(t.Context(), link, MaxSecret)
	if err != nil || string(data) != "content\n" {
		t.Fatalf("%q, %v", data, err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(empty, MaxSecret); err != nil || len(data) != 0 {
		t.Fatalf("empty file: %q, %v", data, err)
	}
}

func TestReadContextEnded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := ReadContext(ctx, p, MaxSecret)
	oneLine(t, err, p, "context canceled")
}

// Standard input that never ends (a pipe whose writer stays silent) is
// given up when the context ends, as a command does on SIGTERM.
func TestReadInputStdinHonoursTheContext(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close() // ends the reader left behind
	ctx, cancel := context.WithCancelCause(t.Context())
	errs := make(chan error, 1)
	go func() {
		_, err := ReadInput(ctx, "-", r, MaxShowrcopy)
		errs <- err
	}()
	if _, err := w.Write([]byte("partial output, then silence\n")); err != nil {
		t.Fatal(err)
	}
	cancel(errors.New("terminated signal received"))
	err := <-errs
	oneLine(t, err, StdinName, "reading interrupted: terminated signal received")
}

func TestReadInputStdin(t *testing.T) {
	data, err := ReadInput(t.Context(), "-", strings.NewReader("abc"), 3)
	if err != nil || string(data) != "abc" {
		t.Fatalf("%q, %v", data, err)
	}
	_, err = ReadInput(t.Context(), "-", strings.NewReader("abcd"), 3)
	oneLine(t, err, StdinName, "larger than 3 bytes")
	// An endless stdin (/dev/zero) stops at the cap.
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	_, err = ReadInput(t.Context(), "-", zero, 1<<20)
	oneLine(t, err, StdinName, "larger than 1 MiB")
	// A file name goes through the regular-file checks.
	_, err = ReadInput(t.Context(), "/dev/zero", strings.NewReader(""), 3)
	oneLine(t, err, "/dev/zero", "character device")
}
