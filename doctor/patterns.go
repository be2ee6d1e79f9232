package doctor

import (
	"fmt"
	"path"
	"strings"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goenv"
)

// patternProblem is one element of a GOPRIVATE-style list that does not do
// what its author meant.
type patternProblem struct {
	elem   string // as written
	reason string
	fixed  string // the element to write instead; "" drops it
}

// broadProbes are public module paths: a pattern matching all of them
// matches, in practice, every module.
var broadProbes = []string{"github.com/a/b", "golang.org/x/text", "rsc.io/quote", "example.com/m"}

// checkPatternList examines a comma-separated list of module path patterns
// (GOPRIVATE, GONOPROXY, GONOSUMDB, GOINSECURE) with the semantics of
// module.MatchPrefixPatterns, which is how go reads them: elements split at
// commas and never trimmed of spaces, one trailing slash removed, empty
// elements skipped, each element matched with path.Match against as many
// leading path elements as it has. It returns the elements that silently
// match nothing (or everything), with the fixed list.
func checkPatternList(value string) (problems []patternProblem, fixed string) {
	var keep []string
	for _, elem := range strings.Split(value, ",") {
		p := patternProblem{elem: elem, fixed: elem}
		glob := strings.TrimSuffix(elem, "/")
		trimmed := strings.TrimSpace(glob)
		switch {
		case trimmed == "":
			// go skips empty elements; harmless.
			continue
		case trimmed != glob:
			p.reason = "has spaces around it, which go does not trim, so it matches nothing"
			p.fixed = trimmed
			glob = trimmed
		}
		if i := strings.Index(glob, "://"); i >= 0 {
			p.reason = "has a URL scheme; patterns are module paths, so it matches nothing"
			glob = glob[i+3:]
			p.fixed = glob
		}
		if strings.HasSuffix(glob, "/") {
			p.reason = "ends in more than one '/', so it matches nothing"
			glob = strings.TrimRight(glob, "/")
			p.fixed = glob
		}
		if _, err := path.Match(glob, "x"); err != nil {
			p.reason = "is not a valid pattern (path.Match syntax), so it matches nothing"
			p.fixed = ""
		} else if strings.ContainsAny(glob, " \t@:\\") {
			p.reason = "contains a character no module path has (space, '@', ':' or '\\'), so it matches nothing"
			p.fixed = ""
		} else if broad(glob) {
			p.reason = "matches every module"
			p.fixed = ""
		}
		if p.fixed != "" {
			keep = append(keep, p.fixed)
		}
		if p.reason != "" {
			problems = append(problems, p)
		}
	}
	return problems, strings.Join(keep, ",")
}

func broad(glob string) bool {
	for _, p := range broadProbes {
		if !module.MatchPrefixPatterns(glob, p) {
			return false
		}
	}
	return true
}

// patternSettings checks GOPRIVATE and the lists derived from it. GONOPROXY
// and GONOSUMDB are checked only where they differ from GOPRIVATE, since go
// env reports GOPRIVATE's value for them when they are unset.
func patternSettings(s *goenv.Settings, env goenv.Environ) []Check {
	type list struct{ name, value, everything string }
	lists := []list{{"GOPRIVATE", s.GOPRIVATE, "every module skips the mirrors and the checksum database"}}
	if s.GONOPROXY != s.GOPRIVATE {
		lists = append(lists, list{"GONOPROXY", s.GONOPROXY, "every module is fetched from version control, never from a mirror"})
	}
	if s.GONOSUMDB != s.GOPRIVATE {
		lists = append(lists, list{"GONOSUMDB", s.GONOSUMDB, "no module is verified against the checksum database"})
	}
	if s.GOINSECURE != "" {
		lists = append(lists, list{"GOINSECURE", s.GOINSECURE, "every module may be fetched over plain HTTP with unchecked certificates"})
	}
	var checks []Check
	for _, l := range lists {
		problems, fixed := checkPatternList(l.value)
		if len(problems) == 0 {
			detail := "not set"
			if strings.TrimSpace(l.value) != "" {
				detail = l.value
			}
			status := Pass
			if l.name == "GOINSECURE" {
				status = Warn
				detail = l.value + ": modules matching it may be fetched over plain HTTP or with unchecked certificates"
			}
			c := newCheck(LayerSettings, l.name, status, detail)
			if status == Warn {
				c.Fix = unsetCommand(env, l.name)
			}
			checks = append(checks, c)
			continue
		}
		var why []string
		for _, p := range problems {
			r := p.reason
			if r == "matches every module" {
				r += ": " + l.everything
			}
			why = append(why, fmt.Sprintf("%q %s", p.elem, r))
		}
		c := newCheck(LayerSettings, l.name, Warn, strings.Join(why, "; "))
		if fixed == "" {
			c.Fix = unsetCommand(env, l.name)
		} else {
			c.Fix = setCommand(env, l.name, fixed)
		}
		checks = append(checks, c)
	}
	return checks
}
