package fakearray

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// A host key file is made once, its directory with it, and read back
// afterwards; simulators starting at once end up with the same key.
func TestHostKeyFileMadeOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "host-keys", "sim-a.key")
	const starts = 8
	keys := make([]gossh.Signer, starts)
	var wg sync.WaitGroup
	for i := range starts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := loadOrCreateHostKey(path)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, k := range keys[1:] {
		if !bytes.Equal(k.PublicKey().Marshal(), keys[0].PublicKey().Marshal()) {
			t.Fatal("concurrent starts made different keys")
		}
	}
	again, err := loadOrCreateHostKey(path)
	if err != nil || !bytes.Equal(again.PublicKey().Marshal(), keys[0].PublicKey().Marshal()) {
		t.Errorf("the key read back differs (%v)", err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Errorf("key directory holds %v (%v), want the key alone", entries, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v (%v), want 0600", st.Mode(), err)
	}
}
