package testtool

import (
	"bytes"
	"compress/gzip"
	"testing"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGunzipOne(t *testing.T) {
	one := gz(t, "hello\n")
	if text, err := GunzipOne(one); err != nil || string(text) != "hello\n" {
		t.Fatalf("one member: %q, %v", text, err)
	}
	badCRC := bytes.Clone(one)
	badCRC[len(badCRC)-6] ^= 1
	for name, z := range map[string][]byte{
		"two members":   append(bytes.Clone(one), gz(t, "again\n")...),
		"trailing data": append(bytes.Clone(one), "junk"...),
		"bad CRC":       badCRC,
		"truncated":     one[:len(one)-3],
	} {
		if _, err := GunzipOne(z); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
