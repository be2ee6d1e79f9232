package mirrors

import (
	"errors"
	"fmt"
	"strings"
)

// wellKnownMirrors are raced next to go's default proxy when the user has
// not chosen a GOPROXY. Go's own default is never written here: it is read
// from the toolchain's go.env.
var wellKnownMirrors = []string{
	"https://goproxy.cn",
	"https://goproxy.io",
	"https://mirrors.aliyun.com/goproxy/",
}

// Mode says where the candidates came from, which decides whether gofast
// may reorder them.
type Mode int

const (
	// ModeUser: the user's (or company's) GOPROXY. Its order is policy
	// and kept; only dead entries followed by '|' may be left out.
	ModeUser Mode = iota
	// ModeExplicit: GOFAST_MIRRORS, the user's opt-in to racing and reordering.
	ModeExplicit
	// ModeDefault: GOPROXY is go's default, raced against well-known mirrors.
	ModeDefault
)

// String names the mode for messages and the cache file.
func (m Mode) String() string {
	switch m {
	case ModeExplicit:
		return "GOFAST_MIRRORS"
	case ModeDefault:
		return "default"
	}
	return "GOPROXY"
}

// plan is what a race starts from: the candidates, whether they may be
// reordered, and the user's own list whose tail ends every chain.
type plan struct {
	mode       Mode
	candidates List // proxies only (file:// included), no duplicates
	user       List // the user's GOPROXY as go parses it
	tail       Entry
	hasTail    bool
	// tailFallback is the separator the user put before the tail: true
	// for '|'. Chains keep it, so direct is reached exactly as before.
	tailFallback bool
}

// Candidates returns the mirrors gofast races, without the direct or off
// tail: GOFAST_MIRRORS when set; else, when GOPROXY is go's default, go's
// default proxy followed by well-known public mirrors; else the proxies of
// the user's GOPROXY in their order.
func Candidates(opts Options) (List, error) {
	p, err := makePlan(opts)
	if err != nil {
		return nil, err
	}
	return p.candidates, nil
}

// makePlan reads the candidates and the user's list from opts.
func makePlan(opts Options) (*plan, error) {
	s := opts.Settings
	if s == nil {
		return nil, errors.New("mirrors: no go settings")
	}
	user, err := ParseList(s.GOPROXY)
	if err != nil {
		return nil, err
	}
	p := &plan{mode: ModeUser, user: user}
	p.setTail(user)

	if raw := strings.TrimSpace(opts.Env.Get("GOFAST_MIRRORS")); raw != "" {
		l, err := ParseList(raw)
		if err != nil {
			if inner := errors.Unwrap(err); inner != nil {
				err = inner // drop ParseList's "GOPROXY:" prefix
			}
			return nil, fmt.Errorf("GOFAST_MIRRORS: %w", err)
		}
		p.mode = ModeExplicit
		p.candidates = dedupe(l.Proxies())
		if _, ok := l.Tail(); ok {
			// GOFAST_MIRRORS ending in direct or off says how to end
			// the chain, overriding GOPROXY's tail.
			p.setTail(l)
		}
		return p, nil
	}
	if s.GOPROXYIsDefault() {
		p.mode = ModeDefault
		l := user.Proxies()
		for _, u := range wellKnownMirrors {
			l = append(l, Entry{URL: u, Kind: Proxy})
		}
		p.candidates = dedupe(l)
		return p, nil
	}
	p.candidates = dedupe(user.Proxies())
	return p, nil
}

// setTail takes l's direct or off tail and the separator before it.
func (p *plan) setTail(l List) {
	p.tail, p.hasTail = l.Tail()
	p.tailFallback = false
	if n := len(l); p.hasTail && n > 1 {
		p.tailFallback = l[n-2].FallbackOnError
	}
}

// raceCanChange reports whether a race's result can change the chain:
// always when the candidates may be reordered; for the user's own GOPROXY
// only when a mirror is followed by '|', the one kind of entry a dead
// mirror may be left out of (see userChain).
func (p *plan) raceCanChange() bool {
	if p.reorderable() {
		return true
	}
	for _, e := range p.user {
		if e.Kind == Proxy && !e.IsFile() && e.FallbackOnError {
			return true
		}
	}
	return false
}

// reorderable reports whether gofast may rank the candidates by speed.
func (p *plan) reorderable() bool { return p.mode != ModeUser }

// dedupe drops repeated URLs (ignoring a trailing slash), keeping the
// first, and clears the separators, which chains set afresh.
func dedupe(l List) List {
	seen := map[string]bool{}
	var out List
	for _, e := range l {
		k := sameURLKey(e.URL)
		if seen[k] {
			continue
		}
		seen[k] = true
		e.FallbackOnError = false
		out = append(out, e)
	}
	return out
}

// sameURLKey is the form under which two spellings of one mirror URL
// compare equal.
func sameURLKey(u string) string { return strings.TrimRight(u, "/") }

// Named returns the mirrors the user named: the proxies of GOPROXY (go's
// default included, when GOPROXY is unset) and of GOFAST_MIRRORS, each with
// the separator that follows it there. The well-known mirrors gofast adds
// to the race when GOPROXY is go's default are not among them: bytes that
// nothing verifies (no go.sum line, no checksum-database lookup) are taken
// only from named mirrors (prefetch.Request.NamedOnly).
func Named(opts Options) (List, error) {
	p, err := makePlan(opts)
	if err != nil {
		return nil, err
	}
	named := p.user.Proxies()
	if p.mode == ModeExplicit {
		named = append(named, p.candidates...)
	}
	return named, nil
}
