package doctor

import (
	"fmt"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
)

// goproxySettings is the GOPROXY line of the settings checks: syntax, a
// chain that will not fall back on errors, and lists that use no mirror.
func goproxySettings(s *goenv.Settings, env goenv.Environ, chain mirrors.List, err error) Check {
	if err != nil {
		c := newCheck(LayerSettings, "GOPROXY", Fail, fmt.Sprintf("%v: go refuses every download", err))
		c.Fix = unsetCommand(env, "GOPROXY")
		return c
	}
	detail := chain.Redacted()
	if s.GOPROXYIsDefault() {
		detail += " (go's default)"
	}
	proxies := chain.Proxies()
	if len(proxies) == 0 {
		tail, _ := chain.Tail()
		if tail.Kind == mirrors.Off {
			return newCheck(LayerSettings, "GOPROXY", Warn, "off: go downloads nothing and uses only the module cache")
		}
		return newCheck(LayerSettings, "GOPROXY", Warn,
			"direct: every module is fetched from its version control host (git over https or ssh), which filtered networks often block; a mirror is faster and cached")
	}
	for i, e := range chain[:len(chain)-1] {
		if e.Kind == mirrors.Proxy && !e.FallbackOnError && chain[i+1].Kind == mirrors.Proxy {
			c := newCheck(LayerSettings, "GOPROXY", Warn, fmt.Sprintf(
				"%s: ',' after %s means go tries %s only when %s answers 404 or 410, not when it is down or hangs; '|' falls back on any error",
				detail, e.Redacted(), chain[i+1].Redacted(), e.Redacted()))
			c.Fix = setCommand(env, "GOPROXY", pipeChain(chain).String())
			return c
		}
	}
	return newCheck(LayerSettings, "GOPROXY", Pass, detail)
}

// pipeChain returns chain with '|' between its proxies, keeping ',' before
// direct or off so that go still falls back to them only on 404 and 410.
func pipeChain(chain mirrors.List) mirrors.List {
	out := make(mirrors.List, len(chain))
	copy(out, chain)
	for i := range out[:len(out)-1] {
		if out[i].Kind == mirrors.Proxy && out[i+1].Kind == mirrors.Proxy {
			out[i].FallbackOnError = true
		}
	}
	return out
}

// mirrorsSettings checks GOFAST_MIRRORS, gofast's own list of mirrors to
// race, when it is set.
func mirrorsSettings(env goenv.Environ) (mirrors.List, []Check) {
	v, ok := env.Lookup("GOFAST_MIRRORS")
	if !ok || strings.TrimSpace(v) == "" {
		return nil, nil
	}
	list, err := mirrors.ParseList(v)
	if err != nil {
		c := newCheck(LayerSettings, "GOFAST_MIRRORS", Warn, fmt.Sprintf("%v: gofast ignores it", err))
		c.Fix = "unset GOFAST_MIRRORS"
		return nil, []Check{c}
	}
	return list.Proxies(), []Check{newCheck(LayerSettings, "GOFAST_MIRRORS", Pass, list.Proxies().Redacted())}
}

// goflagsSettings checks GOFLAGS for flags that break or surprise module
// downloads. It returns nothing when GOFLAGS is empty.
func goflagsSettings(s *goenv.Settings, env goenv.Environ) []Check {
	fields := strings.Fields(s.GOFLAGS)
	if len(fields) == 0 {
		return nil
	}
	var keep, problems []string
	status := Pass
	for _, f := range fields {
		if !strings.HasPrefix(f, "-") {
			problems = append(problems, fmt.Sprintf("%q is not a flag, so go refuses to run (parsing $GOFLAGS: non-flag)", f))
			status = Fail
			continue
		}
		name, value, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch {
		case name == "insecure":
			problems = append(problems, "-insecure is no longer supported and is ignored; GOINSECURE names the hosts that need plain HTTP")
		case name == "mod" && value == "vendor":
			problems = append(problems, "-mod=vendor: go builds from ./vendor and never downloads; a vendor directory out of step with go.mod fails with \"inconsistent vendoring\"")
		default:
			keep = append(keep, f)
			continue
		}
		if status == Pass {
			status = Warn
		}
	}
	if len(problems) == 0 {
		return []Check{newCheck(LayerSettings, "GOFLAGS", Pass, s.GOFLAGS)}
	}
	c := newCheck(LayerSettings, "GOFLAGS", status, strings.Join(problems, "; "))
	if len(keep) == 0 {
		c.Fix = unsetCommand(env, "GOFLAGS")
	} else {
		c.Fix = setCommand(env, "GOFLAGS", strings.Join(keep, " "))
	}
	return []Check{c}
}

// modeSettings checks GO111MODULE, which turns modules off entirely.
func modeSettings(s *goenv.Settings, env goenv.Environ) []Check {
	switch s.GO111MODULE {
	case "", "on", "auto":
		return nil
	case "off":
		c := newCheck(LayerSettings, "GO111MODULE", Warn, "off: go ignores go.mod and builds in GOPATH mode, so no module is downloaded or verified")
		c.Fix = unsetCommand(env, "GO111MODULE")
		return []Check{c}
	}
	c := newCheck(LayerSettings, "GO111MODULE", Fail, fmt.Sprintf("%q is not on, off or auto: go refuses to run", s.GO111MODULE))
	c.Fix = unsetCommand(env, "GO111MODULE")
	return []Check{c}
}

// proxyEnvSettings reports which targets the HTTP proxy variables route
// through a proxy, and the mistakes that make them not apply.
func proxyEnvSettings(pc *proxyConfig, targets []*target) []Check {
	var checks []Check
	for _, err := range pc.errs {
		checks = append(checks, newCheck(LayerSettings, "HTTPS_PROXY", Warn, err.Error()))
	}
	if !pc.any() {
		if len(checks) == 0 {
			checks = append(checks, newCheck(LayerSettings, "HTTPS_PROXY", Pass, "not set: mirrors are reached directly"))
		}
		return checks
	}
	var via, direct []string
	variable := ""
	httpsTargets := 0
	for _, t := range targets {
		if t.url.Scheme == "https" {
			httpsTargets++
		}
		p, v, err := pc.proxyFor(t.url)
		switch {
		case err != nil:
			checks = append(checks, newCheck(LayerSettings, "HTTP_PROXY", Fail, fmt.Sprintf("%s: %v", t.name, err)))
		case p != nil:
			via = append(via, t.name)
			variable = v + "=" + p.Redacted()
		default:
			direct = append(direct, t.name)
		}
	}
	if pc.httpsProxy == nil && httpsTargets > 0 {
		c := newCheck(LayerSettings, pc.httpsVar, Warn, fmt.Sprintf(
			"%s is set but %s is not: go connects to https mirrors directly, not through %s",
			pc.httpVar, pc.httpsVar, pc.httpProxy.Redacted()))
		c.Fix = fmt.Sprintf("export %s=\"$%s\"", strings.ToUpper(pc.httpsVar), pc.httpVar)
		checks = append(checks, c)
	}
	if len(via) > 0 {
		detail := variable + " carries " + strings.Join(via, ", ")
		if len(direct) > 0 {
			detail += "; reached directly (NO_PROXY or scheme): " + strings.Join(direct, ", ")
		}
		name, _, _ := strings.Cut(variable, "=")
		checks = append(checks, newCheck(LayerSettings, name, Pass, detail))
	}
	return checks
}
