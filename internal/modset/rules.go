package modset

import (
	"fmt"
	"go/version"
	"path/filepath"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/gofastdev/gofast/internal/goenv"
)

// rules are the main modules' directives that change the module graph:
// replace and exclude (from go.mod files and go.work), plus the private
// patterns. They are fixed for one Compute.
type rules struct {
	main    map[string]bool // main module paths
	work    replaceSet      // go.work's replacements (workspace mode)
	mods    []replaceSet    // each main module's replacements, in order
	exclude map[module.Version]bool
	private goenv.Settings // GONOPROXY and GOPRIVATE, read with go's rule
}

// replaceSet is the replace directives of one file, with the directory
// relative local replacements are resolved against.
type replaceSet struct {
	dir string
	m   map[module.Version]module.Version
}

// replacement is where the content of a module version comes from.
type replacement struct {
	mod module.Version // what is downloaded: m itself or its replacement
	dir string         // for a local directory replacement: the directory
}

func (r replacement) local() bool { return r.dir != "" }

func newRules(ms *mainSet, opts Options) (*rules, error) {
	r := &rules{main: map[string]bool{}, exclude: map[module.Version]bool{}}
	r.private = goenv.Settings{GONOPROXY: opts.GONOPROXY, GOPRIVATE: opts.GOPRIVATE}
	if ms.workspace() {
		m, err := toReplaceMap(ms.workFile, ms.work.Replace)
		if err != nil {
			return nil, err
		}
		r.work = replaceSet{dir: filepath.Dir(ms.workFile), m: m}
	}
	for _, mm := range ms.mods {
		r.main[mm.file.Module.Mod.Path] = true
		m, err := toReplaceMap(mm.gomod, mm.file.Replace)
		if err != nil {
			return nil, err
		}
		r.mods = append(r.mods, replaceSet{dir: mm.root, m: m})
		for _, x := range mm.file.Exclude {
			r.exclude[x.Mod] = true
		}
	}
	return r, nil
}

// toReplaceMap indexes replace directives; the same module replaced twice
// with different targets is an error, as in go.
func toReplaceMap(file string, reps []*modfile.Replace) (map[module.Version]module.Version, error) {
	m := make(map[module.Version]module.Version, len(reps))
	for _, r := range reps {
		if prev, dup := m[r.Old]; dup && prev != r.New {
			return nil, fmt.Errorf("%s:%d: conflicting replacements for %v: %v and %v",
				file, r.Syntax.Start.Line, r.Old, prev, r.New)
		}
		m[r.Old] = r.New
	}
	return m, nil
}

// lookup finds the replacement of mod in one file: a version-specific
// directive wins over a wildcard one. from is the version matched ("" for
// a wildcard).
func (s replaceSet) lookup(mod module.Version) (from string, to module.Version, ok bool) {
	if to, ok := s.m[mod]; ok {
		return mod.Version, to, true
	}
	if to, ok := s.m[module.Version{Path: mod.Path}]; ok {
		return "", to, true
	}
	return "", module.Version{}, false
}

// replace resolves m as modload.replacementFrom does: go.work replaces
// first; then the main modules' replaces, where two modules replacing the
// same version differently is an error (go's check, quirks included: a
// wildcard directive seen later silently wins).
func (r *rules) replace(m module.Version) (replacement, error) {
	if m.Version == "" && r.main[m.Path] {
		return replacement{mod: m}, nil
	}
	if _, to, ok := r.work.lookup(m); ok {
		return r.target(to, r.work.dir), nil
	}
	var found module.Version
	var foundDir string
	for _, s := range r.mods {
		from, to, ok := s.lookup(m)
		if !ok {
			continue
		}
		if foundDir != "" && from != "" && found != to {
			return replacement{}, fmt.Errorf("conflicting replacements found for %v in workspace modules defined by %s and %s",
				m, filepath.Join(foundDir, "go.mod"), filepath.Join(s.dir, "go.mod"))
		}
		found, foundDir = to, s.dir
	}
	if foundDir == "" {
		return replacement{mod: m}, nil
	}
	return r.target(found, foundDir), nil
}

func (r *rules) target(to module.Version, dir string) replacement {
	if to.Version != "" {
		return replacement{mod: to}
	}
	local := to.Path
	if !filepath.IsAbs(local) {
		local = filepath.Join(dir, filepath.FromSlash(local))
	}
	return replacement{mod: to, dir: local}
}

// excluded drops requirements on excluded versions, as goModSummary does
// (since go 1.16 an excluded requirement is dropped, not upgraded).
func (r *rules) excluded(reqs []module.Version) []module.Version {
	if len(r.exclude) == 0 {
		return reqs
	}
	out := make([]module.Version, 0, len(reqs))
	for _, q := range reqs {
		if !r.exclude[q] {
			out = append(out, q)
		}
	}
	return out
}

// isPrivate reports whether path must never be sent to a mirror: go
// fetches it directly (goenv.Settings.NoProxy).
func (r *rules) isPrivate(path string) bool { return r.private.NoProxy(path) }

// isToolchain reports whether path is one of the pseudo-modules "go" and
// "toolchain" that go keeps in the graph for version bookkeeping; they are
// never downloaded as modules.
func isToolchain(path string) bool { return path == "go" || path == "toolchain" }

// cmpVersion orders versions of one path as the module loader does: the
// main module's empty version is above every other, the rest is semver.
func cmpVersion(v1, v2 string) int {
	switch {
	case v1 == v2:
		return 0
	case v2 == "":
		return -1
	case v1 == "":
		return 1
	case v1 == "none":
		return -1
	case v2 == "none":
		return 1
	}
	return semver.Compare(v1, v2)
}

// compareGo compares Go versions as in go.mod ("1.21", "1.21.0",
// "1.22rc1"); malformed versions sort first, as in go.
func compareGo(x, y string) int { return version.Compare("go"+x, "go"+y) }

// goVersion at which module graphs are pruned (gover.ExplicitIndirectVersion)
// and at which go.mod go lines become minimum requirements
// (gover.GoStrictVersion).
const (
	prunedGoVersion = "1.17"
	strictGoVersion = "1.21"
)

// pruningFor says how a go.mod at go version v is walked.
func pruningFor(v string) pruning {
	if compareGo(v, prunedGoVersion) < 0 {
		return unpruned
	}
	return pruned
}
