// Package texttable lays out the checker's text reports within a width
// (Width columns): aligned tables whose widest columns wrap their cells
// onto continuation lines, and long lines wrapped with a hanging indent. A
// report read in a terminal or a CI log then never wraps mid-cell where
// the reader cannot tell the columns apart.
package texttable
