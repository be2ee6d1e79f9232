package app

import (
	"strconv"
	"strings"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/wrap"
)

// A wrapped go command must leave stderr, the module cache and everything
// else as go alone would. This file holds the decisions that keep it so:
// what gofast may say during one, and what its warm-up may fetch.

// VerboseEnv is the variable that, set to 1, has a wrapped go command say
// in plain lines what the warm-up did (the prefetch summary, a warm-up
// skipped, modules left to go), as gofast's own commands always do.
const VerboseEnv = "GOFAST_VERBOSE"

// verbose reports whether GOFAST_VERBOSE=1 asks for gofast's lines
// during wrapped go commands.
func (s *session) verbose() bool { return s.env.Get(VerboseEnv) == "1" }

// quiet reports whether gofast's own lines are to be left out: during a
// wrapped go command, unless GOFAST_VERBOSE=1. Scripts and people compare
// go's stderr, and a problem the warm-up met (a bad go.mod, a checksum
// mismatch, a module it could not get) is one go meets and reports itself.
func (s *session) quiet() bool { return s.wrapped && !s.verbose() }

// notef is logf for what gofast did on the side: printed by gofast's own
// commands, and during a wrapped go command only with GOFAST_VERBOSE=1.
// gofast's fatal errors, when it does not start go at all, are not notes:
// they are returned and printed by ExitCode.
func (s *session) notef(format string, a ...any) {
	if s.quiet() {
		return
	}
	s.logf(format, a...)
}

// noWarmUp reports whether go itself fetches less than the build's zips
// for inv, so that a warm-up prefetching them would leave files in the
// module cache that go alone never writes: go list -m in every form (Dir
// is reported only for a module already extracted), go mod graph and go
// mod verify (which checks the zips already in the cache) read go.mod
// files only; go get loads only the packages it is given, at the versions
// it resolves; go install and go run of pkg@version build that package
// outside the current module, which they neither read nor build. For
// these there is no warm-up: go fetches what it reads, through the
// loopback proxy (which reads ahead for go get and pkg@version).
func noWarmUp(inv wrap.Invocation) bool {
	switch {
	case len(inv.Tools()) > 0:
		return true
	case inv.ModsOnly:
		return true
	case inv.Command == "get":
		return true
	}
	return false
}

// outsideWorkspace reports whether inv is a go work command that go
// refuses for want of a go.work (GOWORK off or none found): it fetches
// nothing, and neither may the warm-up.
func outsideWorkspace(inv wrap.Invocation, st *goenv.Settings) bool {
	return inv.Command == "work" && (st.GOWORK == "" || st.GOWORK == "off")
}

// noInfo reports whether go fetches the build's zips for inv but none of
// their .info files (go mod tidy, go mod why: they report no module
// times), so that the warm-up must leave those out (prefetch.Options.NoInfo).
func noInfo(inv wrap.Invocation) bool {
	return inv.Command == "mod" && (inv.Sub == "tidy" || inv.Sub == "why")
}

// showsFetches reports whether go is asked to print the commands it runs
// (-x on the command line or in goflags, go's GOFLAGS), its fetches among
// them ("# get URL"). A warm-up would fetch first and leave go nothing to
// print, so there is none: go's own fetches show, through the loopback.
// As in go, the command line overrides GOFLAGS, and a later flag an
// earlier one.
func showsFetches(inv wrap.Invocation, goflags string) bool {
	if v, set := boolFlag(ownFlags(inv), "x"); set {
		return v
	}
	v, _ := boolFlag(strings.Fields(goflags), "x")
	return v
}

// ownFlags returns the arguments of inv that are go's flags: those before
// the first argument for go run (the rest are the program's), and before
// -args or -- for any command.
func ownFlags(inv wrap.Invocation) []string {
	var out []string
	for _, a := range inv.Rest {
		if a == "--" || a == "-args" || a == "--args" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			if inv.Command == "run" {
				break
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// boolFlag returns the value the last of words setting the boolean flag
// name gives it, as go's flag package reads it (-name, --name,
// -name=true, -name=false, ...), and whether any word sets it.
func boolFlag(words []string, name string) (value, set bool) {
	for _, a := range words {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		n, v, hasV := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if n != name {
			continue
		}
		set = true
		if !hasV {
			value = true
			continue
		}
		b, err := strconv.ParseBool(v)
		// go rejects a value that does not parse; the flag then sets
		// nothing, and go reports the mistake itself.
		value = err == nil && b
	}
	return value, set
}

// filesOnly reports whether every proxy go would use is a file:// tree
// (GOPROXY of file:// entries, direct or off at most after them, and no
// GOFAST_MIRRORS). Such a GOPROXY has nothing to race, resume or stall
// on, so the loopback proxy does not stand in front of it: go reads the
// trees itself and names them in its own messages, as without gofast.
func filesOnly(st *goenv.Settings, env goenv.Environ) bool {
	if strings.TrimSpace(env.Get("GOFAST_MIRRORS")) != "" {
		return false
	}
	l, err := mirrors.ParseList(st.GOPROXY)
	if err != nil {
		return false
	}
	files := 0
	for _, e := range l {
		if e.Kind != mirrors.Proxy {
			continue
		}
		if !e.IsFile() {
			return false
		}
		files++
	}
	return files > 0
}
