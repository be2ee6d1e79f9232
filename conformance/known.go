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
	"mod_proxy_list": {
		Fail:   failLine("mod_proxy_list", 16, `stderr 'reading\.\*/403/rsc.io/\.\*: 403 Forbidden': no match`),
		Reason: "go names the proxy URL that answered 403; the script wants the path of its $GOPROXY/403 entry, and through gofast the URL is the loopback's (the status and the stop at ',' are go's)",
	},
	"mod_proxy_invalid": {
		Fail:   failLine("mod_proxy_invalid", 5, `stderr '\^go: module rsc.io/quote: invalid response from proxy "http://127\\.0\\.0\\.1:\d+/mod/invalid": invalid character ''i'' looking for beginning of value\$': no match`),
		Reason: `go quotes the proxy URL that sent the invalid answer; through gofast it is the loopback's, not $GOPROXY/invalid (the answer and go's error are otherwise go's own)`,
	},
	"mod_install_pkg_version": {
		Fail:   failLine("mod_install_pkg_version", 19, `stderr '\^go: example.com/cmd@v1.1.0-doesnotexist: reading http\.\*/mod/example.com/cmd/@v/v1.1.0-doesnotexist.info: 404 Not Found\\n\\tserver response: 404 page not found\$': no match`),
		Reason: "the script wants the /mod path of its $GOPROXY in the URL go prints; through gofast the URL is the loopback's (the 404 and the mirror's body are go's)",
	},
	"mod_run_pkg_version": {
		Fail:   failLine("mod_run_pkg_version", 24, `stderr '\^go: example.com/cmd@v1.1.0-doesnotexist: reading http\.\*/mod/example\\\.com/cmd/@v/v1.1.0-doesnotexist.info: 404 Not Found\\n\\tserver response: 404 page not found\$': no match`),
		Reason: "as mod_install_pkg_version: the script wants the /mod path of its $GOPROXY in the URL go prints, which through gofast is the loopback's (runs with -long only)",
	},
	"mod_tidy_support_buildx": {
		Fail:   xGetLine("mod_tidy_support_buildx", 11),
		Reason: "go mod tidy -x prints the URL go fetched from, which through gofast is the loopback, not the script's $GOPROXY",
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

// failLine matches the FAIL line of script's check at line n, whose text
// (after the line number) starts with the regular expression check.
func failLine(script string, n int, check string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(script+".txt:"+strconv.Itoa(n)+": ") + check)
}

// known returns the accepted difference r is, if any.
func known(r Result) (knownDifference, bool) {
	k, ok := knownDifferences[r.Name]
	if !ok || k.Fail == nil || !k.Fail.MatchString(r.GofastFail) {
		return knownDifference{}, false
	}
	return k, true
}
