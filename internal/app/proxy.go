package app

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/modproxy"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
)

// runGo runs a fetching go command after its warm-up. A command that
// cannot fetch beyond a cache known warm for it is handed over to go at
// once. Any other runs as gofast's child with gofast's loopback proxy as
// its GOPROXY (the user's direct or off tail kept), so that what go still
// fetches (queries, modules not in go.sum, a toolchain, checksum-database
// lookups) comes through the same chain, deadlines and retries as the
// prefetch; the proxy is closed when go exits, and go's exit status is
// gofast's. When there is no proxy entry to stand in for (GOPROXY direct
// or off), or the proxy cannot start, go runs as it would alone.
func (s *session) runGo(ctx context.Context, inv wrap.Invocation, args []string, env goenv.Environ) error {
	if s.knownWarm && s.plan.GoAlone {
		return s.execGo(args, env)
	}
	st, err := s.Settings(ctx, inv.Dir)
	if err != nil {
		return s.execGo(args, env)
	}
	goEnv := env
	if _, set := env.Lookup("GOMAXPROCS"); !set && fetchOnly(inv) {
		// go fetches GOMAXPROCS files at a time. A command that only
		// fetches and resolves, and never compiles or runs what it
		// fetched, gets as many streams as gofast's own downloads: the
		// user's alternative, GOMAXPROCS=64, without its leak into
		// compilers and tests, and with the proxy's deadlines and retries
		// behind every stream.
		goEnv = env.With("GOMAXPROCS", strconv.Itoa(s.streams()))
	}
	stdio := wrap.Stdio{Stdin: s.opts.Stdin, Stdout: s.opts.Stdout, Stderr: s.opts.Stderr}
	ra := aheadFor(inv)
	if len(ra.tools) == 0 {
		// go install and go run of pkg@version run outside any module,
		// trusting no go.sum; every other command checks the main
		// module's (or workspace's) first, and so does the proxy. A go.sum
		// that cannot be read trusts nothing: the proxy then asks the
		// database where go would, or go fails on the same file.
		opts := modset.Options{Dir: inv.Dir, GOMOD: st.GOMOD, GOWORK: st.GOWORK, GOFLAGS: st.GOFLAGS}
		if mf := modfileFlag(inv.Rest, inv.Command == "run"); mf != "" {
			// go env, run without the command's flags, names the usual
			// go.mod; go reads the go.sum beside -modfile's instead.
			opts.GOMOD, opts.GOFLAGS = mf, "-modfile="+mf
			if !filepath.IsAbs(mf) && inv.Dir != "" {
				opts.GOMOD = filepath.Join(inv.Dir, mf)
			}
		}
		if files, err := modset.GoSumFiles(opts); err == nil {
			ra.sums, _ = modset.ReadGoSums(files)
		}
	}
	if ran, err := s.runProxied(st, args, goEnv, ra, stdio); ran {
		return err
	}
	return s.execGo(args, env)
}

// runProxied runs go with args and env behind a loopback proxy over the
// session's chain for st, reading ahead as ra says, and returns go's
// status. ran is false when the proxy cannot stand in (see proxyable) or
// did not start (said in one line): go has not run, and the caller runs it
// alone.
func (s *session) runProxied(st *goenv.Settings, args []string, env goenv.Environ, ra aheadPolicy, stdio wrap.Stdio) (ran bool, err error) {
	user, ok := s.proxyable(st)
	if !ok {
		return false, nil
	}
	goTool, err := s.GoTool()
	if err != nil {
		return true, err
	}
	lb, closeProxy, err := s.startProxy(st, ra, modproxy.NeedsTailEntry(user))
	if err != nil {
		s.notef("loopback proxy not started, go fetches alone: %v", err)
		return false, nil
	}
	defer closeProxy()
	return true, wrap.Run(goTool, args, proxyEnv(env, st, user, lb), stdio)
}

// fetchOnly reports whether the command fetches and resolves modules but
// never builds, runs or tests code: go get, go mod download/tidy/graph/
// why/verify, go work sync.
func fetchOnly(inv wrap.Invocation) bool {
	switch inv.Command {
	case "get":
		return true
	case "mod":
		return inv.Sub == "download" || inv.Sub == "tidy" || inv.Sub == "graph" || inv.Sub == "why" || inv.Sub == "verify"
	case "work":
		return inv.Sub == "sync"
	}
	return false
}

// streams is how many downloads a fetch-only go command runs at once:
// GOFAST_JOBS, else the prefetch's default, at most maxGoStreams.
func (s *session) streams() int {
	n := s.jobs()
	if n <= 0 {
		n = prefetch.DefaultJobs
	}
	return min(n, maxGoStreams)
}

// maxGoStreams bounds the GOMAXPROCS a fetch-only go command is given:
// every P is a scheduler slot go's runtime keeps, and beyond a few tens
// more streams buy a 2-core machine nothing (a GOFAST_JOBS of a million
// must not become a go with a million Ps).
const maxGoStreams = 64

// proxyEnv is env for a go that fetches through lb: GOPROXY the proxy and
// user's tail, and, where GOSUMDB names the database's own URL (which go
// reads directly, bypassing GOPROXY), the same key with the proxy in the
// URL's place.
func proxyEnv(env goenv.Environ, st *goenv.Settings, user mirrors.List, lb *modproxy.Loopback) goenv.Environ {
	value, _ := modproxy.GOPROXY(lb.URL, user)
	env = env.With("GOPROXY", value)
	if db, err := st.SumDB(); err == nil {
		if v, changed := modproxy.GOSUMDB(lb.URL, st.GOSUMDB, db); changed {
			env = env.With("GOSUMDB", v)
		}
	}
	return env
}

// fetcher returns a Fetcher of single files over the session's chain for
// st, with go's credentials, the session's stream count, and mirrors that
// fail demoted in the shared ranking.
func (s *session) fetcher(st *goenv.Settings) (*prefetch.Fetcher, error) {
	cacheDir, _ := mirrors.CacheDir(s.env)
	named, err := mirrors.Named(mirrors.Options{Settings: st, Env: s.env})
	if err != nil {
		return nil, err
	}
	return prefetch.NewFetcher(prefetch.FetcherOptions{
		Settings: st,
		Env:      s.env,
		Auth:     s.auth(st),
		Chain:    s.chainFunc(st),
		Named:    named,
		Jobs:     s.jobs(),
		OnMirrorFailure: func(url, reason string) {
			mirrors.Demote(cacheDir, url, reason)
		},
	})
}

// startProxy starts the loopback proxy over the session's chain, with a
// spool directory of its own for zips in flight (the spools of killed
// runs swept first: newSpool), reading ahead as ra says with as many
// streams as the prefetch. The returned func stops it and removes the
// spool.
func (s *session) startProxy(st *goenv.Settings, ra aheadPolicy, tailEntry bool) (*modproxy.Loopback, func(), error) {
	sp, err := newSpool()
	if err != nil {
		return nil, nil, err
	}
	f, err := s.fetcher(st)
	if err != nil {
		sp.Close()
		return nil, nil, err
	}
	lb, err := modproxy.Listen(&modproxy.Handler{
		Fetcher: f, Settings: st, Sums: ra.sums, SpoolDir: sp.dir,
		ReadAheadJobs: s.streams(), ReadAheadZips: ra.zips, ReadAheadGraph: ra.graph, Tools: ra.tools,
		SpoolMax: s.spoolMax(), TailEntry: tailEntry,
	})
	if err != nil {
		sp.Close()
		return nil, nil, err
	}
	// The chain (the mirror race, when no ranking is cached) is chosen
	// while go starts, not at go's first request.
	warm, stopWarm := context.WithCancel(context.Background())
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		f.Chain(warm)
	}()
	return lb, func() {
		stopWarm()
		<-warmed
		lb.Close()
		sp.Close()
	}, nil
}

// spoolMax reads GOFAST_SPOOL_MAX, the bound on the zips read ahead and
// spooled on disk (modproxy.Handler.SpoolMax): bytes, or with a K, M or G
// suffix (powers of 1024); 0 reads no zip ahead. Unset, or a value that
// does not parse (reported), leaves the proxy's default.
func (s *session) spoolMax() int64 {
	v := s.env.Get("GOFAST_SPOOL_MAX")
	if v == "" {
		return 0
	}
	n, ok := parseSize(v)
	if !ok {
		s.logf("ignoring GOFAST_SPOOL_MAX=%q: not a size (bytes, or a number with K, M or G)", v)
		return 0
	}
	if n == 0 {
		return -1 // modproxy: no zip read ahead
	}
	return n
}

// parseSize reads a non-negative byte count with an optional K, M or G
// suffix (powers of 1024), refusing one that overflows.
func parseSize(v string) (int64, bool) {
	shift := 0
	switch strings.ToUpper(v[len(v)-1:]) {
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	}
	if shift > 0 {
		v = v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, false
	}
	return n << shift, true
}

// proxyable returns the user's GOPROXY list when the loopback proxy can
// stand in for part of it: GOPROXY names a proxy (not only direct or off),
// and the settings the chain is built from parse. A GOPROXY or
// GOFAST_MIRRORS that does not is left to go alone, as without gofast: go
// reports a bad GOPROXY in its own words, and the warm-up has already
// said what is wrong with GOFAST_MIRRORS.
func (s *session) proxyable(st *goenv.Settings) (mirrors.List, bool) {
	user, err := mirrors.ParseList(st.GOPROXY)
	if err != nil || filesOnly(st, s.env) {
		return nil, false
	}
	if _, ok := modproxy.GOPROXY("", user); !ok {
		return nil, false
	}
	if _, err := mirrors.Candidates(mirrors.Options{Settings: st, Env: s.env}); err != nil {
		return nil, false
	}
	return user, true
}

// aheadPolicy is what the loopback proxy reads ahead for one go command.
type aheadPolicy struct {
	zips  bool         // modproxy.Handler.ReadAheadZips: see readsZips
	graph bool         // modproxy.Handler.ReadAheadGraph: go get, go mod tidy
	tools []string     // modproxy.Handler.Tools: see wrap.Invocation.Tools
	sums  *modset.Sums // modproxy.Handler.Sums: the go.sum go trusts
}

// aheadFor returns what to read ahead for inv.
func aheadFor(inv wrap.Invocation) aheadPolicy {
	graph := inv.Command == "get" || inv.Command == "mod" && inv.Sub == "tidy"
	return aheadPolicy{zips: readsZips(inv), graph: graph, tools: inv.Tools()}
}

// readsZips reports whether the command downloads the zip of every module
// version it resolves by query, so that the proxy may start a zip as soon
// as go has the version's .info (modproxy.Handler.ReadAheadZips): go get,
// go install and go run of pkg@version, go mod tidy. go list -m resolves
// versions without zips, and is left out.
func readsZips(inv wrap.Invocation) bool {
	switch {
	case inv.Command == "get", inv.Command == "mod" && inv.Sub == "tidy":
		return true
	case inv.Command == "install", inv.Command == "run":
		return inv.Resolves
	}
	return false
}

// modfileFlag returns the -modfile flag's value among a go command's
// arguments (the last one wins, as for go's flag package), or "". The
// search ends at "--" or "-args" (what follows is a test binary's), and
// with firstOnly at the first argument that is not a flag (go run's
// program arguments follow it). No package path begins with "-", so
// elsewhere a -modfile argument can only be the flag.
func modfileFlag(args []string, firstOnly bool) string {
	var v string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-args" || a == "--args" || firstOnly && !strings.HasPrefix(a, "-") {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if name != "modfile" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			value = args[i]
		}
		v = value
	}
	return v
}
