package cim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// wbemcli runs Debian's sblim-wbemcli, a real CIM-XML client, with args and
// returns its stdout, stderr and exit status.
func wbemcli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	bin := testtool.Require(t, "wbemcli")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	// No proxy may stand between wbemcli and the loopback server.
	cmd.Env = append(os.Environ(), "http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=", "no_proxy=127.0.0.1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("wbemcli %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestWbemcli(t *testing.T) {
	srv := newTestServer(t, NewHandler(newTestProvider(), HandlerOptions{Authenticate: authenticate}))
	// The throwaway test password is in wbemcli's argv: wbemcli knows no other way.
	base := "http://" + testUser + ":" + testPassword + "@" + strings.TrimPrefix(srv.URL, "http://") + "/root/tpd:"

	t.Run("ei", func(t *testing.T) {
		out, stderr, code := wbemcli(t, "ei", base+ClassRemoteStorageSynchronized)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d lines, want one per instance:\n%s", len(lines), out)
		}
		for i, want := range []string{"CopyState=4,SyncState=6,ProgressStatus=2,RoleReversed=FALSE,WhenSynced=20261130044500.000000+000",
			"CopyState=10,SyncState=12,ProgressStatus=2,RoleReversed=TRUE,WhenSynced="} {
			if !strings.Contains(lines[i], want) {
				t.Errorf("line %d lacks %q:\n%s", i+1, want, lines[i])
			}
		}
		if !strings.Contains(lines[1], `SystemElement=`+peerWWN+`/root/tpdTPD_StorageVolume.CreationClassName="TPD_StorageVolume",DeviceID="`+devPeer2+`"`) {
			t.Errorf("reversed pair's SystemElement is not the peer's volume:\n%s", lines[1])
		}
	})
	t.Run("ei -nl", func(t *testing.T) {
		out, stderr, code := wbemcli(t, "ei", "-nl", base+ClassRemoteStorageSynchronized)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{"\n-CopyState=4\n", "\n-CopyState=10\n", "\n-RoleReversed=TRUE\n", "\n-SyncState=12\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ei with property list", func(t *testing.T) {
		out, stderr, code := wbemcli(t, "ei", "-nl", base+ClassStorageVolume, "ElementName")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(out, "-ElementName=\"vol.one\"") || !strings.Contains(out, `-ElementName="vol<two>&\""`) || strings.Contains(out, "OperationalStatus") {
			t.Errorf("property list not applied or value mangled:\n%s", out)
		}
	})
	t.Run("gi", func(t *testing.T) {
		key := `CreationClassName="TPD_StorageVolume",DeviceID="` + devLocal2 + `",SystemCreationClassName="TPD_StorageSystem",SystemName="` + localWWN + `"`
		out, stderr, code := wbemcli(t, "gi", "-nl", base+ClassStorageVolume+"."+key)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(out, `-ElementName="vol<two>&\""`) || strings.Contains(out, "vol.one") {
			t.Errorf("wrong instance:\n%s", out)
		}
		_, stderr, code = wbemcli(t, "gi", base+ClassStorageVolume+"."+strings.Replace(key, devLocal2, "NOPE", 1))
		if code != 16 || !strings.Contains(stderr, "CIM_ERR_NOT_FOUND") {
			t.Errorf("missing instance: exit %d, stderr %q; want 16 and CIM_ERR_NOT_FOUND", code, stderr)
		}
	})
	t.Run("gi by reference keys", func(t *testing.T) {
		// wbemcli takes a reference key unquoted: Key=host/namespace:Class.k="v",...
		ref := func(host, deviceID string) string {
			return host + `/root/tpd:TPD_StorageVolume.CreationClassName="TPD_StorageVolume",DeviceID="` + deviceID +
				`",SystemCreationClassName="TPD_StorageSystem",SystemName="` + host + `"`
		}
		out, stderr, code := wbemcli(t, "gi", "-nl", base+ClassRemoteStorageSynchronized+
			".SystemElement="+ref(peerWWN, devPeer2)+",SyncedElement="+ref(localWWN, devLocal2))
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(out, "\n-CopyState=10\n") || !strings.Contains(out, "\n-RoleReversed=TRUE\n") {
			t.Errorf("wrong instance:\n%s", out)
		}
	})
	t.Run("ein", func(t *testing.T) {
		out, stderr, code := wbemcli(t, "ein", base+ClassStorageVolume)
		if code != 0 || strings.Count(out, "TPD_StorageVolume.CreationClassName=") != 2 {
			t.Errorf("exit %d, stderr %q, output:\n%s", code, stderr, out)
		}
	})
	// wbemcli exits 16 on a CIM error (reference/cim-xml.md), and on HTTP 401 too.
	for _, tc := range []struct{ name, url, want string }{
		{"unknown class", base + "TPD_Nope", "(5) CIM_ERR_INVALID_CLASS"},
		{"unknown namespace", strings.Replace(base, "/root/tpd:", "/root/nope:", 1) + ClassStorageVolume, "(3) CIM_ERR_INVALID_NAMESPACE"},
		{"wrong password", strings.Replace(base, testPassword, "wrong", 1) + ClassStorageVolume, "Invalid username/password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := wbemcli(t, "ei", tc.url)
			if code != 16 || !strings.Contains(stderr, tc.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 16 and %q", code, out, stderr, tc.want)
			}
		})
	}
}
