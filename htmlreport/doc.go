// Package htmlreport renders a check or a disaster-recovery walk as one
// self-contained HTML page, the report people hand to auditors and change
// boards: the verdict and the first failure in one sentence; when, against
// which arrays (addresses, system ids, OS versions) and with which tables;
// for a walk a timeline drawn in SVG (a column per step, a lane per array
// and group, coloured by verdict, the pair's inconsistencies marked); the
// findings, expected triple next to observed; and, for a walk that
// stopped, the commands that bring the pair back.
//
// It renders the one judgement's findings (conformance.Report,
// drill.Report) and decides nothing itself. Meta carries what the findings
// do not hold: times, addresses, versions (`showversion`), the tables used.
//
// The page needs nothing else: inline CSS and SVG, no script, no font,
// image or link to fetch; it prints on A4 landscape. Every string from an
// array or a file goes through html/template, and control and format
// characters are shown as escapes (\x1b, \u202e), never passed on.
package htmlreport
