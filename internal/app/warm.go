package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/warmstamp"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
	"golang.org/x/term"
)

// warm prepares the module cache before a go command that may fetch modules
// and returns the environment go should run with. A warm-up problem is left
// to go, which meets it and reports it in its own words (GOFAST_VERBOSE=1
// adds gofast's line), and go runs as usual, with one exception: when a
// mirror misbehaved on files gofast could not get in a way go does not
// survive (a stall, which go would wait on forever; an endless .mod), the
// error is returned and go is not run (see hangStop).
func (s *session) warm(ctx context.Context, inv wrap.Invocation) (goenv.Environ, error) {
	if noWarmUp(inv) || showsFetches(inv, "") {
		// What go fetches, and prints with -x, is go's own: no warm-up.
		return s.env, nil
	}
	if inv.Command == "mod" && inv.Sub == "download" {
		return s.warmModDownload(ctx, inv)
	}
	return s.warmBuild(ctx, inv)
}

// warmBuild is the warm-up for build, test, list and the other fetching
// commands. When wrap.Route found a valid record of a complete warm-up
// (the files that decide what go needs and the settings unchanged, and
// every recorded file still there: a few stats, no `go env`), it does
// nothing; the lean launcher follows the same plan before it even starts
// gofast-core. Otherwise it runs one `go env -json` and a prefetch of what
// is missing, without extraction: go extracts the modules it builds, and
// only those.
func (s *session) warmBuild(ctx context.Context, inv wrap.Invocation) (goenv.Environ, error) {
	if s.plan.Warm {
		s.knownWarm = true
		return s.env, nil
	}
	rep, st, err := s.prefetchForGo(ctx, inv, func(opts *prefetch.Options) {
		opts.NoInfo = noInfo(inv)
	})
	if err != nil {
		return nil, err
	}
	if rep == nil {
		return s.env, nil
	}
	if s.plan.Record != "" && rep.Failed == 0 {
		// The cache files the prefetch verified or found; failing to
		// record them only costs the next run a `go env`.
		_ = warmstamp.Write(s.plan.Record, rep.Files)
	}
	return s.envWithChain(rep, st), nil
}

// prefetchForGo is what both warm-ups share: go's settings and their
// checks, one prefetch (with the command's own options set by
// commandOptions), and the decision whether go may run. When go will
// switch toolchains (wrap.Plan.ToolchainFirst), go downloads the toolchain
// beside the prefetch. rep is nil when the warm-up was skipped (said in one
// line only as a note: see notef); a non-nil error means go must not run: a
// mirror go would hang on (see hangStop), or a toolchain go could not get
// (go's own error, already printed by go). The warm-up is also skipped,
// silently, when go is to print its fetches (-x in GOFLAGS): see
// showsFetches.
func (s *session) prefetchForGo(ctx context.Context, inv wrap.Invocation, commandOptions func(*prefetch.Options)) (rep *prefetch.Report, st *goenv.Settings, err error) {
	st, err = s.Settings(ctx, inv.Dir)
	if err == nil {
		err = s.checkPrefetchSettings(st)
	}
	if err != nil {
		s.notef("warm-up skipped: %v", err)
		return nil, nil, nil
	}
	if showsFetches(inv, st.GOFLAGS) || outsideWorkspace(inv, st) {
		// -x in GOFLAGS (go env -w included): go prints its fetches;
		// go work outside a workspace: go fetches nothing.
		return nil, nil, nil
	}
	opts := s.prefetchOptions(inv.Dir, st)
	if commandOptions != nil {
		commandOptions(&opts)
	}
	pctx := ctx
	if s.plan.ToolchainFirst {
		// go will switch toolchains: the toolchain download starts now,
		// beside the module prefetch, rather than when go runs. If it
		// fails, go cannot run the command either; the prefetch stops
		// and go's error (already printed by go) is the result.
		var cancel context.CancelFunc
		pctx, cancel = context.WithCancel(ctx)
		defer cancel()
		wait := s.toolchainAside(st, inv.Dir, cancel)
		defer func() {
			if terr := wait(); terr != nil {
				rep, st, err = nil, nil, terr
			}
		}()
	}
	rep, err = prefetch.Run(pctx, opts)
	if pctx.Err() != nil && ctx.Err() == nil {
		// Stopped because the toolchain could not be had: go's error
		// is the one to see.
		return nil, nil, nil
	}
	if err != nil {
		if stop := hangStop(inv, err); stop != nil {
			return nil, nil, stop
		}
		// Outside a module (go install pkg@version, go run pkg@version)
		// there is nothing to warm up: the proxy serves what go fetches.
		if pctx.Err() == nil && !errors.Is(err, modset.ErrNoModule) {
			s.notef("warm-up skipped: %v", err)
		}
		return nil, nil, nil
	}
	if stop := hangStop(inv, rep.Failures()); stop != nil {
		return nil, nil, stop
	}
	s.reportWarm(rep)
	return rep, st, nil
}

// prefetchOptions are the engine options every caller shares: the chain
// from the mirrors package (raced lazily), demotion of failing mirrors,
// GOFAST_JOBS, and progress on stderr (only the bar, on a terminal,
// during a go command: see session.quiet). A GOFAST_TTL that does not parse is
// reported and ignored, as a bad GOFAST_JOBS is.
func (s *session) prefetchOptions(dir string, st *goenv.Settings) prefetch.Options {
	cacheDir, _ := mirrors.CacheDir(s.env)
	return prefetch.Options{
		Dir:      dir,
		Settings: st,
		Env:      s.env,
		Auth:     s.auth(st),
		Jobs:     s.jobs(),
		Chain:    s.chainFunc(st),
		OnMirrorFailure: func(url, reason string) {
			mirrors.Demote(cacheDir, url, reason)
		},
		LockWait: func(lockPath string) { s.lockWait(st.GOMODCACHE, lockPath) },
		Progress: s.opts.Stderr,
		Terminal: isTerminal(s.opts.Stderr),
		Quiet:    s.quiet(),
	}
}

// checkPrefetchSettings rejects, in one line and before anything is
// fetched, settings no download can succeed with: a GOPROXY or
// GOFAST_MIRRORS that does not parse (otherwise reported once per module,
// as if the module were at fault), and a module cache that cannot be
// written (a read-only file system: otherwise one failure per file).
func (s *session) checkPrefetchSettings(st *goenv.Settings) error {
	if _, err := mirrors.Candidates(mirrors.Options{Settings: st, Env: s.env}); err != nil {
		return err
	}
	if filepath.IsAbs(st.GOMODCACHE) {
		if err := writable(st.GOMODCACHE); err != nil {
			return fmt.Errorf("module cache %s is not writable: %w", st.GOMODCACHE, err)
		}
	}
	return nil
}

// writable reports why the directory dir, or the nearest of its parents
// that exists (dir is created on first use), cannot be written, or nil.
func writable(dir string) error {
	for {
		if _, err := os.Stat(dir); err == nil {
			return canWrite(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

// jobs reads GOFAST_JOBS, once per session (a bad value is reported
// once, however many parts of the session ask); 0 lets the engine choose.
func (s *session) jobs() int {
	s.jobsOnce.Do(func() {
		v := s.env.Get("GOFAST_JOBS")
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			s.notef("ignoring GOFAST_JOBS=%q: not a positive number", v)
			return
		}
		s.jobsN = n
	})
	return s.jobsN
}

// isTerminal reports whether w is a terminal (for the progress bar).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// hangStop returns the error that keeps gofast from handing over to go
// when err (the prefetch's failures) shows that go, asked for the same
// files through the same GOPROXY, would never finish: a mirror stalled
// (gofast gave up after its idle timeout, but go has no download timeout
// and would wait forever), or a mirror answered a .mod or .info larger
// than any such file can be (go reads those answers without a limit, so
// an endless one is read until memory runs out). Failing in one line beats
// hanging; GOFAST_OFF=1 still runs go alone. A failure that a later mirror
// made up for is no failure and stops nothing.
func hangStop(inv wrap.Invocation, err error) error {
	cause, why := firstEndless(err)
	if cause == nil {
		return nil
	}
	cmd := "go " + inv.Command
	if inv.Sub != "" {
		cmd += " " + inv.Sub
	}
	first, _, _ := strings.Cut(cause.Error(), "\n")
	return &ExitError{Code: 1, Err: fmt.Errorf("%s; not running %s: %s (GOFAST_OFF=1 runs it anyway)", first, cmd, why)}
}

// firstEndless returns the first of err's joined errors that go would not
// survive, and why, or nil.
func firstEndless(err error) (error, string) {
	if err == nil {
		return nil, ""
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		if errors.Is(e, prefetch.ErrStalled) {
			return e, "it has no download timeout and would wait on this mirror forever"
		}
		var me *prefetch.ModuleError
		if errors.Is(e, prefetch.ErrTooLarge) && errors.As(e, &me) && me.File != "zip" {
			return e, "it reads ." + me.File + " answers without a size limit and would not finish"
		}
	}
	return nil, ""
}

// reportWarm prints, in one line, what the prefetch could not do; go runs
// next and fetches those modules itself, and reports what it cannot get in
// its own words, so during a go command the line is a note (see notef).
func (s *session) reportWarm(rep *prefetch.Report) {
	err := rep.Err()
	if err == nil {
		return
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	n := rep.Failed
	if n == 0 {
		s.notef("%s", first)
		return
	}
	s.notef("%d modules not prefetched, go will fetch them (first: %s)", n, first)
}

// envWithChain returns the environment for go with GOPROXY set to the
// chain the prefetch used, when it differs from go's own.
func (s *session) envWithChain(rep *prefetch.Report, st *goenv.Settings) goenv.Environ {
	if len(rep.Chain) == 0 || filesOnly(st, s.env) {
		return s.env
	}
	if v := rep.Chain.String(); v != st.GOPROXY {
		return s.env.With("GOPROXY", v)
	}
	return s.env
}
