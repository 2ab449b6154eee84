package collector

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/threepar/rcopy-exporter/cim"
)

// expfmtText is what expfmt writes for a registry holding a collector with
// opts, in format f, without scrape_duration_seconds; and whether up is 1.
func expfmtText(t testing.TB, opts Options, f expfmt.Format) (string, bool) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	c := New(context.Background(), opts)
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, f)
	for _, mf := range mfs {
		if mf.GetName() == Namespace+"_scrape_duration_seconds" {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String(), c.Up()
}

// TestWriteTextMatchesExpfmt holds the text writer to expfmt, byte for
// byte, in both text format versions Prometheus asks for.
func TestWriteTextMatchesExpfmt(t *testing.T) {
	formats := []expfmt.Format{
		expfmt.NewFormat(expfmt.TypeTextPlain),
		// what promhttp answers Prometheus 3's Accept header with
		expfmt.Negotiate(http.Header{"Accept": {"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5," +
			"application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3," +
			"text/plain;version=0.0.4;q=0.2,*/*;q=0.1"}}),
	}
	if formats[1].FormatType() != expfmt.TypeTextPlain {
		t.Fatalf("Prometheus' Accept header negotiates %s", formats[1])
	}
	for name, opts := range collectCases(t) {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			up := New(context.Background(), opts()).Fetch().WriteText(&got)
			for _, f := range formats {
				want, wantUp := expfmtText(t, opts(), f)
				if got.String() != want {
					t.Fatalf("WriteText differs from expfmt (%s):\n--- WriteText\n%s\n--- expfmt\n%s", f, got.String(), want)
				}
				if up != wantUp {
					t.Errorf("WriteText reports up %v, the collector %v", up, wantUp)
				}
			}
		})
	}
}

func TestAppendDurationParses(t *testing.T) {
	text := AppendDuration(nil, 1500*time.Millisecond)
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	mf := mfs[Namespace+"_scrape_duration_seconds"]
	if mf == nil || mf.GetType() != dto.MetricType_GAUGE || mf.Metric[0].GetGauge().GetValue() != 1.5 {
		t.Errorf("got %v from\n%s", mfs, text)
	}
}

// TestKeyCoversInputs: every input of the answer changes the key; the
// same inputs give the same key; a failed fetch gives none.
func TestKeyCoversInputs(t *testing.T) {
	out := mustRead(t, "testdata/healthy-primary.txt")
	base := func() Options {
		return Options{Runner: &fakeRunner{out: out}, CIM: &fakeCIM{vols: []cim.RemoteCopyVolume{{Volume: "v"}}}}
	}
	key := func(o Options) Key {
		t.Helper()
		k, ok := New(context.Background(), o).Fetch().Key()
		if !ok {
			t.Fatal("no key for a successful fetch")
		}
		return k
	}
	k0 := key(base())
	if key(base()) != k0 {
		t.Fatal("same inputs, different keys")
	}
	variants := map[string]func(*Options){
		"output": func(o *Options) { o.Runner = &fakeRunner{out: append(bytes.Clone(out), ' ')} },
		"output, same length": func(o *Options) {
			changed := bytes.Clone(out)
			changed[len(changed)/2] ^= 1
			o.Runner = &fakeRunner{out: changed}
		},
		"strict":   func(o *Options) { o.Strict = true },
		"location": func(o *Options) { o.Location = time.FixedZone("X", 3600) },
		"no cim":   func(o *Options) { o.CIM = nil },
		"cim none": func(o *Options) { o.CIM = &fakeCIM{} },
	}
	// Every field of a CIM volume.
	vt := reflect.TypeFor[cim.RemoteCopyVolume]()
	for i := range vt.NumField() {
		f := vt.Field(i)
		variants["cim "+f.Name] = func(o *Options) {
			v := cim.RemoteCopyVolume{Volume: "v"}
			fv := reflect.ValueOf(&v).Elem().Field(i)
			switch fv.Kind() {
			case reflect.String:
				fv.SetString(fv.String() + "x")
			case reflect.Bool:
				fv.SetBool(true)
			case reflect.Uint16:
				fv.SetUint(7)
			default:
				t.Fatalf("field %s of kind %s: teach writeCIMVolume and this test", f.Name, fv.Kind())
			}
			o.CIM = &fakeCIM{vols: []cim.RemoteCopyVolume{v}}
		}
	}
	for name, change := range variants {
		o := base()
		change(&o)
		if key(o) == k0 {
			t.Errorf("%s: key unchanged", name)
		}
	}
	for name, o := range map[string]Options{
		"ssh fails": {Runner: &fakeRunner{err: context.DeadlineExceeded}},
		"cim fails": {Runner: &fakeRunner{out: out}, CIM: &fakeCIM{err: context.DeadlineExceeded}},
	} {
		if _, ok := New(context.Background(), o).Fetch().Key(); ok {
			t.Errorf("%s: got a key", name)
		}
	}
	if !strings.HasPrefix(string(out), "Remote Copy") {
		t.Fatal("fixture changed")
	}
}
