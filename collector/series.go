package collector

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// A probe of a big array emits tens of thousands of series (2400 volumes
// times a state set of six, plus their other series), so the way each one
// is built is the probe's main cost. prometheus.NewConstMetric allocates,
// validates and sorts fresh label pairs for every series; the seriesMaker
// below makes the same gauges with label pairs shared within a probe (a
// group's name, a status word are one *dto.LabelPair however many series
// carry them), already in label-name order, and from slabs rather than one
// allocation each. A registry still checks every series (names, UTF-8,
// duplicates) when it gathers them; Collector.Gather, which /probe serves,
// relies on what this file and emit guarantee (see gather.go).

// labelLayout is one descriptor's name and help, and how its variable
// labels map to the sorted order a dto.Metric carries them in.
type labelLayout struct {
	name, help string
	names      []string // variable label names, in NewDesc order
	order      []int    // order[i]: index in names of the i-th label by name
	index      int      // position in descs.all
	// for the text writer: HELP and TYPE lines, and what precedes the
	// i-th label value by name (`{group="`, `,volume="`)
	textHead    string
	labelPrefix []string
}

func newLabelLayout(index int, name, help string, names []string) labelLayout {
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return names[order[a]] < names[order[b]] })
	prefix := make([]string, len(order))
	for i, j := range order {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		prefix[i] = sep + names[j] + `="`
	}
	return labelLayout{name: name, help: help, names: names, order: order, index: index,
		textHead: textHead(name, help), labelPrefix: prefix}
}

// gaugeSeries is one gauge sample; it satisfies prometheus.Metric.
type gaugeSeries struct {
	desc   *prometheus.Desc
	value  float64
	gauge  dto.Gauge
	labels []*dto.LabelPair
}

func (g *gaugeSeries) Desc() *prometheus.Desc { return g.desc }

func (g *gaugeSeries) Write(m *dto.Metric) error {
	g.gauge.Value = &g.value
	m.Gauge = &g.gauge
	m.Label = g.labels
	return nil
}

// pairKey identifies an interned label pair.
type pairKey struct{ name, value string }

// seriesMaker makes the gauges of one probe. It is not safe for concurrent
// use; one probe's emit owns it.
type seriesMaker struct {
	pairs     map[pairKey]*dto.LabelPair
	pairSlab  []internedPair
	labelSlab []*dto.LabelPair
	gaugeSlab []gaugeSeries
	// lengths of the last slabs made
	pairSlabN, labelSlabN, gaugeSlabN int
}

// internedPair holds a label pair and the strings it points to.
type internedPair struct {
	pair        dto.LabelPair
	name, value string
}

// Slabs start small (a small array's probe makes a few hundred series)
// and double up to maxSlab.
const (
	firstSlab = 32
	maxSlab   = 1024
)

// grow returns the next slab length after n.
func grow(n int) int { return min(max(2*n, firstSlab), maxSlab) }

func newSeriesMaker() *seriesMaker {
	return &seriesMaker{pairs: make(map[pairKey]*dto.LabelPair, 256)}
}

// pair returns the shared label pair name=value. A value that is not
// UTF-8 (a name printed in another encoding) shows with U+FFFD instead of
// failing the series.
func (s *seriesMaker) pair(name, value string) *dto.LabelPair {
	if p, ok := s.pairs[pairKey{name, value}]; ok {
		return p
	}
	if len(s.pairSlab) == 0 {
		s.pairSlabN = grow(s.pairSlabN)
		s.pairSlab = make([]internedPair, s.pairSlabN)
	}
	ip := &s.pairSlab[0]
	s.pairSlab = s.pairSlab[1:]
	ip.name, ip.value = name, value
	if !utf8.ValidString(value) {
		ip.value = strings.ToValidUTF8(value, "\uFFFD")
	}
	ip.pair.Name, ip.pair.Value = &ip.name, &ip.value
	s.pairs[pairKey{name, value}] = &ip.pair
	return &ip.pair
}

// gauge makes one gauge series of d with the label values in d's order.
func (s *seriesMaker) gauge(d *prometheus.Desc, v float64, values []string) prometheus.Metric {
	layout, ok := descs.layouts[d]
	if !ok || len(layout.names) != len(values) {
		// Not one of this package's descriptors, or a wrong number of
		// values: let client_golang build (and report) it.
		m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, values...)
		if err != nil {
			return prometheus.NewInvalidMetric(d, err)
		}
		return m
	}
	n := len(values)
	if len(s.labelSlab) < n {
		s.labelSlabN = grow(s.labelSlabN)
		s.labelSlab = make([]*dto.LabelPair, max(4*s.labelSlabN, n))
	}
	labels := s.labelSlab[:n:n]
	s.labelSlab = s.labelSlab[n:]
	for i, j := range layout.order {
		labels[i] = s.pair(layout.names[j], values[j])
	}
	if len(s.gaugeSlab) == 0 {
		s.gaugeSlabN = grow(s.gaugeSlabN)
		s.gaugeSlab = make([]gaugeSeries, s.gaugeSlabN)
	}
	g := &s.gaugeSlab[0]
	s.gaugeSlab = s.gaugeSlab[1:]
	g.desc, g.value, g.labels = d, v, labels
	return g
}
