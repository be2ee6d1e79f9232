// Command gofast-front is gofast's lean launcher, installed as "gofast" by
// install.sh with the full program beside it as "gofast-core".
//
// Every gofast invocation pays for the program's start-up before go runs.
// The full program links an HTTP and TLS stack, whose initialisation alone
// costs about as much as `go version` itself, so commands that never fetch
// modules (version, env, fmt, doc, ...) would cost twice what go does. This
// launcher links only what it needs to decide: a command that never fetches
// goes straight to the real go tool, and so does one that may fetch when
// the cache is known warm for it (a valid warm-up record: a few stats);
// gofast's own commands and the other fetching commands go to gofast-core,
// which warms the module cache first. Both hand over with exec, so the pid,
// stdio and exit code stay go's.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/wrap"
)

// frontEnv must equal app.FrontEnv; the launcher does not import the app
// package, which would link everything it exists to avoid.
const frontEnv = "GOFAST_FRONT"

func main() {
	env := environ.Environ(os.Environ())
	self := wrap.SelfPath()
	var args []string
	if len(os.Args) > 1 {
		args = os.Args[1:]
	}
	target, targetArgs, targetEnv, err := route(env, self, args)
	if err == nil {
		err = wrap.Exec(target, targetArgs, targetEnv)
	}
	if we, ok := err.(*wrap.ExitError); ok {
		os.Exit(we.Code)
	}
	fmt.Fprintf(os.Stderr, "gofast: %v\n", err)
	os.Exit(1)
}

// route decides which program runs the command line: the real go tool, or
// gofast-core with GOFAST_FRONT naming this launcher.
func route(env environ.Environ, self string, args []string) (string, []string, environ.Environ, error) {
	plan, _ := wrap.Route(env, args, func() (string, error) { return wrap.Locate(env, self) })
	return follow(plan, env, self, args)
}

// follow carries out wrap.Route's plan: go alone when the plan says go
// can run at once (with nothing to download, or a cache known warm for
// the command), gofast-core for everything else. It decides nothing
// itself.
func follow(plan wrap.Plan, env environ.Environ, self string, args []string) (string, []string, environ.Environ, error) {
	if plan.GoAlone {
		return plan.GoTool, args, env, plan.GoErr
	}
	core := env.Get("GOFAST_CORE")
	if core == "" {
		name := "gofast-core"
		if runtime.GOOS == "windows" {
			name += ".exe"
		}
		core = filepath.Join(filepath.Dir(self), name)
	}
	if _, err := os.Stat(core); err != nil {
		return "", nil, nil, fmt.Errorf("gofast-core not found at %s (reinstall with install.sh, or set GOFAST_CORE)", core)
	}
	return core, args, env.With(frontEnv, self), nil
}
