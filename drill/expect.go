package drill

// Expect is what the step must show, by array: "sim-a T110-4, sim-b
// T110-3|T110-3b" (as the plan and the first failure print it).
func (s Step) Expect(primary, secondary string) string { return s.expectText(primary, secondary) }
