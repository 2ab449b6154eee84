package htmlreport

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
)

// Format is the checker's --format value for this rendering.
const Format conformance.Format = "html"

//go:embed report.html.tmpl
var reportTemplate string

var tmpl = template.Must(template.New("report").Parse(reportTemplate))

// WriteCheck renders a check (`checker check`) as one HTML page.
func WriteCheck(w io.Writer, r conformance.Report, m Meta) error {
	return write(w, checkPage(r, m))
}

// Walk titles, by what was walked.
const (
	TitleSimulate = "Disaster-recovery walk on the simulated pair"
	TitleDrill    = "Disaster-recovery drill on a lab pair"
)

// WriteWalk renders a disaster-recovery walk (`checker simulate`,
// `checker drill`) as one HTML page with the given title.
func WriteWalk(w io.Writer, r *drill.Report, m Meta, title string) error {
	return write(w, walkPage(r, m, title))
}

func write(w io.Writer, p *page) error {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
