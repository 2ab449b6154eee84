package expected

import (
	"fmt"
	"strings"
)

// PairVerdict is the outcome of comparing the roles that the two arrays of
// one pair hold for the same group.
type PairVerdict string

// Pair verdicts.
const (
	PairOK           PairVerdict = "ok"           // Primary+Secondary or Primary-Rev+Secondary-Rev
	PairSplitBrain   PairVerdict = "split_brain"  // two primaries of any kind
	PairNoPrimary    PairVerdict = "no_primary"   // two secondaries of any kind: nobody serves writes
	PairInconsistent PairVerdict = "inconsistent" // one reversed, one not (Primary+Secondary-Rev, ...)
	PairUnknown      PairVerdict = "unknown"      // a role word outside the four known ones
)

// roleKind splits a role into primary-ness and reversal; ok is false for a
// word outside Primary, Secondary, Primary-Rev, Secondary-Rev.
func roleKind(role string) (primary, reversed, ok bool) {
	switch strings.ToLower(strings.TrimSpace(role)) {
	case "primary":
		return true, false, true
	case "secondary":
		return false, false, true
	case "primary-rev":
		return true, true, true
	case "secondary-rev":
		return false, true, true
	}
	return false, false, false
}

// PairRoles applies the pair rule of the reference: the two arrays must
// hold complementary roles at every step (Primary with Secondary,
// Primary-Rev with Secondary-Rev). The reason says why, for a person.
func PairRoles(roleA, roleB string) (PairVerdict, string) {
	pa, ra, okA := roleKind(roleA)
	pb, rb, okB := roleKind(roleB)
	switch {
	case !okA || !okB:
		return PairUnknown, fmt.Sprintf("roles %q and %q: not both among Primary, Secondary, Primary-Rev, Secondary-Rev", roleA, roleB)
	case pa && pb:
		return PairSplitBrain, fmt.Sprintf("split brain: both arrays are primary (%s and %s)", roleA, roleB)
	case !pa && !pb:
		return PairNoPrimary, fmt.Sprintf("no primary: both arrays are secondary (%s and %s), nobody serves writes", roleA, roleB)
	case ra != rb:
		return PairInconsistent, fmt.Sprintf("inconsistent: %s with %s (want Primary with Secondary or Primary-Rev with Secondary-Rev)", roleA, roleB)
	}
	return PairOK, fmt.Sprintf("complementary roles %s and %s", roleA, roleB)
}
