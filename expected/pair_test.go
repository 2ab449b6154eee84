package expected

import "testing"

func TestPairRoles(t *testing.T) {
	cases := []struct {
		a, b string
		want PairVerdict
	}{
		{"Primary", "Secondary", PairOK},
		{"Secondary", "Primary", PairOK},
		{"Primary-Rev", "Secondary-Rev", PairOK},
		{"secondary-rev", "PRIMARY-REV", PairOK},
		{"Primary", "Primary", PairSplitBrain},
		{"Primary", "Primary-Rev", PairSplitBrain},
		{"Primary-Rev", "Primary-Rev", PairSplitBrain},
		{"Secondary", "Secondary", PairNoPrimary},
		{"Secondary-Rev", "Secondary", PairNoPrimary},
		{"Primary", "Secondary-Rev", PairInconsistent},
		{"Secondary", "Primary-Rev", PairInconsistent},
		{"Primary", "", PairUnknown},
		{"Tertiary", "Secondary", PairUnknown},
	}
	for _, c := range cases {
		got, reason := PairRoles(c.a, c.b)
		if got != c.want || reason == "" {
			t.Errorf("PairRoles(%q, %q) = %s (%q), want %s", c.a, c.b, got, reason, c.want)
		}
	}
}
