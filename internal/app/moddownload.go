package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/gofastdev/gofast/wrap"
	"golang.org/x/mod/module"
)

// warmModDownload prepares `gofast mod download [args]`: a full parallel
// prefetch with extraction, so that the real `go mod download [args]` that
// runs next finds every file in place and only verifies. It returns the
// environment for go: GOPROXY set to the chain the prefetch used, so that
// whatever go still fetches comes from the same mirrors. go's own result,
// output and exit code then stand.
func (s *session) warmModDownload(ctx context.Context, inv wrap.Invocation) (goenv.Environ, error) {
	only, ok := modDownloadTargets(inv.Rest)
	if !ok {
		// Arguments gofast does not model (queries, -modfile, ...): go
		// handles them alone.
		return s.env, nil
	}
	rep, st, err := s.prefetchForGo(ctx, inv, func(opts *prefetch.Options) {
		opts.Extract = true
		// go mod download never runs in vendor mode.
		opts.IgnoreVendor = true
		opts.Only = only
	})
	if err != nil {
		return nil, err
	}
	if rep == nil {
		return s.env, nil
	}
	return s.envWithChain(rep, st), nil
}

// prefetchForGo is what both warm-ups share: go's settings and their checks,
// one prefetch (with tweak applied to its options), and the decision
// whether go may run. rep is nil when the warm-up was skipped, which has
// been said in one line; a non-nil error means go must not run (see
// hangStop).
func (s *session) prefetchForGo(ctx context.Context, inv wrap.Invocation, tweak func(*prefetch.Options)) (*prefetch.Report, *goenv.Settings, error) {
	st, err := s.Settings(ctx, inv.Dir)
	if err == nil {
		err = s.checkPrefetchSettings(st)
	}
	if err != nil {
		s.logf("warm-up skipped: %v", err)
		return nil, nil, nil
	}
	opts := s.prefetchOptions(inv.Dir, st)
	if tweak != nil {
		tweak(&opts)
	}
	rep, err := prefetch.Run(ctx, opts)
	if err != nil {
		if stop := hangStop(inv, err); stop != nil {
			return nil, nil, stop
		}
		// Outside a module (go install pkg@version, go run pkg@version)
		// there is nothing to warm up: the proxy serves what go fetches.
		if ctx.Err() == nil && !errors.Is(err, modset.ErrNoModule) {
			s.logf("warm-up skipped: %v", err)
		}
		return nil, nil, nil
	}
	if stop := hangStop(inv, rep.Failures()); stop != nil {
		return nil, nil, stop
	}
	s.reportWarm(rep)
	return rep, st, nil
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
// next and fetches those modules itself.
func (s *session) reportWarm(rep *prefetch.Report) {
	err := rep.Err()
	if err == nil {
		return
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	n := rep.Failed
	if n == 0 {
		s.logf("%s", first)
		return
	}
	s.logf("%d modules not prefetched, go will fetch them (first: %s)", n, first)
}

// envWithChain returns the environment for go with GOPROXY set to the
// chain the prefetch used, when it differs from go's own.
func (s *session) envWithChain(rep *prefetch.Report, st *goenv.Settings) goenv.Environ {
	if len(rep.Chain) == 0 {
		return s.env
	}
	if v := rep.Chain.String(); v != st.GOPROXY {
		return s.env.With("GOPROXY", v)
	}
	return s.env
}

// modDownloadTargets parses `go mod download` arguments. With none (or
// only "all") the whole set is prefetched (nil). Explicit path@version
// arguments with canonical versions restrict the prefetch to them. Any
// other argument (a query like @latest, a bare path, a -modfile flag)
// makes gofast step aside: ok is false.
func modDownloadTargets(args []string) (only []module.Version, ok bool) {
	all := false
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			switch name {
			case "x", "json", "reuse", "modcacherw":
				continue
			}
			return nil, false
		}
		if a == "all" {
			all = true
			continue
		}
		path, vers, found := strings.Cut(a, "@")
		if !found || module.CanonicalVersion(vers) != vers || module.Check(path, vers) != nil {
			return nil, false
		}
		only = append(only, module.Version{Path: path, Version: vers})
	}
	if all {
		return nil, true
	}
	return only, true
}
