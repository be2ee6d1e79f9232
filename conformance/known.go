package main

import "regexp"

// knownDifference is a script that passes with go alone and fails through
// gofast for an accepted reason. Fail must match the script's FAIL line
// (the script line that fails and why), so that the same script failing
// at another line, or for another cause, is reported again.
type knownDifference struct {
	Fail   *regexp.Regexp
	Reason string
}

// knownDifferences lists the accepted differences. The only acceptable
// reason is output that names the loopback proxy's address: go prints the
// GOPROXY URL it fetches from (in errors and -x), and through gofast that
// is the loopback. Every other difference is a bug to fix, never an entry
// here.
var knownDifferences = map[string]knownDifference{
	"mod_graph": {
		Fail:   regexp.MustCompile(`mod_graph\.txt:11: stderr 'get http://127\\\.0\\\.0\\\.1:\d+/mod': no match`),
		Reason: "go mod graph -x prints the URL go fetched a go.mod from, which through gofast is the loopback, not the script's $GOPROXY",
	},
}

// known returns the accepted difference r is, if any.
func known(r Result) (knownDifference, bool) {
	k, ok := knownDifferences[r.Name]
	if !ok || k.Fail == nil || !k.Fail.MatchString(r.GofastFail) {
		return knownDifference{}, false
	}
	return k, true
}
