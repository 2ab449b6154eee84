package alerts

import (
	"fmt"
	"strings"
)

// MetricNames returns the metric names (recording-rule names included) that
// a PromQL expression selects, each once, in order of first appearance.
//
// It is a scanner, not a parser: promtool checks the syntax. It skips string
// literals, comments, label matchers {...}, ranges and subqueries [...],
// numbers and durations, the label lists after by, without, on, ignoring,
// group_left and group_right, and Grafana variables ($x, ${x:fmt}). An
// identifier that is a keyword or aggregation operator, or is followed by
// "(", is not a metric; every other identifier is. Selecting a metric by
// {__name__=...} is reported as an error, so that no name escapes the check.
func MetricNames(expr string) ([]string, error) {
	s := scanner{src: expr}
	var names []string
	seen := map[string]bool{}
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			s.pos++
		case c == '#':
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		case c == '"' || c == '\'' || c == '`':
			if err := s.skipString(); err != nil {
				return nil, err
			}
		case c == '{':
			block, err := s.skipBlock('{', '}')
			if err != nil {
				return nil, err
			}
			if strings.Contains(stripStrings(block), "__name__") {
				return nil, fmt.Errorf("offset %d: selector %s matches on __name__; name the metric instead", s.pos-len(block), block)
			}
		case c == '[':
			if _, err := s.skipBlock('[', ']'); err != nil {
				return nil, err
			}
		case c == '$':
			s.pos++
			if s.pos < len(s.src) && s.src[s.pos] == '{' {
				if _, err := s.skipBlock('{', '}'); err != nil {
					return nil, err
				}
			} else {
				s.identifier()
			}
		case isDigit(c) || (c == '.' && s.pos+1 < len(s.src) && isDigit(s.src[s.pos+1])):
			for s.pos < len(s.src) && (isIdentChar(s.src[s.pos]) || s.src[s.pos] == '.') {
				s.pos++
			}
		case isIdentStart(c):
			word := s.identifier()
			lower := strings.ToLower(word)
			switch {
			case labelListKeywords[lower]:
				s.skipSpace()
				if s.pos < len(s.src) && s.src[s.pos] == '(' {
					if _, err := s.skipBlock('(', ')'); err != nil {
						return nil, err
					}
				}
			case keywords[lower] || aggregations[lower]:
			default:
				s.skipSpace()
				if s.pos < len(s.src) && s.src[s.pos] == '(' {
					continue // a function call; its arguments are scanned next
				}
				if !seen[word] {
					seen[word] = true
					names = append(names, word)
				}
			}
		default:
			s.pos++ // operators, parentheses, commas
		}
	}
	return names, nil
}

// Keywords of PromQL (case-insensitive, like Prometheus' lexer) that are
// not metric names.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true,
	"offset": true, "inf": true, "nan": true, "start": true, "end": true,
}

// labelListKeywords are followed by a parenthesized list of label names.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
}

// aggregations may be followed by by/without before their "(".
var aggregations = map[string]bool{
	"sum": true, "avg": true, "count": true, "min": true, "max": true,
	"group": true, "stddev": true, "stdvar": true, "topk": true,
	"bottomk": true, "count_values": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

type scanner struct {
	src string
	pos int
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) && strings.IndexByte(" \t\r\n", s.src[s.pos]) >= 0 {
		s.pos++
	}
}

func (s *scanner) identifier() string {
	start := s.pos
	for s.pos < len(s.src) && isIdentChar(s.src[s.pos]) {
		s.pos++
	}
	return s.src[start:s.pos]
}

// skipString skips a quoted literal starting at pos; backslash escapes apply
// except in backquoted strings, as in PromQL.
func (s *scanner) skipString() error {
	start, quote := s.pos, s.src[s.pos]
	for s.pos++; s.pos < len(s.src); s.pos++ {
		switch s.src[s.pos] {
		case '\\':
			if quote != '`' {
				s.pos++
			}
		case quote:
			s.pos++
			return nil
		}
	}
	return fmt.Errorf("offset %d: unterminated string %s", start, s.src[start:])
}

// skipBlock skips from an opening character at pos to its matching closing
// one (strings inside are honoured) and returns the block.
func (s *scanner) skipBlock(open, closing byte) (string, error) {
	start, depth := s.pos, 0
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '"', '\'', '`':
			if err := s.skipString(); err != nil {
				return "", err
			}
			continue
		case open:
			depth++
		case closing:
			depth--
			if depth == 0 {
				s.pos++
				return s.src[start:s.pos], nil
			}
		}
		s.pos++
	}
	return "", fmt.Errorf("offset %d: %q not closed: %s", start, open, s.src[start:])
}

// stripStrings removes quoted literals, so that a label value mentioning
// __name__ is not mistaken for a matcher on it.
func stripStrings(block string) string {
	var b strings.Builder
	s := scanner{src: block}
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		if c == '"' || c == '\'' || c == '`' {
			if s.skipString() != nil {
				break
			}
			continue
		}
		b.WriteByte(c)
		s.pos++
	}
	return b.String()
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c == ':' || (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }
