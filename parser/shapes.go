package parser

import "strings"

// Value shapes. They decide where each field goes when the padding of a
// table was collapsed (S6 in the format reference) and they reject values
// that cannot be right (an ID that is not a number, a cut-off time).

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi parses a non-negative decimal that fits an int32-sized ID; ok is
// false otherwise (so a 40-digit "ID" is an error, not a wrapped number).
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// isNode reports whether s is a port position n:s:p (node:slot:port).
func isNode(s string) bool {
	parts := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ':' {
			if !isDigits(s[start:i]) {
				return false
			}
			parts++
			start = i + 1
		}
	}
	return parts == 3
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isWWN reports whether s is a Fibre Channel world wide name as showrcopy
// prints it: 16 hex digits without separators.
func isWWN(s string) bool { return len(s) == 16 && isHex(s) }

func isIPv4(s string) bool {
	parts := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			n := s[start:i]
			if !isDigits(n) || len(n) > 3 {
				return false
			}
			parts++
			start = i + 1
		}
	}
	return parts == 4
}

// isIPv6 is a shape test only: hex groups and colons with at least two
// colons, and not a node n:s:p.
func isIPv6(s string) bool {
	if strings.Count(s, ":") < 2 || isNode(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isDate accepts YYYY-MM-DD (also with '/' separators, as some CLI versions
// print dates that way).
func isDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 4, 7:
			if c != '-' && c != '/' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// isClock accepts h:mm:ss and hh:mm:ss.
func isClock(s string) bool {
	if len(s) != 7 && len(s) != 8 {
		return false
	}
	h := len(s) - 6
	return isDigits(s[:h]) && s[h] == ':' && isDigits(s[h+1:h+3]) && s[h+3] == ':' && isDigits(s[h+4:])
}

// isZone accepts a time zone abbreviation or offset as printed after a time:
// IST, CET, PDT, UTC, GMT+1, +0530.
func isZone(s string) bool {
	if s == "" || len(s) > 10 {
		return false
	}
	c := s[0]
	if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '+' || c == '-') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// isPolicyWord reports a known target policy word.
func isPolicyWord(s string) bool {
	switch s {
	case "mirror_config", "no_mirror_config":
		return true
	}
	return false
}

// hasLetter reports whether s contains an ASCII letter: state words do,
// numbers, nodes, dates and WWN-like digit strings usually do not.
func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// isWordOf reports whether s is letters plus the given punctuation only.
func isWordOf(s, punct string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte(punct, c) >= 0) {
			return false
		}
	}
	return true
}
