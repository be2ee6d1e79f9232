package doctor

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/mirrors"
)

// target is one mirror or the checksum database, with what its probe found.
// Its results are written only by its own probe goroutine and read after
// all probes end.
type target struct {
	url *url.URL
	// name is the URL with credentials redacted, for Check.Target.
	name string
	// roles say why it is probed: "GOPROXY #1", "GOFAST_MIRRORS", ...
	roles []string
	// entry is its GOPROXY entry when it is in the chain.
	entry   mirrors.Entry
	inChain bool
	// isSumDB marks the checksum database reached directly.
	isSumDB bool

	checks []Check
	// working is true when the target answered its protocol correctly.
	working bool
	// notFound is true when a mirror answered 404 or 410 for the probe
	// module, on which go falls through even after ','.
	notFound bool
	// failed is the failing check, when one failed.
	failed *Check
	// ttfb is the time to the first byte of the protocol request.
	ttfb time.Duration
	// sumdb is what the mirror said about serving the checksum database.
	sumdb sumdbSupport
}

// sumdbSupport is a mirror's answer to /sumdb/<name>/supported.
type sumdbSupport int

const (
	sumdbUnknown   sumdbSupport = iota // not asked
	sumdbServed                        // 200
	sumdbNotServed                     // 404 or 410
	sumdbError                         // anything else, or no answer
)

// add appends a check to the target's checks, remembering a failure.
func (t *target) add(c Check) {
	c.Target = t.name
	c.group = t.name + " (" + strings.Join(t.roles, ", ") + ")"
	t.checks = append(t.checks, c)
	if c.Status == Fail && t.failed == nil {
		cc := c
		t.failed = &cc
	}
}

// targetSet collects targets, one per URL, in the order first seen.
type targetSet struct {
	list  []*target
	byURL map[string]*target
}

// addURL adds raw (a mirror URL) with role, merging duplicates. It returns
// nil for URLs that do not parse, which the settings checks report.
func (s *targetSet) addURL(raw, role string) *target {
	key := strings.TrimSuffix(raw, "/")
	if t, ok := s.byURL[key]; ok {
		t.roles = append(t.roles, role)
		return t
	}
	u, err := url.Parse(key)
	if err != nil || u.Scheme == "" {
		return nil
	}
	t := &target{url: u, name: redact.URL(key), roles: []string{role}}
	if s.byURL == nil {
		s.byURL = map[string]*target{}
	}
	s.byURL[key] = t
	s.list = append(s.list, t)
	return t
}

// mirrorHosts returns the host names of the targets, for the netrc check.
func mirrorHosts(ts []*target) []string {
	var hosts []string
	for _, t := range ts {
		if h := t.url.Hostname(); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}
