package app

import (
	"context"
	"os"
	"strconv"

	"github.com/gofastdev/gofast/internal/goenv"
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
	if s.knownWarm && !inv.Resolves && !s.switching {
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
	if ran, err := s.runProxied(st, args, goEnv, aheadFor(inv), stdio); ran {
		return err
	}
	return s.execGo(args, env)
}

// runProxied runs go with args and env behind a loopback proxy over the
// session's chain for st, reading ahead as ra says, and
// returns go's status. ran is false when the proxy cannot stand in (see
// proxyable) or did not start (said in one line): go has not run, and the
// caller runs it alone.
func (s *session) runProxied(st *goenv.Settings, args []string, env goenv.Environ, ra readAhead, stdio wrap.Stdio) (ran bool, err error) {
	user, ok := s.proxyable(st)
	if !ok {
		return false, nil
	}
	goTool, err := s.GoTool()
	if err != nil {
		return true, err
	}
	lb, closeProxy, err := s.startProxy(st, ra)
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
	return prefetch.NewFetcher(prefetch.FetcherOptions{
		Settings: st,
		Env:      s.env,
		Auth:     s.auth(st),
		Chain:    s.chainFunc(st),
		Jobs:     s.jobs(),
		OnMirrorFailure: func(url, reason string) {
			mirrors.Demote(cacheDir, url, reason)
		},
	})
}

// startProxy starts the loopback proxy over the session's chain, with a
// spool directory of its own for zips in flight, reading ahead as ra says
// with as many streams as the prefetch. The returned func stops it and
// removes the spool.
func (s *session) startProxy(st *goenv.Settings, ra readAhead) (*modproxy.Loopback, func(), error) {
	spool, err := os.MkdirTemp("", "gofast-proxy-")
	if err != nil {
		return nil, nil, err
	}
	f, err := s.fetcher(st)
	if err != nil {
		os.RemoveAll(spool)
		return nil, nil, err
	}
	lb, err := modproxy.Listen(&modproxy.Handler{
		Fetcher: f, Settings: st, SpoolDir: spool,
		ReadAheadJobs: s.streams(), ReadAheadZips: ra.zips, ReadAheadGraph: ra.graph, Tools: ra.tools,
	})
	if err != nil {
		os.RemoveAll(spool)
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
		os.RemoveAll(spool)
	}, nil
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

// readAhead is what the loopback proxy reads ahead for one go command.
type readAhead struct {
	zips  bool     // modproxy.Handler.ReadAheadZips: see readsZips
	graph bool     // modproxy.Handler.ReadAheadGraph: go get, go mod tidy
	tools []string // modproxy.Handler.Tools: see wrap.Invocation.Tools
}

// aheadFor returns what to read ahead for inv.
func aheadFor(inv wrap.Invocation) readAhead {
	graph := inv.Command == "get" || inv.Command == "mod" && inv.Sub == "tidy"
	return readAhead{zips: readsZips(inv), graph: graph, tools: inv.Tools()}
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
