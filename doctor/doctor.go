// Package doctor diagnoses why Go module downloads fail or hang, layer by
// layer, and says what to type to fix it.
//
// People debugging a hanging "go: downloading" line run ping, nslookup, dig,
// curl -v and go env by hand and still guess. Run does all of that at once,
// within a fixed time whatever the network does: it checks the go settings
// that decide where downloads go (GOPROXY, GOSUMDB, GOPRIVATE, proxy
// variables), then probes every mirror concurrently one layer at a time (dns,
// tcp, tls, http, the module proxy protocol, checksum-database support), the
// checksum database itself, the module cache and the toolchain go.mod asks
// for. It ends with a verdict: the few findings that matter, most important
// first, each with the command that fixes it.
//
// Run never contacts a host other than the configured mirrors, the checksum
// database, and the HTTP proxies the environment routes them through, and it
// never sends a module path matching GOPRIVATE or GONOPROXY to a mirror.
package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
)

// Resolver looks up the addresses of a host name. *net.Resolver implements
// it; tests inject one in which chosen names do not resolve.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Dialer opens network connections. *net.Dialer implements it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// LockScanner scans the module cache rooted at root for lock-file problems
// and returns a one-line summary and one line per problem. The app layer
// wires it to the lockcheck package, which doctor does not import so that it
// builds and tests on its own.
type LockScanner func(ctx context.Context, root string) (summary string, problems []string, err error)

// DefaultTimeout bounds a Run when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Options configure Run. Only Settings is required.
type Options struct {
	// Settings are go's effective settings (`go env -json`). Required.
	Settings *goenv.Settings
	// Env is the process environment, for the variables go reads from the
	// environment only (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, NETRC, HOME) and
	// for GOFAST_MIRRORS. Nil means an empty environment.
	Env goenv.Environ
	// Dir is the directory whose go.mod is checked when Settings.GOMOD is
	// empty. Empty means the current directory.
	Dir string
	// Candidates are extra mirror URLs to probe besides GOPROXY's proxies
	// and GOFAST_MIRRORS, so that the verdict can suggest a working one.
	// Nil adds none, except that when GOPROXY names no proxy at all (direct
	// or off) the proxies of the toolchain's default GOPROXY are probed.
	Candidates []string
	// Resolver resolves host names. Nil means net.DefaultResolver.
	Resolver Resolver
	// Dialer opens TCP connections. Nil means a zero net.Dialer.
	Dialer Dialer
	// RootCAs are the certificate authorities trusted for TLS. Nil means
	// the system's, as the go command uses.
	RootCAs *x509.CertPool
	// Timeout bounds the whole Run; each network layer gets a fixed share of
	// it, so that every probe ends before it. Zero means DefaultTimeout.
	Timeout time.Duration
	// ProbeModule is the public module version whose .info is fetched from
	// every mirror. Zero means the one the mirror race asks for
	// (mirrors.NeutralProbeModule): mirrors.DefaultProbeModule, or another
	// well-known module when GONOPROXY (or GOPRIVATE) covers it. A probe module matching
	// those patterns is never sent; the proxy layer is then skipped.
	ProbeModule module.Version
	// LockScan checks the module cache's lock files. Nil skips that check.
	LockScan LockScanner
	// Now is the clock used to judge certificate validity. Nil means
	// time.Now. Layer timings always use the real clock.
	Now func() time.Time
}

// withDefaults returns o with zero values replaced by their documented
// defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Settings == nil {
		return o, errors.New("doctor: Options.Settings is required")
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ProbeModule == (module.Version{}) {
		// When every neutral module is private the default stays, and
		// the proxy layer is skipped rather than the module sent.
		o.ProbeModule = mirrors.DefaultProbeModule
		if m, ok := mirrors.NeutralProbeModule(o.Settings); ok {
			o.ProbeModule = m
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// Run diagnoses the module download path described by opts and returns the
// report. It returns within about opts.Timeout whatever the network does; an
// error means the diagnosis itself could not run (missing settings, or ctx
// cancelled by the caller), never that something diagnosed is broken.
func Run(ctx context.Context, opts Options) (*Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	d := newDiagnosis(o)
	var wg sync.WaitGroup
	for _, t := range d.targets {
		wg.Go(func() { d.probeTarget(ctx, t) })
	}
	var cacheChecks, goChecks []Check
	wg.Go(func() { cacheChecks = checkCache(ctx, o, d.budget.local) })
	wg.Go(func() { goChecks = checkGo(o, d.chain, d.netrc.machines, mirrorHosts(d.mirrors)) })
	wg.Wait()
	if err := parent.Err(); err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}

	r := &Report{}
	r.Checks = append(r.Checks, d.settings...)
	r.Checks = append(r.Checks, goChecks...)
	for _, t := range d.targets {
		r.Checks = append(r.Checks, t.checks...)
	}
	r.Checks = append(r.Checks, d.sumdbRouteCheck())
	r.Checks = append(r.Checks, cacheChecks...)
	r.Verdict = d.verdict(r.Checks)
	return r, nil
}

// budget is how the overall timeout is shared among the layers of one
// probe. The shares add up to less than the whole, so a target whose every
// layer times out still ends before the overall deadline.
type budget struct {
	dns, tcp, tls, http, sumdb time.Duration
	// local bounds checks of the local machine (file systems can hang).
	local time.Duration
}

func newBudget(total time.Duration) budget {
	share := func(pct int64) time.Duration { return total * time.Duration(pct) / 100 }
	return budget{
		dns: share(15), tcp: share(15), tls: share(15), http: share(25), sumdb: share(15),
		local: share(80),
	}
}
