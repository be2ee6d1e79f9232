package main

import (
	"regexp"
	"strconv"
)

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
		Fail:   xGetLine("mod_graph", 11),
		Reason: "go mod graph -x prints the URL go fetched a go.mod from, which through gofast is the loopback, not the script's $GOPROXY",
	},
	"mod_download": {
		Fail:   xGetLine("mod_download", 188),
		Reason: "go mod download -x prints the URLs go fetched from, which through gofast are the loopback's, not the script's $GOPROXY (runs with -long only)",
	},
}

// xGetLine matches the FAIL line of a script's `stderr 'get '$GOPROXY`
// check at line n: go's -x output names the URL it fetched from.
func xGetLine(script string, n int) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(script+".txt:"+strconv.Itoa(n)+": stderr 'get http://127") + `\\\.0\\\.0\\\.1:\d+/mod': no match`)
}

// known returns the accepted difference r is, if any.
func known(r Result) (knownDifference, bool) {
	k, ok := knownDifferences[r.Name]
	if !ok || k.Fail == nil || !k.Fail.MatchString(r.GofastFail) {
		return knownDifference{}, false
	}
	return k, true
}
