package cim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// Hostile CIM-XML from a server over a real socket: deep nesting, entity
// expansion ("billion laughs"), an external entity pointing at a local file,
// invalid UTF-8, a huge text node. Each ends in a clear one-line error naming
// the server (or, for the huge but well-formed value, a result), never a
// crash, a file read or unbounded work.
func TestClientHostileXML(t *testing.T) {
	head := `<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="EnumerateInstances"><IRETURNVALUE>`
	tail := `</IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`
	instance := func(value string) string {
		return `<VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="TPD_StorageVolume"><KEYBINDING NAME="DeviceID"><KEYVALUE VALUETYPE="string">1</KEYVALUE></KEYBINDING></INSTANCENAME>` +
			`<INSTANCE CLASSNAME="TPD_StorageVolume"><PROPERTY NAME="ElementName" TYPE="string"><VALUE>` + value + `</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE>`
	}
	secret, err := os.ReadFile("/etc/hostname")
	if err != nil || len(strings.TrimSpace(string(secret))) < 3 {
		secret = []byte("localhost-file-content")
	}
	laughs := `<!DOCTYPE lolz [<!ENTITY lol "lol">` + func() string {
		var b strings.Builder
		prev := "lol"
		for i := 1; i <= 9; i++ {
			name := "lol" + string(rune('0'+i))
			b.WriteString(`<!ENTITY ` + name + ` "` + strings.Repeat("&"+prev+";", 10) + `">`)
			prev = name
		}
		return b.String()
	}() + `]>`
	cases := []struct {
		name, body, want string
		ok               bool
	}{
		{name: "a million levels deep", body: head + strings.Repeat("<VALUE.ARRAY>", 1_000_000) + strings.Repeat("</VALUE.ARRAY>", 1_000_000) + tail, want: "nested deeper than"},
		{name: "billion laughs", body: laughs + head + instance("&lol9;") + tail, want: "entity"},
		{name: "external entity", body: `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>` + head + instance("&xxe;") + tail, want: "entity"},
		{name: "invalid UTF-8", body: head + instance("\xff\xfe") + tail, want: "invalid UTF-8"},
		{name: "control character reference", body: head + instance("a&#x1b;b&#0;") + tail, want: "character"},
		{name: "huge text node", body: head + instance(strings.Repeat("v", 2<<20)) + tail, ok: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xml; charset=utf-8")
				w.Header().Set("CIMOperation", "MethodResponse")
				// Answer with the request's message id, as a server must.
				req, _ := io.ReadAll(r.Body)
				id := "1"
				if m := messageID.FindSubmatch(req); m != nil {
					id = string(m[1])
				}
				w.Write([]byte(strings.Replace(tc.body, `<MESSAGE ID="1"`, `<MESSAGE ID="`+id+`"`, 1)))
			}))
			defer srv.Close()
			c, err := NewClient(ClientOptions{URL: srv.URL, User: "u", Password: "hostile-test-pw"})
			if err != nil {
				t.Fatal(err)
			}
			inst, err := c.EnumerateInstances(t.Context(), ClassStorageVolume)
			if tc.ok {
				if err != nil || len(inst) != 1 {
					t.Fatalf("%d instances, %v; want the one instance", len(inst), err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; %d instances: %.200v", len(inst), inst)
			}
			msg := err.Error()
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.want)) || !strings.Contains(msg, srv.URL) || len(msg) > 600 ||
				strings.ContainsFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }) {
				t.Errorf("error not one short printable line naming the server and %q: %q", tc.want, msg)
			}
			if strings.Contains(msg, strings.TrimSpace(string(secret))) || strings.Contains(msg, "hostile-test-pw") {
				t.Errorf("error shows a local file's content or the password: %q", msg)
			}
			t.Log(msg)
		})
	}
}

var messageID = regexp.MustCompile(`<MESSAGE ID="([0-9]+)"`)
