package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a pending replacement of a destination file. Write to it, then
// Commit; Abort (safe to defer, a no-op after Commit) throws it away.
type File struct {
	f    *os.File
	dest string
	done bool
}

// Create starts a replacement of path. It fails at once when the directory
// cannot hold the file, so that a long run learns it before its work.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return nil, fmt.Errorf("%s: not a file name", path)
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if dir == "" {
		dir = "."
	}
	for range 100 {
		var suffix [6]byte
		if _, err := rand.Read(suffix[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(suffix[:])+".tmp")
		// 0666 like os.Create: the umask decides, as for any new file.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		var pe *fs.PathError
		if errors.As(err, &pe) { // name the destination, not the temporary file
			return nil, &fs.PathError{Op: "create", Path: path, Err: pe.Err}
		}
		if err != nil {
			return nil, err
		}
		return &File{f: f, dest: path}, nil
	}
	return nil, fmt.Errorf("%s: cannot find a free temporary name", path)
}

// Write implements io.Writer.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Commit makes the written content the destination's: sync, close, keep
// the mode of the file it replaces, rename into place, sync the directory.
// On error the destination is unchanged and the temporary file removed.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: already committed or aborted")
	}
	tmp := f.f.Name()
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if st, serr := os.Stat(f.dest); serr == nil {
			err = os.Chmod(tmp, st.Mode().Perm())
		}
	}
	if err == nil {
		err = os.Rename(tmp, f.dest)
	}
	f.done = true
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// The rename is durable once the directory is synced; a failure here
	// leaves the new file in place, so it is not reported.
	if d, derr := os.Open(filepath.Dir(f.dest)); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort throws the pending content away; the destination stays as it was.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}
