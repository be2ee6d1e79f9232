package mirrors

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
)

// Defaults for the zero values of Options.
const (
	// DefaultDeadline bounds a whole race: a stalled or dead mirror costs
	// at most this long.
	DefaultDeadline = 1500 * time.Millisecond
	// DefaultTTL is how long a ranking is reused when GOFAST_TTL is unset.
	DefaultTTL = 10 * time.Minute
	// DefaultThroughputTime bounds each mirror's throughput sample.
	DefaultThroughputTime = 2 * time.Second
)

// Options configure Select, Candidates and Probe. Only Settings is
// required; every other zero value has the documented default.
type Options struct {
	// Settings are go's effective settings (go env -json). Required.
	Settings *goenv.Settings
	// Env is the process environment, for GOFAST_MIRRORS, GOFAST_TTL and
	// the HTTP(S)_PROXY variables of the default client.
	Env goenv.Environ
	// CacheDir is where rankings are remembered (CacheDir(env) gives the
	// usual place). Empty means no cache: every Select probes.
	CacheDir string
	// Auth is what is sent to mirrors that want credentials. Nil means
	// what go would send: GOAUTH's netrc method (Settings.GOAUTH), the
	// netrc file found through Env.
	Auth *goauth.Credentials
	// Client makes every request. If nil, Probe builds its own client per
	// race with dial and TLS timeouts, proxies taken from Env's
	// HTTP_PROXY, HTTPS_PROXY and NO_PROXY only, and no cookies.
	Client *http.Client
	// Deadline bounds a race. Zero means DefaultDeadline.
	Deadline time.Duration
	// ProbeModule is the module version asked of every mirror. The zero
	// value means DefaultProbeModule, or a fallback when GOPRIVATE or
	// GONOPROXY covers it. An explicit ProbeModule covered by those
	// patterns is never sent. Never pass a module of the user's go.mod.
	ProbeModule module.Version
	// Throughput adds a bounded download of the probe module's zip from
	// each mirror that served the probe, one mirror after another.
	Throughput bool
	// ThroughputTime bounds each throughput sample. Zero means
	// DefaultThroughputTime.
	ThroughputTime time.Duration
	// TTL is how long a cached ranking is reused. Zero means GOFAST_TTL
	// from Env, else DefaultTTL; a negative TTL disables the cache.
	TTL time.Duration
	// Now is the clock for cache ages. Nil means time.Now.
	Now func() time.Time
	// OnlyIfUseful skips the race when its result could not change the
	// chain: the user's own GOPROXY (no GOFAST_MIRRORS) with no '|' after
	// a mirror, which is then used as it is. The warm-up sets it; `gofast
	// mirrors`, asked to show the race, does not.
	OnlyIfUseful bool
	// Fresh ignores a cached ranking (a new one is still remembered).
	Fresh bool
}

func (o Options) auth() *goauth.Credentials {
	if o.Auth != nil {
		return o.Auth
	}
	goauthValue := ""
	if o.Settings != nil {
		goauthValue = o.Settings.GOAUTH
	}
	c, _ := goauth.Load(goauthValue, o.Env)
	return c
}

func (o Options) deadline() time.Duration {
	if o.Deadline > 0 {
		return o.Deadline
	}
	return DefaultDeadline
}

func (o Options) throughputTime() time.Duration {
	if o.ThroughputTime > 0 {
		return o.ThroughputTime
	}
	return DefaultThroughputTime
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// ttl returns the cache lifetime; 0 means the cache is not used.
func (o Options) ttl() (time.Duration, error) {
	switch {
	case o.TTL < 0:
		return 0, nil
	case o.TTL > 0:
		return o.TTL, nil
	}
	return ParseTTL(o.Env.Get("GOFAST_TTL"))
}

// ParseTTL parses a GOFAST_TTL value: a Go duration ("90s", "1h") or a
// whole number of minutes ("15"). Empty means DefaultTTL; "0" turns the
// cache off.
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultTTL, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > int64(time.Duration(1<<62)/time.Minute) {
			return 0, fmt.Errorf("GOFAST_TTL=%s: must be a non-negative number of minutes or a duration", s)
		}
		return time.Duration(n) * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("GOFAST_TTL=%s: not a duration (like 90s or 1h) or a number of minutes", s)
	}
	return d, nil
}

// errPrivateProbe is returned when every probe module available matches
// the user's private patterns: no mirror may be asked about it.
var errPrivateProbe = errors.New("matches GOPRIVATE/GONOPROXY")

// probeModule returns the module version to ask mirrors for, never one
// go keeps away from mirrors (GONOPROXY, defaulting to GOPRIVATE).
func (o Options) probeModule() (module.Version, error) {
	if o.ProbeModule.Path != "" {
		if err := module.Check(o.ProbeModule.Path, o.ProbeModule.Version); err != nil {
			return module.Version{}, fmt.Errorf("probe module: %w", err)
		}
		if o.Settings != nil && o.Settings.NoProxy(o.ProbeModule.Path) {
			return module.Version{}, fmt.Errorf("probe module %s %w; it is never sent to a mirror", o.ProbeModule.Path, errPrivateProbe)
		}
		return o.ProbeModule, nil
	}
	if m, ok := NeutralProbeModule(o.Settings); ok {
		return m, nil
	}
	return module.Version{}, fmt.Errorf("every neutral probe module %w; no mirror is probed", errPrivateProbe)
}
