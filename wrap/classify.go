package wrap

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/internal/warmstamp"

	"golang.org/x/mod/semver"
)

// Invocation describes a go command line as the wrapper needs to see it.
type Invocation struct {
	// Command is the go subcommand ("build", "mod", ...), "" for a bare "go".
	Command string
	// Sub is the second word for commands that have one ("download" in
	// "go mod download"), else "".
	Sub string
	// Dir is the -C directory when the command line gives one, else "".
	Dir string
	// Rest are the arguments after the command words and -C flag.
	Rest []string
	// MayFetch reports whether go may download modules to run this command,
	// so that gofast should warm the module cache first. Commands that never
	// fetch must cost nothing measurable.
	MayFetch bool
	// Resolves reports whether the command may look beyond what go.mod
	// and go.sum already name (`go get`, `go mod tidy`, `go work sync`,
	// `go install pkg@version`, `go run pkg@version`, `go list -m -u`,
	// version queries such as @latest): a warm module cache does not make
	// such a command offline, so it runs through gofast's proxy even when
	// the cache is known warm.
	Resolves bool
	// ModsOnly reports whether go reads only go.mod files (and version
	// lists and .info files) for this command, never a module's zip:
	// `go list -m`, `go mod graph` and `go mod verify` (which checks the
	// zips already in the cache and downloads none). A warm-up that
	// fetched zips for them would leave files in the module cache go
	// alone never writes.
	ModsOnly bool
}

// ownCommands are the first words gofast handles itself. Every other command
// line, including help, version and env, belongs to go.
var ownCommands = []string{"prefetch", "mirrors", "lockcheck", "doctor", "self"}

// OwnCommands returns gofast's own commands, the first words that are not
// go's (the app's command line must define exactly these).
func OwnCommands() []string { return append([]string(nil), ownCommands...) }

// OwnCommand reports whether a command line starting with word is one of
// gofast's own commands rather than go's.
func OwnCommand(word string) bool { return slices.Contains(ownCommands, word) }

// Action is what gofast does first with a command line.
type Action int

const (
	// PlanGo hands the command line to go: GOFAST_OFF=1, or a command
	// that never fetches modules (the full program first has go download
	// a toolchain it will switch to: see Plan.ToolchainFirst).
	PlanGo Action = iota
	// PlanOwn runs one of gofast's own commands.
	PlanOwn
	// PlanFetch is a go command that may fetch modules: warm the cache,
	// then run go (through gofast's proxy where it may still fetch).
	PlanFetch
)

// Plan is what gofast does with a command line, decided once by Route so
// that the launcher and the full program follow the same decisions and
// neither looks at the environment, the toolchain or the warm-up record
// again.
type Plan struct {
	Action Action
	// Off reports GOFAST_OFF=1: go runs alone and nothing else was
	// looked at.
	Off bool
	// GoTool is the real go tool, located for every plan but PlanOwn;
	// GoErr is why it could not be, and then nothing that needs it
	// (ToolchainFirst, Warm) was looked at.
	GoTool string
	GoErr  error
	// ToolchainFirst reports that go will download a toolchain it
	// switches to before it runs the command (even `go version` in a
	// module asking for a newer go): that download must come through
	// gofast's proxy.
	ToolchainFirst bool
	// Record is the warm-up record for this command (see warmstamp), ""
	// when none can be trusted or the command's warm-up keeps none (go
	// mod download's also extracts); a complete warm-up writes it.
	Record string
	// Warm reports that Record is valid: a complete earlier warm-up
	// found everything go.mod and go.sum name, and none of it has gone.
	Warm bool
	// GoAlone reports that go can run at once, without the warm-up or
	// gofast's proxy: GOFAST_OFF=1; a command that never fetches and
	// needs no toolchain download (or whose go tool is missing, which go
	// alone reports); or a fetching command that cannot look beyond
	// go.mod and go.sum, with no toolchain to download and a warm cache.
	GoAlone bool
}

// Route decides, for the launcher and the full program alike, what
// happens to args (the command line without the program name) in env.
// locate finds the real go tool; it is called at most once, and not for
// gofast's own commands.
func Route(env environ.Environ, args []string, locate func() (string, error)) (Plan, Invocation) {
	inv := Classify(args)
	var p Plan
	switch {
	case env.Get("GOFAST_OFF") == "1":
		p.Action, p.Off = PlanGo, true
	case len(args) > 0 && OwnCommand(args[0]):
		p.Action = PlanOwn
		return p, inv
	case inv.MayFetch:
		p.Action = PlanFetch
	default:
		p.Action = PlanGo
	}
	p.GoTool, p.GoErr = locate()
	switch {
	case p.Off:
		p.GoAlone = true
		return p, inv
	case p.GoErr != nil:
		p.GoAlone = p.Action == PlanGo
		return p, inv
	}
	_, p.ToolchainFirst = toolchain.WillDownload(env, inv.Dir, p.GoTool, inv.Args())
	if p.Action == PlanFetch && !(inv.Command == "mod" && inv.Sub == "download") {
		p.Record = warmstamp.Path(env, inv.Dir, p.GoTool)
		p.Warm = warmstamp.Valid(p.Record)
	}
	switch {
	case p.ToolchainFirst:
	case p.Action == PlanGo:
		p.GoAlone = true
	case p.Warm && !inv.Resolves:
		p.GoAlone = true
	}
	return p, inv
}

// fetching lists the go commands that may load the module graph and so
// download modules. Commands with subcommands are listed in fetchingSub.
var fetching = map[string]bool{
	"build": true, "test": true, "run": true, "install": true, "get": true,
	"list": true, "vet": true, "generate": true, "fix": true,
}

// fetchingSub lists, per command, the subcommands that may fetch modules.
var fetchingSub = map[string]map[string]bool{
	"mod":  {"download": true, "tidy": true, "graph": true, "why": true, "verify": true, "vendor": true},
	"work": {"sync": true, "vendor": true},
}

// Classify parses args (the go command line without the program name).
func Classify(args []string) Invocation {
	var inv Invocation
	i := 0
	// go also accepts -C dir before the command words.
	i = inv.chdirFlag(args, i)
	if i < len(args) {
		inv.Command = args[i]
		i++
	}
	if subs, ok := fetchingSub[inv.Command]; ok {
		if i < len(args) {
			inv.Sub = args[i]
			i++
		}
		inv.MayFetch = subs[inv.Sub]
	} else {
		inv.MayFetch = fetching[inv.Command]
	}
	// Otherwise go accepts -C dir only as the first flag after the command words.
	if inv.Dir == "" {
		i = inv.chdirFlag(args, i)
	}
	inv.Rest = args[i:]
	inv.Resolves = inv.MayFetch && resolves(inv)
	inv.ModsOnly = inv.MayFetch && modsOnly(inv)
	return inv
}

// modsOnly implements Invocation.ModsOnly for a fetching command. go list
// reads zips unless -m is given; -m is a bool flag (-m, -m=true, --m), and
// like resolves this looks at every argument before "--", since a flag
// value such as -f's never starts with "-m".
func modsOnly(inv Invocation) bool {
	switch {
	case inv.Command == "mod" && (inv.Sub == "graph" || inv.Sub == "verify"):
		return true
	case inv.Command != "list":
		return false
	}
	m := false
	for _, a := range inv.Rest {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if name == "m" {
			m = !hasVal
			if hasVal {
				m, _ = strconv.ParseBool(val)
			}
		}
	}
	return m
}

// Args returns the command line without its -C flag, as go sees it once
// it has changed directory.
func (inv Invocation) Args() []string {
	if inv.Command == "" {
		return inv.Rest
	}
	out := []string{inv.Command}
	if inv.Sub != "" {
		out = append(out, inv.Sub)
	}
	return append(out, inv.Rest...)
}

// Tools returns the package paths of a go install or go run of
// pkg@version (the module providing each is built as go's main module),
// nil for any other command line.
func (inv Invocation) Tools() []string {
	if inv.Command != "install" && inv.Command != "run" {
		return nil
	}
	var out []string
	for _, a := range inv.Rest {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		if pkg, v, ok := strings.Cut(a, "@"); ok && pkg != "" && v != "" {
			out = append(out, strings.TrimSuffix(pkg, "/..."))
		}
		if inv.Command == "run" {
			break // the rest are the program's own arguments
		}
	}
	return out
}

// resolves implements Invocation.Resolves for a fetching command.
func resolves(inv Invocation) bool {
	switch {
	case inv.Command == "get", inv.Command == "mod" && inv.Sub == "tidy", inv.Command == "work" && inv.Sub == "sync":
		return true
	case inv.Command == "mod" && inv.Sub == "download", inv.Command == "install", inv.Command == "run", inv.Command == "list":
	default:
		return false
	}
	for _, a := range inv.Rest {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if inv.Command == "list" && (name == "u" || name == "versions" || name == "retracted") {
				return true
			}
			continue
		}
		if _, v, ok := strings.Cut(a, "@"); ok && (inv.Command != "mod" || !canonical(v)) {
			return true
		}
		if inv.Command == "run" {
			// go run's first non-flag argument is the package; the
			// rest are the program's own.
			break
		}
	}
	return false
}

// canonical reports whether v is a version as go.sum records it
// (v1.2.3, v1.2.3-pre, v1.2.3+incompatible), not a query.
func canonical(v string) bool {
	return semver.IsValid(v) && semver.Canonical(v) == strings.TrimSuffix(v, "+incompatible")
}

// chdirFlag consumes a -C flag at args[i], as go's handleChdirFlag does, and
// returns the index of the next argument.
func (inv *Invocation) chdirFlag(args []string, i int) int {
	if i >= len(args) {
		return i
	}
	switch a := args[i]; {
	case (a == "-C" || a == "--C") && i+1 < len(args):
		inv.Dir = args[i+1]
		return i + 2
	case strings.HasPrefix(a, "-C=") || strings.HasPrefix(a, "--C="):
		_, inv.Dir, _ = strings.Cut(a, "=")
		return i + 1
	}
	return i
}
