// Package app is gofast's command line: it routes gofast's own commands to
// their packages and every other command line to the real go tool, after
// warming the module cache for commands that may fetch modules.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/wrap"
)

// Options is everything Run needs from the process. Tests fill it with
// buffers and a made-up environment.
type Options struct {
	// Args is the full command line, program name first (os.Args).
	Args []string
	// Env is the process environment (os.Environ).
	Env []string
	// Stdin, Stdout and Stderr are the process's standard streams. stdout
	// belongs to go and to --json output; gofast's messages go to Stderr.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Version is gofast's version, set at build time; "" means a
	// development build, reported from the module build info.
	Version string
	// Self is the path of the running gofast executable. If empty,
	// os.Executable is used.
	Self string
}

// Run executes one gofast invocation. On Unix a go command line does not
// return: the process becomes go. The returned error is turned into the exit
// code by ExitCode.
func Run(ctx context.Context, o Options) error {
	env := goenv.Environ(o.Env)
	// The lean launcher (cmd/gofast-front) names itself in GOFAST_FRONT so
	// that it is never taken for go; the variable is not passed on to go.
	front, hasFront := env.Lookup(FrontEnv)
	if hasFront {
		env = env.Without(FrontEnv)
	}
	if _, ok := o.Stderr.(*os.File); !ok && o.Stderr != nil {
		// The prefetch and a go fetching a toolchain beside it write
		// stderr at the same time; a file takes that as it is, anything
		// else gets one write at a time.
		o.Stderr = &lockedWriter{w: o.Stderr}
	}
	var args []string
	if len(o.Args) > 1 {
		args = o.Args[1:]
	}
	s := &session{opts: o, env: env, front: front}
	inv := s.route(args)
	plan := s.plan
	switch {
	case plan.Action == wrap.PlanOwn:
		return s.runOwn(ctx)
	case plan.Off:
		return s.execGo(args, env)
	}
	s.wrapped = true
	if plan.Action == wrap.PlanGo {
		if plan.ToolchainFirst {
			// go version, go env, ... in a module that asks for a newer
			// go: the toolchain comes through the proxy first, and the
			// command then runs as it would, its output untouched.
			if err := s.fetchToolchain(ctx, inv.Dir); err != nil {
				return err
			}
		}
		return s.execGo(args, env)
	}
	// A fetching command. When go must switch toolchains for it, the
	// warm-up starts the toolchain download beside the module prefetch
	// (see prefetchForGo).
	env, err := s.warm(ctx, inv)
	if err != nil {
		return err
	}
	return s.runGo(ctx, inv, args, env)
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// FrontEnv is the variable in which the lean launcher passes its own path
// to the engine.
const FrontEnv = "GOFAST_FRONT"

// session holds what one invocation has learned so far, so that the go tool
// is located and `go env -json` is run at most once, and only when needed.
type session struct {
	opts     Options
	env      goenv.Environ
	front    string // the launcher that started this engine, if any
	goTool   string
	settings map[string]*goenv.Settings // by directory

	// plan is wrap.Route's decision for the command line, which the
	// session follows rather than decides again.
	plan wrap.Plan
	// knownWarm is set when the warm-up relied on the plan's valid
	// record of a complete earlier warm-up (plan.Warm) and fetched
	// nothing.
	knownWarm bool
	// wrapped is set for a go command line (not one of gofast's own):
	// gofast's notes are then left out (see quiet).
	wrapped   bool
	chainMemo chainMemo
	authOnce  sync.Once
	creds     *goauth.Credentials
	ttlWarn   sync.Once
	jobsOnce  sync.Once
	jobsN     int
}

// route decides what happens to args (wrap.Route) and keeps the plan,
// which the rest of the session follows rather than decides again.
func (s *session) route(args []string) wrap.Invocation {
	plan, inv := wrap.Route(s.env, args, s.GoTool)
	s.plan = plan
	return inv
}

// GoTool returns the real go tool's path.
func (s *session) GoTool() (string, error) {
	if s.goTool != "" {
		return s.goTool, nil
	}
	self := s.opts.Self
	if self == "" {
		self = wrap.SelfPath()
	}
	p, err := wrap.Locate(s.env, self, s.front)
	if err != nil {
		return "", err
	}
	s.goTool = p
	return p, nil
}

// Settings returns go's settings as seen from dir ("" for the current
// directory), running `go env -json` once per directory.
func (s *session) Settings(ctx context.Context, dir string) (*goenv.Settings, error) {
	if st, ok := s.settings[dir]; ok {
		return st, nil
	}
	goTool, err := s.GoTool()
	if err != nil {
		return nil, err
	}
	st, err := goenv.Load(ctx, goTool, dir, s.env)
	if err != nil {
		return nil, err
	}
	if s.settings == nil {
		s.settings = map[string]*goenv.Settings{}
	}
	s.settings[dir] = st
	return st, nil
}

// execGo hands the process over to go with args and env.
func (s *session) execGo(args []string, env goenv.Environ) error {
	goTool, err := s.GoTool()
	if err != nil {
		return err
	}
	return wrap.Exec(goTool, args, env)
}

// logf prints one gofast message line on stderr.
func (s *session) logf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	msg = strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", " ")
	fmt.Fprintf(s.opts.Stderr, "gofast: %s\n", msg)
}

// UsageError marks a mistake in the command line (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitError carries an explicit exit code with an optional message that was
// already printed (Silent) or is to be printed.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode turns Run's error into the process exit code, printing the error
// as one "gofast:" line on stderr when there is something to say: the go
// tool's own code when it ran, else 0 ok, 1 failure, 2 usage error.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var we *wrap.ExitError
	if errors.As(err, &we) {
		return we.Code
	}
	code := 1
	var ue *UsageError
	var ee *ExitError
	switch {
	case errors.As(err, &ue):
		code = 2
	case errors.As(err, &ee):
		code = ee.Code
		if ee.Silent || ee.Err == nil {
			return code
		}
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "gofast: interrupted")
		return 130
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
	fmt.Fprintf(stderr, "gofast: %s\n", msg)
	return code
}
