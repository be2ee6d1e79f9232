package mirrors

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gofastdev/gofast/internal/redact"
)

// build turns a race's results into the Result for p: the chain, the
// ranked mirrors and the note that explains them. It does no I/O, so a
// cached race is rebuilt the same way (after a Demote, for instance).
func (p *plan) build(probed []Mirror) *Result {
	byURL := map[string]Mirror{}
	for _, m := range probed {
		byURL[sameURLKey(m.URL)] = m
	}
	var r *Result
	if p.reorderable() {
		r = p.rankedChain(byURL)
	} else {
		r = p.userChain(byURL)
	}
	r.Mode = p.mode
	r.Mirrors = orderMirrors(r.Chain, p.candidates, byURL)
	return r
}

// before is the ranking order: mirrors that served the probe before those
// answering 404/410, each group by time to first byte; demoted mirrors
// after all others.
func before(a, b Mirror) bool {
	if ad, bd := a.Demoted != "", b.Demoted != ""; ad != bd {
		return bd
	}
	if a.Found != b.Found {
		return a.Found
	}
	return a.TTFB < b.TTFB
}

// rankedChain is the chain when gofast may reorder: working mirrors fastest
// first joined with '|', file:// entries at their own places, then the tail
// with the separator the user had before it.
func (p *plan) rankedChain(byURL map[string]Mirror) *Result {
	var alive, dead []Mirror
	for _, c := range p.candidates {
		m := byURL[sameURLKey(c.URL)]
		switch {
		case c.IsFile():
		case m.OK:
			alive = append(alive, m)
		default:
			dead = append(dead, m)
		}
	}
	sort.SliceStable(alive, func(i, j int) bool { return before(alive[i], alive[j]) })
	var chain List
	next := alive
	for _, c := range p.candidates {
		switch {
		case c.IsFile():
			chain = append(chain, Entry{URL: c.URL, Kind: Proxy})
		case len(next) > 0:
			chain = append(chain, Entry{URL: next[0].URL, Kind: Proxy})
			next = next[1:]
		}
	}
	if len(chain) == 0 {
		return p.fallback(dead)
	}
	for i := range chain {
		chain[i].FallbackOnError = i < len(chain)-1 || (p.hasTail && p.tailFallback)
	}
	if p.hasTail {
		chain = append(chain, p.tail)
	}

	var note []string
	switch p.mode {
	case ModeDefault:
		note = append(note, fmt.Sprintf("GOPROXY is go's default: raced it against %s, fastest first", count(len(p.candidates)-1, "well-known mirror")))
	default:
		note = append(note, fmt.Sprintf("raced %s from GOFAST_MIRRORS, fastest first", count(len(p.candidates), "mirror")))
	}
	if len(dead) > 0 {
		note = append(note, "left out what failed: "+urls(dead))
	}
	var demoted []Mirror
	for _, m := range alive {
		if m.Demoted != "" {
			demoted = append(demoted, m)
		}
	}
	if len(demoted) > 0 {
		note = append(note, "moved to the end after download failures: "+urls(demoted))
	}
	return &Result{Chain: chain, Note: strings.Join(note, "; ")}
}

// userChain is the chain for a GOPROXY the user chose: their order, their
// separators and their tail, with only the dead entries they allowed go to
// skip on any error ('|') left out. A dead entry followed by ',' stays: go
// relies on it (a company gatekeeper first stays first). An entry that
// asked for credentials stays too, since go may have them.
func (p *plan) userChain(byURL map[string]Mirror) *Result {
	var chain List
	var dropped, keptDead, demoted []Mirror
	working := 0
	for _, e := range p.user {
		if e.Kind != Proxy {
			chain = append(chain, e)
			continue
		}
		m := byURL[sameURLKey(e.URL)]
		switch {
		case m.OK || m.Local:
			working++
			if m.Demoted != "" {
				demoted = append(demoted, m)
			}
		case e.FallbackOnError && !needsAuth(m):
			dropped = append(dropped, m)
			continue
		default:
			keptDead = append(keptDead, m)
		}
		chain = append(chain, e)
	}
	var failed []Mirror
	for _, c := range p.candidates {
		if m := byURL[sameURLKey(c.URL)]; !m.OK && !m.Local {
			failed = append(failed, m)
		}
	}
	if working == 0 {
		return p.fallback(failed)
	}
	note := []string{"kept your GOPROXY order (set GOFAST_MIRRORS to let gofast reorder)"}
	if len(dropped) > 0 {
		note = append(note, "left out "+urls(dropped)+": failed, and followed by '|' so go may skip it anyway")
	}
	if len(keptDead) > 0 {
		note = append(note, "kept "+urls(keptDead)+" although it failed: followed by ',' (or asking for credentials), go relies on it")
	}
	if len(demoted) > 0 {
		note = append(note, "download failures seen at "+urls(demoted)+", order kept")
	}
	return &Result{Chain: chain, Note: strings.Join(note, "; ")}
}

// fallback is the result when no mirror works: the user's GOPROXY as it
// was, and one line saying why.
func (p *plan) fallback(failed []Mirror) *Result {
	var why []string
	for _, m := range failed {
		reason := m.Err
		if len(reason) > 90 {
			reason = reason[:90] + "…"
		}
		why = append(why, redact.URL(m.URL)+": "+reason)
	}
	return &Result{
		Chain:    p.user,
		Fallback: true,
		Note:     fmt.Sprintf("no mirror works (%s); GOPROXY left unchanged", strings.Join(why, "; ")),
	}
}

// needsAuth reports whether a mirror refused the probe for credentials.
// The probe sent what go would send from the netrc file, but go may also
// get credentials from GOAUTH commands gofast does not run, so such a
// mirror is left for go to judge.
func needsAuth(m Mirror) bool {
	return m.Status == 401 || m.Status == 403 || m.Status == 407
}

// orderMirrors lists every probed mirror once: those in the chain in chain
// order, then the rest in candidate order.
func orderMirrors(chain, candidates List, byURL map[string]Mirror) []Mirror {
	var out []Mirror
	seen := map[string]bool{}
	add := func(u string) {
		k := sameURLKey(u)
		if m, ok := byURL[k]; ok && !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	for _, e := range chain {
		add(e.URL)
	}
	for _, e := range candidates {
		add(e.URL)
	}
	return out
}

// count says "1 mirror" or "3 mirrors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// urls lists mirrors' redacted URLs for a note.
func urls(ms []Mirror) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = redact.URL(m.URL)
	}
	return strings.Join(s, ", ")
}
