package doctor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gofastdev/gofast/mirrors"
)

// Ranks order findings of the same severity: what stops every download
// first, what only surprises last.
const (
	rankChain = iota
	rankSumDB
	rankGo
	rankCache
	rankSettings
	rankMirror
)

type rankedFinding struct {
	Finding
	rank int
}

// verdict turns the checks and the probes into the findings that matter,
// errors first, each with its fix, or a single "all good".
func (d *diagnosis) verdict(checks []Check) []Finding {
	chain := d.chainFindings()
	chainError := slices.ContainsFunc(chain, func(f rankedFinding) bool { return f.Severity == SeverityError })
	all := chain
	if _, msg := d.sumdbRoute(); msg != "" {
		all = append(all, rankedFinding{Finding{Severity: SeverityError, Layer: LayerSumDB, Target: "checksum database",
			Message: msg, Fix: d.sumdbFix()}, rankSumDB})
	}
	for _, c := range checks {
		if c.Status != Warn && c.Status != Fail {
			continue
		}
		f := Finding{Severity: SeverityWarning, Layer: c.Layer, Target: c.Target, Message: c.Detail, Fix: c.Fix}
		if c.Status == Fail {
			f.Severity = SeverityError
		}
		rank := rankSettings
		switch c.Layer {
		case LayerSettings:
			if c.Target == "GOPROXY" && (chainError || d.chainErr != nil) {
				continue // the chain finding says it with a better fix
			}
			if c.Target == "GOPROXY" && f.Fix == "" && d.directOnly() {
				if list := d.recommendChain(); list != nil {
					f.Fix = setCommand(d.o.Env, "GOPROXY", list.String())
				}
			}
			f.Message = c.Target + ": " + c.Detail
		case LayerGo:
			rank = rankGo
		case LayerCache:
			rank = rankCache
		case LayerSumDB:
			continue // sumdbRoute above
		default:
			// A mirror's own layers: the chain findings cover its failures;
			// its warnings (a certificate about to expire, rate limiting)
			// matter only when go uses it.
			if c.Status == Fail || !d.inChain(c.Target) {
				continue
			}
			rank = rankMirror
			f.Message = c.Target + ": " + c.Detail
		}
		all = append(all, rankedFinding{f, rank})
	}
	slices.SortStableFunc(all, func(a, b rankedFinding) int {
		if a.Severity != b.Severity {
			if a.Severity == SeverityError {
				return -1
			}
			return 1
		}
		return a.rank - b.rank
	})
	var out []Finding
	fixes := map[string]bool{}
	for _, f := range all {
		if f.Fix != "" && fixes[f.Fix] {
			f.Fix = "" // the same command as above
		}
		fixes[f.Fix] = true
		out = append(out, f.Finding)
	}
	if len(out) == 0 {
		out = []Finding{{Severity: SeverityOK, Message: "all good: " + d.healthySummary()}}
	}
	return out
}

// chainFindings walks GOPROXY as go does for one module download and says
// where the walk fails or hangs, and what each failing mirror costs.
func (d *diagnosis) chainFindings() []rankedFinding {
	finding := func(sev Severity, t *target, msg string) rankedFinding {
		f := Finding{Severity: sev, Layer: LayerSettings, Target: "GOPROXY", Message: msg, Fix: d.goproxyFix()}
		if t != nil {
			f.Target = t.name
			if t.failed != nil {
				f.Layer = t.failed.Layer
			}
		}
		return rankedFinding{f, rankChain}
	}
	if d.chainErr != nil {
		return []rankedFinding{finding(SeverityError, nil, fmt.Sprintf("GOPROXY does not parse (%v): go refuses every download", d.chainErr))}
	}
	var warnings []rankedFinding
	var skipped []string // mirrors that fail fast and are skipped after '|'
	failed := 0
	// fatal returns the error that ends the walk, naming the mirrors that
	// failed before it; its fix covers them too.
	fatal := func(f rankedFinding) []rankedFinding {
		if n := failed - 1; n > 0 {
			f.Message += fmt.Sprintf(" (%d %s before it in GOPROXY also %s)", n, plural(n, "mirror", "mirrors"), plural(n, "fails", "fail"))
		}
		return []rankedFinding{f}
	}
	done := func() []rankedFinding {
		if len(skipped) > 0 {
			warnings = append(warnings, finding(SeverityWarning, nil, fmt.Sprintf(
				"%s %s (see above): go moves past with '|', but asks %s first for every module",
				strings.Join(skipped, ", "), plural(len(skipped), "fails", "fail"), plural(len(skipped), "it", "them"))))
		}
		return warnings
	}
	for i, e := range d.chain {
		switch e.Kind {
		case mirrors.Off:
			if failed > 0 {
				return fatal(finding(SeverityError, nil, "every mirror in GOPROXY fails and the list ends with off: downloads fail"))
			}
			return done()
		case mirrors.Direct:
			if failed > 0 {
				return fatal(finding(SeverityWarning, nil,
					"every mirror in GOPROXY fails, so go fetches each module from its version control host: slow, often blocked, and impossible for modules only a mirror has"))
			}
			return done()
		}
		t := d.chainTarget(e)
		if t == nil || t.working {
			return done()
		}
		failed++
		next := "the next entry"
		if i+1 < len(d.chain) {
			next = d.chain[i+1].Redacted()
		}
		if t.notFound {
			if i+1 < len(d.chain) {
				skipped = append(skipped, t.name)
				continue
			}
			return fatal(finding(SeverityError, t, fmt.Sprintf(
				"downloads fail: %s does not have the probe module %s (404/410), and it is the last mirror in GOPROXY",
				t.name, d.o.ProbeModule.Path)))
		}
		why := "it fails"
		if t.failed != nil {
			why = fmt.Sprintf("it fails at %s: %s", t.failed.Layer, t.failed.Detail)
		}
		f := t.failed
		switch {
		case f != nil && f.timeout && f.Layer == LayerHTTP:
			return fatal(finding(SeverityError, t, fmt.Sprintf(
				"downloads hang: %s accepts connections but does not answer, and go has no time limit, so it waits forever even with '|' fallback", t.name)))
		case e.FallbackOnError && i+1 < len(d.chain):
			if f == nil || !f.timeout {
				skipped = append(skipped, t.name)
				continue
			}
			cost := map[Layer]string{
				LayerDNS: "the resolver's timeout",
				LayerTCP: "go's 30 s connect timeout",
				LayerTLS: "go's 10 s TLS handshake timeout",
			}[f.Layer]
			warnings = append(warnings, finding(SeverityWarning, t, fmt.Sprintf(
				"downloads are slow: %s: %s; go falls back to %s ('|'), but only after %s, on every request", t.name, why, next, cost)))
			continue
		case i+1 < len(d.chain) && d.chain[i+1].Kind == mirrors.Direct:
			return fatal(finding(SeverityError, t, fmt.Sprintf(
				"downloads fail: %s: %s, and the ',' after it makes go fall back to direct only on 404 or 410, not on this error", t.name, why)))
		case i+1 < len(d.chain) && d.chain[i+1].Kind == mirrors.Proxy:
			return fatal(finding(SeverityError, t, fmt.Sprintf(
				"downloads fail: %s: %s, and the ',' after it makes go stop there instead of trying %s", t.name, why, next)))
		default:
			return fatal(finding(SeverityError, t, fmt.Sprintf("downloads fail: %s: %s, and it is the last mirror in GOPROXY", t.name, why)))
		}
	}
	return done()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// directOnly reports whether GOPROXY is just direct.
func (d *diagnosis) directOnly() bool {
	tail, ok := d.chain.Tail()
	return d.chainErr == nil && len(d.chain) == 1 && ok && tail.Kind == mirrors.Direct
}

// inChain reports whether the target named name is a GOPROXY mirror.
func (d *diagnosis) inChain(name string) bool {
	for _, t := range d.mirrors {
		if t.name == name && t.inChain {
			return true
		}
	}
	return false
}

// healthySummary says in a few words what works, for the "all good" line.
func (d *diagnosis) healthySummary() string {
	var parts []string
	for _, t := range d.mirrors {
		if t.inChain && t.working {
			parts = append(parts, fmt.Sprintf("downloads go through %s (%s to first byte)", t.name, fmtMS(t.ttfb)))
			break
		}
	}
	if c, _ := d.sumdbRoute(); c.Status == Pass {
		parts = append(parts, "checksum database "+d.sumdb.Name+" "+strings.TrimPrefix(c.Detail, "go reaches it "))
	}
	if len(parts) == 0 {
		return "nothing to fix"
	}
	return strings.Join(parts, "; ")
}
