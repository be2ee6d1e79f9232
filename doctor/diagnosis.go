package doctor

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/mirrors"
)

// diagnosis is one Run: what was read from the settings, the targets to
// probe, and after the probes what they found.
type diagnosis struct {
	o      Options
	budget budget
	prober *prober

	chain    mirrors.List
	chainErr error
	sumdb    *goenv.SumDB
	sumdbErr error
	// userMirrors is true when GOFAST_MIRRORS is set, which lets the
	// verdict reorder the user's GOPROXY by speed.
	userMirrors bool
	netrc       netrcInfo

	// mirrors are the module mirrors, GOPROXY's first; sumdbTarget is the
	// checksum database reached directly (nil when GOSUMDB is off).
	mirrors     []*target
	sumdbTarget *target
	targets     []*target // mirrors and sumdbTarget

	settings []Check
}

// newDiagnosis reads the settings, runs the settings checks, and lists the
// targets to probe.
func newDiagnosis(o Options) *diagnosis {
	s := o.Settings
	d := &diagnosis{o: o, budget: newBudget(o.Timeout)}
	d.chain, d.chainErr = mirrors.ParseList(s.GOPROXY)
	d.sumdb, d.sumdbErr = s.SumDB()
	fast, fastChecks := mirrorsSettings(o.Env)
	d.userMirrors = len(fast) > 0

	var set targetSet
	n := 0
	for _, e := range d.chain.Proxies() {
		n++
		if t := set.addURL(e.URL, fmt.Sprintf("GOPROXY #%d", n)); t != nil && !t.inChain {
			t.inChain, t.entry = true, e
		}
	}
	for _, e := range fast {
		set.addURL(e.URL, "GOFAST_MIRRORS")
	}
	for _, raw := range o.Candidates {
		if l, err := mirrors.ParseList(raw); err == nil {
			for _, e := range l.Proxies() {
				set.addURL(e.URL, "candidate")
			}
		}
	}
	if len(set.list) == 0 {
		// GOPROXY names no mirror: probe the toolchain's default ones, so
		// that the verdict can say whether using them would work.
		if def, err := s.DefaultGOPROXY(); err == nil {
			if l, err := mirrors.ParseList(def); err == nil {
				for _, e := range l.Proxies() {
					set.addURL(e.URL, "go's default GOPROXY")
				}
			}
		}
	}
	d.mirrors = set.list
	d.targets = append(d.targets, d.mirrors...)
	if d.sumdb != nil {
		var db targetSet
		if t := db.addURL(d.sumdb.URL, "checksum database"); t != nil {
			t.isSumDB = true
			d.sumdbTarget = t
			d.targets = append(d.targets, t)
		}
	}

	pc := newProxyConfig(o.Env)
	// The mirrors get the credentials go would send them, so that the
	// verdict on a mirror behind a login is go's.
	auth, _ := goauth.Load(s.GOAUTH, o.Env)
	d.prober = &prober{o: o, b: d.budget, proxies: pc, sumdb: d.sumdb, auth: auth, private: s.NoProxy(o.ProbeModule.Path)}
	d.netrc = readNetrc(goauth.NetrcPath(o.Env))

	d.settings = append(d.settings, goproxySettings(s, o.Env, d.chain, d.chainErr))
	d.settings = append(d.settings, fastChecks...)
	d.settings = append(d.settings, sumdbSettings(s, o.Env, d.sumdb, d.sumdbErr))
	d.settings = append(d.settings, patternSettings(s, o.Env)...)
	d.settings = append(d.settings, goflagsSettings(s, o.Env)...)
	d.settings = append(d.settings, modeSettings(s, o.Env)...)
	d.settings = append(d.settings, proxyEnvSettings(pc, d.targets)...)
	d.settings = append(d.settings, authSettings(s.GOAUTH, d.netrc, mirrorHosts(d.targets), auth.Refused()))
	return d
}

// probeTarget probes one target; it runs concurrently with the others.
func (d *diagnosis) probeTarget(ctx context.Context, t *target) {
	d.prober.probe(ctx, t)
}

// chainTarget returns the target of a GOPROXY proxy entry.
func (d *diagnosis) chainTarget(e mirrors.Entry) *target {
	key := strings.TrimSuffix(e.URL, "/")
	for _, t := range d.mirrors {
		if t.inChain && strings.TrimSuffix(t.entry.URL, "/") == key {
			return t
		}
	}
	return nil
}

// sumdbRoute walks GOPROXY as go does to decide how it reaches the
// checksum database: through the first mirror that serves it, skipping
// mirrors that answer 404 or 410 (or fail, after '|'), else directly,
// unless a failure is the error go keeps (see mirrors.SumDBProxy). It
// returns the check line and, when the database is unreachable, the
// finding message.
func (d *diagnosis) sumdbRoute() (Check, string) {
	target := "checksum database"
	switch {
	case d.sumdbErr != nil:
		return newCheck(LayerSumDB, target, Skip, "GOSUMDB is invalid (see settings)"), ""
	case d.sumdb == nil:
		return newCheck(LayerSumDB, target, Skip, "GOSUMDB=off: nothing is verified"), ""
	}
	target += " " + d.sumdb.Name
	fail := func(msg string) (Check, string) { return newCheck(LayerSumDB, target, Fail, msg), msg }
	if !d.sumdb.Explicit && d.chainErr == nil {
		// The probes' answers to /sumdb/<name>/supported, walked as go
		// walks them (mirrors.SumDBProxy).
		e, err := mirrors.SumDBProxy(d.chain, func(e mirrors.Entry) error {
			t := d.chainTarget(e)
			switch {
			case t == nil:
				return sumdbProbeError{e.Redacted()}
			case t.sumdb == sumdbServed:
				return nil
			case t.sumdb == sumdbNotServed:
				return fs.ErrNotExist
			}
			return sumdbProbeError{t.name}
		})
		switch {
		case e != nil:
			return newCheck(LayerSumDB, target, Pass, "go reaches it through "+d.chainTarget(*e).name), ""
		case err != nil:
			return fail(fmt.Sprintf("go asks %s whether it serves the checksum database %s, gets an error, and then treats the database as unavailable: every module not yet in go.sum fails verification",
				err, d.sumdb.Name))
		}
	}
	t := d.sumdbTarget
	if t == nil {
		return fail("the checksum database URL " + redact.URL(d.sumdb.URL) + " does not parse")
	}
	if t.working {
		return newCheck(LayerSumDB, target, Pass, "go reaches it directly at "+t.name), ""
	}
	why := "it fails"
	if t.failed != nil {
		why = fmt.Sprintf("it fails at %s: %s", t.failed.Layer, t.failed.Detail)
	}
	lead := "no mirror in GOPROXY serves the checksum database " + d.sumdb.Name + ", so go asks " + t.name + " directly, and "
	if d.sumdb.Explicit {
		lead = "GOSUMDB sends go directly to " + t.name + ", and "
	}
	return fail(lead + why + ": every module not yet in go.sum fails verification")
}

// sumdbProbeError stands, in sumdbRoute's walk, for a mirror's failed
// answer to /sumdb/<name>/supported; it names the mirror (the probe's own
// check says how it failed).
type sumdbProbeError struct{ mirror string }

func (e sumdbProbeError) Error() string { return e.mirror }

// sumdbRouteCheck is the check line of sumdbRoute.
func (d *diagnosis) sumdbRouteCheck() Check {
	c, _ := d.sumdbRoute()
	return c
}
