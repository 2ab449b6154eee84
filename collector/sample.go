package collector

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// A family is a descriptor with its variable label names, which
// prometheus.Desc does not expose, and where each name's pair goes among
// the series' pairs sorted by name (the order the registry wants them in).
type family struct {
	desc   *prometheus.Desc
	labels []string
	slot   []int // slot[i]: index of labels[i] in name order
}

func newFamily(name, help string, labels []string) *family {
	byName := slices.Clone(labels)
	slices.Sort(byName)
	slot := make([]int, len(labels))
	for i, l := range labels {
		slot[i] = slices.Index(byName, l)
	}
	return &family{desc: prometheus.NewDesc(name, help, labels, nil), labels: labels, slot: slot}
}

// A sample is one gauge series. It implements prometheus.Metric itself
// rather than coming from NewConstMetric, which allocates and sorts a
// label pair per label and series: here the series of a group listing
// share the listing's pairs, the series of a volume the volume's, each
// placed in name order by its family. Measured in docs/benchmarks.md; the
// registry still checks every series.
type sample struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair // sorted by name
	gauge  dto.Gauge
	value  float64
}

func (s *sample) Desc() *prometheus.Desc { return s.desc }

// Write hands the registry the sample's own pairs and gauge: a Metric's
// output is immutable by client_golang's contract, and a sample is written
// once, by the registry of its probe.
func (s *sample) Write(m *dto.Metric) error {
	m.Label = s.labels
	m.Gauge = &s.gauge
	return nil
}

// pair returns a label pair. name must outlive the probe (the families'
// label names do). Label values come from the array and may be in another
// encoding than UTF-8: invalid bytes become U+FFFD, as a label value must
// be UTF-8.
func pair(name *string, value string) *dto.LabelPair {
	if !utf8.ValidString(value) {
		value = strings.ToValidUTF8(value, "\uFFFD")
	}
	return &dto.LabelPair{Name: name, Value: &value}
}

// extend returns shared followed by the pairs of f's next labels with
// values: the pairs a group listing's or a volume's series share. shared
// holds pairs of f's first labels.
func extend(f *family, shared []*dto.LabelPair, values ...string) []*dto.LabelPair {
	ps := make([]*dto.LabelPair, len(shared)+len(values))
	copy(ps, shared)
	for j, v := range values {
		i := len(shared) + j
		ps[i] = pair(&f.labels[i], v)
	}
	return ps
}

// newSample builds one series of f: shared holds the pairs of f's first
// labels (from extend, with a family whose first label names are f's),
// more the values of the rest, in f's label order.
func newSample(f *family, v float64, shared []*dto.LabelPair, more ...string) *sample {
	sorted := make([]*dto.LabelPair, len(f.labels))
	for i, p := range shared {
		sorted[f.slot[i]] = p
	}
	for j, value := range more {
		i := len(shared) + j
		sorted[f.slot[i]] = pair(&f.labels[i], value)
	}
	m := &sample{desc: f.desc, labels: sorted, value: v}
	m.gauge.Value = &m.value
	return m
}
