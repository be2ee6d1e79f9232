package doctor

import (
	"slices"

	"github.com/gofastdev/gofast/mirrors"
)

// maxRecommended is how many mirrors a suggested GOPROXY names: enough to
// survive one mirror failing, few enough to stay readable.
const maxRecommended = 3

// recommendChain builds the GOPROXY to suggest from the mirrors that work:
// joined with '|' so that any error falls through, ending as the user's
// list ends (",direct" when it ended with direct, or was unset). An explicit
// GOPROXY keeps its order, a gatekeeper first stays first; with
// GOFAST_MIRRORS set, or GOPROXY at go's default, mirrors are ordered by
// time to first byte. When go needs a mirror to reach the checksum
// database, mirrors that serve it come first. It returns nil when no mirror
// works.
func (d *diagnosis) recommendChain() mirrors.List {
	var working, inChain []*target
	for _, t := range d.mirrors {
		if t.working {
			working = append(working, t)
			if t.inChain {
				inChain = append(inChain, t)
			}
		}
	}
	if len(working) == 0 {
		return nil
	}
	explicit := d.chainErr == nil && !d.o.Settings.GOPROXYIsDefault() && !d.userMirrors
	pick := working
	if explicit && len(inChain) > 0 {
		pick = inChain
	} else {
		pick = slices.Clone(working)
		slices.SortStableFunc(pick, func(a, b *target) int { return int(a.ttfb - b.ttfb) })
	}
	if d.needsMirrorForSumDB() {
		pick = slices.Clone(pick)
		slices.SortStableFunc(pick, func(a, b *target) int {
			return boolRank(b.sumdb == sumdbServed) - boolRank(a.sumdb == sumdbServed)
		})
	}
	if len(pick) > maxRecommended {
		pick = pick[:maxRecommended]
	}
	var list mirrors.List
	for _, t := range pick {
		list = append(list, mirrors.Entry{URL: t.name, Kind: mirrors.Proxy, FallbackOnError: true})
	}
	list[len(list)-1].FallbackOnError = false
	if tail, ok := d.chainTail(); ok {
		list = append(list, tail)
	}
	return list
}

// chainTail returns how the suggested GOPROXY ends: as the user's does, or
// as go's default does when the user's does not parse.
func (d *diagnosis) chainTail() (mirrors.Entry, bool) {
	if d.chainErr == nil {
		return d.chain.Tail()
	}
	if def, err := d.o.Settings.DefaultGOPROXY(); err == nil {
		if l, err := mirrors.ParseList(def); err == nil {
			return l.Tail()
		}
	}
	return mirrors.Entry{URL: "direct", Kind: mirrors.Direct}, true
}

// needsMirrorForSumDB reports whether go can reach the checksum database
// only through a mirror: it is verified through GOPROXY and not reachable
// directly.
func (d *diagnosis) needsMirrorForSumDB() bool {
	return d.sumdb != nil && !d.sumdb.Explicit && (d.sumdbTarget == nil || !d.sumdbTarget.working)
}

// goproxyFix is the fix for a broken GOPROXY: the command that sets the
// suggested chain, or what to do when no mirror works.
func (d *diagnosis) goproxyFix() string {
	if list := d.recommendChain(); list != nil {
		return setCommand(d.o.Env, "GOPROXY", list.String())
	}
	return "no mirror works from here: fix the failing layer shown above, or name a mirror that is reachable (export GOFAST_MIRRORS='https://<mirror>') and run gofast doctor again"
}

// sumdbFix is the fix for an unreachable checksum database.
func (d *diagnosis) sumdbFix() string {
	if d.sumdb.Explicit {
		return "check the URL in GOSUMDB, or return to go's default: " + unsetCommand(d.o.Env, "GOSUMDB")
	}
	for _, t := range d.mirrors {
		if t.working && t.sumdb == sumdbServed {
			return d.goproxyFix()
		}
	}
	return "use a mirror that serves the checksum database (gofast mirrors shows which do), or reach it through HTTPS_PROXY; never GOSUMDB=off"
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
