// Package toolchain decides, without running go, whether a go command
// switches to another Go toolchain (GOTOOLCHAIN), following the go
// command's cmd/go/internal/toolchain.Select rule for rule, and where the
// toolchain it switches to would come from.
//
// It imports only package environ and x/mod/module, so that gofast's lean
// launcher can ask before it hands over to go.
package toolchain

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
)

// These are the variables a go that switches toolchains sets for the go it
// runs (select.go's targetEnv and countEnv).
const (
	// targetEnvVar holds the toolchain the parent go switched to; the child
	// checks that it is that toolchain and then runs without switching.
	targetEnvVar = "GOTOOLCHAIN_INTERNAL_SWITCH_VERSION"
	// countEnvVar counts switches, to stop a loop after maxSwitch.
	countEnvVar = "GOTOOLCHAIN_INTERNAL_SWITCH_COUNT"
	maxSwitch   = 100
)

// A Decision is what a go command does about toolchains before it runs.
type Decision struct {
	// Target is the toolchain go runs instead of itself, such as
	// "go1.27.0", or "" when the local go runs the command.
	Target string

	// Path reports that GOTOOLCHAIN is path or ends in +path: go then
	// finds Target only as a program of that name on PATH and fails rather
	// than download it. Without Path, go still looks on PATH first, then
	// in the module cache (see Cached), and downloads only after that.
	Path bool

	// Reason says why go switches, for a message: "GOTOOLCHAIN=go1.27.0",
	// "go.mod requires go >= 1.27.0", "toolchain go1.27.1 in go.work".
	Reason string
}

// Decide returns the toolchain decision go makes at start-up, reading only
// env, the go env files (see Setting) and the go and toolchain lines of the
// go.work or go.mod that governs dir.
//
// env is go's environment. dir is go's working directory, the argument of
// its -C flag; "" means the current directory. goroot is the real go
// tool's GOROOT and local its toolchain name, such as "go1.26.8" (see
// LocalVersion).
//
// The errors are those go exits with before running the command, with
// go's wording (without its "go: " prefix): an invalid GOTOOLCHAIN or
// GOWORK, an invalid toolchain line, a go.mod or go.work that cannot be
// read, a child go that is not the toolchain its parent switched to, and
// too many switches.
//
// Decide does not see the command line, so it does not know what go does
// in three cases: `go env GOTOOLCHAIN`, `go env -w GOTOOLCHAIN=...`, `go
// env GOMOD` and `go env GOWORK` always run locally (see HandledLocally);
// `go install m@v` and `go run m@v` outside a module may switch to the go
// version m@v's go.mod requires, which only a download tells; and any
// command that later finds a dependency too new (go get, go mod tidy) may
// switch then. Nor does it see GOFLAGS=-modfile=...: go's start-up
// decision ignores that flag too and reads the go.mod it finds by walking
// up, so this agrees with go.
func Decide(env environ.Environ, dir, goroot, local string) (Decision, error) {
	wd, err := workDir(dir)
	if err != nil {
		return Decision{}, err
	}
	c := newConfig(env, goroot)
	if !modulesEnabled(c, wd) {
		return Decision{}, nil
	}
	setting := c.get("GOTOOLCHAIN")
	if setting == "" {
		// go.env has no GOTOOLCHAIN line, or GOROOT is broken: go runs
		// locally and reports any problem itself.
		return Decision{}, nil
	}
	localVers := FromToolchain(local)
	if localVers == "" {
		return Decision{}, fmt.Errorf("local toolchain %q is not a go toolchain name", local)
	}

	// minTool is what the go documentation calls the default toolchain.
	minTool, minVers, mode := local, localVers, setting
	reason := ""
	if setting != "auto" && setting != "path" {
		min, suffix, plus := strings.Cut(setting, "+")
		if min != "local" {
			v := FromToolchain(min)
			if v == "" {
				if plus {
					return Decision{}, fmt.Errorf("invalid GOTOOLCHAIN %q: invalid minimum toolchain %q", setting, min)
				}
				return Decision{}, fmt.Errorf("invalid GOTOOLCHAIN %q", setting)
			}
			minTool, minVers = min, v
			reason = "GOTOOLCHAIN=" + setting
		}
		if plus && suffix != "auto" && suffix != "path" {
			return Decision{}, fmt.Errorf("invalid GOTOOLCHAIN %q: only version suffixes are +auto and +path", setting)
		}
		mode = suffix
	}

	target := minTool
	if mode == "auto" || mode == "path" {
		file, goVers, tc, err := goToolchainLines(c, wd)
		if err != nil {
			return Decision{}, err
		}
		// "toolchain default" keeps the default toolchain: it overrides
		// the +auto part of the setting, not the minimum it names.
		if tc != "default" {
			name := shortPath(file, wd)
			if tc != "" {
				tcVers := FromToolchain(tc)
				if tcVers == "" || !strings.HasPrefix(tc, "go") && !strings.Contains(tc, "-go") {
					return Decision{}, fmt.Errorf("invalid toolchain %q in %s", tc, name)
				}
				// Only a newer toolchain counts: an equal one is satisfied by
				// the minimum, which may be "go1.21.1-foo" for "go1.21.1".
				if Compare(tcVers, minVers) > 0 {
					target, minVers = tc, tcVers
					reason = "toolchain " + tc + " in " + name
				}
			}
			if Compare(goVers, minVers) > 0 {
				target = "go" + goVers
				// From Go 1.21 on, "go 1.22" is a language version; its first
				// release is go1.22.0 (golang.org/issue/62278).
				if isLang(goVers) && Compare(goVers, "1.21") >= 0 {
					target += ".0"
				}
				reason = name + " requires go >= " + goVers
			}
		}
	}

	// A go that a parent go switched to runs the command whatever it
	// would have chosen, once it has checked that it is that toolchain.
	if want := env.Get(targetEnvVar); want != "" {
		if local != want {
			return Decision{}, fmt.Errorf("toolchain %v invoked to provide %v", local, want)
		}
		return Decision{}, nil
	}
	if target == "local" || target == local {
		return Decision{}, nil
	}
	// go refuses names such as "bash" that it would otherwise find on PATH.
	if !strings.HasPrefix(target, "go1") && !strings.Contains(target, "-go1") {
		return Decision{}, fmt.Errorf("invalid GOTOOLCHAIN %q", target)
	}
	if n, _ := strconv.Atoi(env.Get(countEnvVar)); n >= maxSwitch {
		return Decision{}, fmt.Errorf("too many toolchain switches")
	}
	return Decision{
		Target: target,
		Path:   setting == "path" || strings.HasSuffix(setting, "+path"),
		Reason: reason,
	}, nil
}

// HandledLocally reports whether go runs the command line args (the
// arguments after "go", with any -C flag removed) with the local toolchain
// whatever GOTOOLCHAIN and go.mod say: `go env GOTOOLCHAIN`, `go env -w
// GOTOOLCHAIN=...`, `go env GOMOD` and `go env GOWORK`, so that an old go
// can always show or undo a toolchain setting and find the files that
// decide it.
func HandledLocally(args []string) bool {
	switch {
	case len(args) == 2 && args[0] == "env":
		return args[1] == "GOTOOLCHAIN" || args[1] == "GOMOD" || args[1] == "GOWORK"
	case len(args) == 3 && args[0] == "env" && args[1] == "-w":
		return strings.HasPrefix(args[2], "GOTOOLCHAIN=")
	}
	return false
}

// goToolchainLines finds the go.work, else the go.mod, that governs wd and
// returns its name and its go and toolchain lines, as select.go's
// modGoToolchain does. With neither file all three are "".
func goToolchainLines(c *config, wd string) (file, goVers, tc string, err error) {
	file, err = goWorkFile(c, wd)
	if err != nil {
		return "", "", "", err
	}
	if file == "" {
		file = findGoMod(c.env, wd)
	}
	if file == "" {
		return "", "", "", nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", "", "", err
	}
	return file, goModLookup(data, "go"), goModLookup(data, "toolchain"), nil
}

// workDir returns go's working directory as an absolute path: dir made
// absolute, as go's chdir for -C makes it, or the current directory.
func workDir(dir string) (string, error) {
	if dir == "" {
		return os.Getwd()
	}
	return filepath.Abs(dir)
}

// shortPath names file relative to wd when that is shorter, as go's
// base.ShortPath does in its messages.
func shortPath(file, wd string) string {
	if rel, err := filepath.Rel(wd, file); err == nil && len(rel) < len(file) {
		return rel
	}
	return file
}
