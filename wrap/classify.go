package wrap

import "strings"

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
}

// ownCommands are the first words gofast handles itself. Every other command
// line, including help, version and env, belongs to go.
var ownCommands = map[string]bool{
	"prefetch": true, "mirrors": true, "lockcheck": true, "doctor": true, "self": true,
}

// OwnCommand reports whether a command line starting with word is one of
// gofast's own commands rather than go's.
func OwnCommand(word string) bool { return ownCommands[word] }

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
	return inv
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
