package conformance

// Report is the outcome of one evaluation: the findings of every array and
// pair, and whether they conform.
type Report struct {
	Conformant bool
	Strict     bool // not_in_table fails (Options.Strict)
	Findings   []Finding
}

// Add appends findings and sets Conformant from all findings.
func (r *Report) Add(fs ...Finding) {
	r.Findings = append(r.Findings, fs...)
	r.Conformant = true
	for _, f := range r.Findings {
		if f.Verdict.Fails(r.Strict) {
			r.Conformant = false
			break
		}
	}
}

// AddStep appends the findings of other under a named step (e.g. "failover"
// of a drill).
func (r *Report) AddStep(step string, other Report) {
	fs := make([]Finding, len(other.Findings))
	for i, f := range other.Findings {
		f.Step = step
		fs[i] = f
	}
	r.Add(fs...)
}

// Counts returns how many findings have each verdict.
func (r Report) Counts() map[Verdict]int {
	c := map[Verdict]int{}
	for _, f := range r.Findings {
		c[f.Verdict]++
	}
	return c
}

// Findings flattens the listings' findings, in order.
func Findings(ls []Listing) []Finding {
	var fs []Finding
	for _, l := range ls {
		fs = append(fs, l.Findings...)
	}
	return fs
}

// Evaluate judges every array and, given exactly two, the pair.
func Evaluate(arrays []Input, opt Options) Report {
	rep := Report{Conformant: true, Strict: opt.Strict, Findings: []Finding{}}
	for _, a := range arrays {
		rep.Add(Findings(Judge(a, opt))...)
	}
	if len(arrays) == 2 && arrays[0].Output != nil && arrays[1].Output != nil {
		rep.Add(PairFindings(arrays[0], arrays[1])...)
	}
	return rep
}
