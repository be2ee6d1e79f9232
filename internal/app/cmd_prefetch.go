package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// prefetchCommand is `gofast prefetch [-C dir] [-j N] [-o DIR] [--json]`:
// fetch every module the main module or workspace needs, verified, into the
// module cache (and with -o into DIR as a GOPROXY tree).
func (s *session) prefetchCommand() *cli.Command {
	return &cli.Command{
		Name:      "prefetch",
		Usage:     "fetch every module the main module needs, verified, into the module cache",
		UsageText: "gofast prefetch [-C dir] [-j N] [-o DIR] [--json]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "C", Usage: "run as if in `dir`"},
			&cli.IntFlag{Name: "j", Usage: "parallel downloads (default GOFAST_JOBS, else 64)"},
			&cli.StringFlag{Name: "o", Usage: "also write a GOPROXY tree to `DIR` (serve it with GOPROXY=file://DIR)"},
			&cli.BoolFlag{Name: "json", Usage: "print the per-module report as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &UsageError{Err: fmt.Errorf("prefetch takes no arguments, got %q", c.Args().First())}
			}
			ctx := c.Context
			dir := c.String("C")
			st, err := s.Settings(ctx, dir)
			if err != nil {
				return err
			}
			if err := s.checkPrefetchSettings(st); err != nil {
				return err
			}
			opts := s.prefetchOptions(dir, st)
			if j := c.Int("j"); j > 0 {
				opts.Jobs = j
			} else if j < 0 {
				return &UsageError{Err: fmt.Errorf("-j must be positive")}
			}
			opts.OutputDir = c.String("o")
			if c.Bool("json") {
				opts.JSON = s.opts.Stdout
			}
			rep, err := prefetch.Run(ctx, opts)
			if err != nil {
				return err
			}
			if rep.Fetched == 0 && rep.Failed == 0 && !c.Bool("json") {
				s.logf("nothing to fetch: %d modules already cached, %d left to go", rep.Cached, rep.LeftToGo)
			}
			if err := rep.Err(); err != nil {
				lines := strings.Split(err.Error(), "\n")
				for i, line := range lines {
					if i == maxErrorLines && len(lines) > maxErrorLines+1 {
						s.logf("... and %d more (gofast prefetch --json lists every module)", len(lines)-i)
						break
					}
					s.logf("%s", line)
				}
				if rep.Failed > 0 {
					return &ExitError{Code: 1, Silent: true}
				}
			}
			return nil
		},
	}
}

// maxErrorLines bounds the failure lines `gofast prefetch` prints: past a
// screenful, more lines of the same cause only hide it.
const maxErrorLines = 10

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

// prefetchOptions are the engine options every caller shares: the chain
// from the mirrors package (raced lazily), demotion of failing mirrors,
// GOFAST_JOBS, and progress on stderr. A GOFAST_TTL that does not parse is
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
	}
}

// rankingEnv is the environment the mirror race reads its settings from:
// a GOFAST_TTL that does not parse is reported once and ignored, as a bad
// GOFAST_JOBS is.
func (s *session) rankingEnv() goenv.Environ {
	if _, err := mirrors.ParseTTL(s.env.Get("GOFAST_TTL")); err != nil {
		s.ttlWarn.Do(func() { s.logf("ignoring %v; using %v", err, mirrors.DefaultTTL) })
		return s.env.Without("GOFAST_TTL")
	}
	return s.env
}

// chain returns the GOPROXY chain from mirrors.Select, saying in one line
// why it fell back to the user's GOPROXY when no mirror worked.
func (s *session) chain(ctx context.Context, st *goenv.Settings, env goenv.Environ, cacheDir string, auth *goauth.Credentials) (mirrors.List, error) {
	res, err := mirrors.Select(ctx, mirrors.Options{Settings: st, Env: env, CacheDir: cacheDir, Auth: auth, OnlyIfUseful: true})
	if err != nil {
		return nil, err
	}
	if res.Fallback && res.Note != "" {
		s.logf("%s", res.Note)
	}
	return res.Chain, nil
}

// jobs reads GOFAST_JOBS; 0 lets the engine choose.
func (s *session) jobs() int {
	v := s.env.Get("GOFAST_JOBS")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		s.logf("ignoring GOFAST_JOBS=%q: not a positive number", v)
		return 0
	}
	return n
}

// isTerminal reports whether w is a terminal (for the progress bar).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
