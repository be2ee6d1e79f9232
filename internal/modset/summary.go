package modset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"
)

// pruning says how far below a module the graph is walked
// (modload.modPruning).
type pruning uint8

const (
	// pruned: the requirements of a go >= 1.17 module are graph edges, but
	// their own go.mod files are not read.
	pruned pruning = iota
	// unpruned: the whole transitive graph is read.
	unpruned
	// workspacePruning: the graph of a go.work workspace.
	workspacePruning
)

// summary is what the graph needs from one go.mod file.
type summary struct {
	require []module.Version // after exclusions
	pruning pruning
}

// loader reads go.mod files of module versions (after replacement) and
// remembers which it had to download: go writes every one of them to the
// module cache.
type loader struct {
	rules    *rules
	fetch    Fetcher
	jobs     int
	modCache string
	mains    map[string]*modfile.File
	goLocal  string // GOVERSION without "go", "" when unknown

	mu        sync.Mutex
	summaries map[module.Version]*summary // by graph node
	files     map[replacement]*modfile.File
	fetched   map[module.Version]bool // .mod files go downloads
	private   map[module.Version]bool // private .mod files go fetches itself
	notes     map[string]bool
}

// load returns the summaries of nodes, reading the go.mod files not
// read yet in parallel (at most l.jobs at once).
func (l *loader) load(ctx context.Context, nodes []module.Version) (map[module.Version]*summary, error) {
	type todo struct {
		node module.Version
		rep  replacement
	}
	var work []todo
	need := map[replacement]bool{}
	l.mu.Lock()
	for _, m := range nodes {
		if _, ok := l.summaries[m]; ok {
			continue
		}
		if m.Version == "" && l.mains[m.Path] != nil {
			l.summaries[m] = l.summarize(l.mains[m.Path])
			continue
		}
		rep, err := l.rules.replace(m)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		work = append(work, todo{m, rep})
		if _, ok := l.files[rep]; !ok {
			need[rep] = true
		}
	}
	l.mu.Unlock()

	reps := make([]replacement, 0, len(need))
	for rep := range need {
		reps = append(reps, rep)
	}
	sort.Slice(reps, func(i, j int) bool { return lessRep(reps[i], reps[j]) })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.jobs)
	for _, rep := range reps {
		g.Go(func() error {
			f, err := l.read(gctx, rep)
			if err != nil {
				return err
			}
			l.mu.Lock()
			l.files[rep] = f
			l.mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range work {
		f := l.files[w.rep]
		if f != nil && !w.rep.local() {
			if err := checkModulePath(w.node, w.rep.mod, f); err != nil {
				return nil, err
			}
		}
		l.summaries[w.node] = l.summarize(f)
	}
	out := make(map[module.Version]*summary, len(nodes))
	for _, m := range nodes {
		out[m] = l.summaries[m]
	}
	return out, nil
}

// read reads the go.mod of rep: from disk for a local replacement, from
// the module cache for a private module (nil if absent there), else
// through the Fetcher.
func (l *loader) read(ctx context.Context, rep replacement) (*modfile.File, error) {
	if rep.local() {
		name := filepath.Join(rep.dir, "go.mod")
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading go.mod of local replacement %s: %w", rep.mod.Path, err)
		}
		f, err := modfile.ParseLax(name, data, nil)
		if err != nil {
			return nil, oneLine(err)
		}
		return f, nil
	}
	m := rep.mod
	var data []byte
	if l.rules.isPrivate(m.Path) {
		l.mu.Lock()
		l.private[m] = true
		l.mu.Unlock()
		var err error
		data, err = l.readCached(m)
		if errors.Is(err, fs.ErrNotExist) {
			l.note(fmt.Sprintf("private module %s: go.mod not in the module cache; its requirements were not walked", m))
			return nil, nil
		}
		if err != nil {
			return nil, module.VersionError(m, err)
		}
	} else {
		if l.fetch == nil {
			return nil, module.VersionError(m, errors.New("reading go.mod: no Fetcher given"))
		}
		var err error
		data, err = l.fetch.GoMod(ctx, m)
		if err != nil {
			return nil, module.VersionError(m, fmt.Errorf("reading go.mod: %w", err))
		}
		l.mu.Lock()
		l.fetched[m] = true
		l.mu.Unlock()
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return nil, module.VersionError(m, fmt.Errorf("parsing %w", oneLine(err)))
	}
	return f, nil
}

// readCached reads m's .mod file from the module cache.
func (l *loader) readCached(m module.Version) ([]byte, error) {
	if l.modCache == "" {
		return nil, fs.ErrNotExist
	}
	ep, err := module.EscapePath(m.Path)
	if err != nil {
		return nil, err
	}
	ev, err := module.EscapeVersion(m.Version)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(l.modCache, "cache", "download", filepath.FromSlash(ep), "@v", ev+".mod"))
}

// summarize turns a go.mod file into a summary (modload.summaryFromModFile
// and goModSummary's exclusions). A nil file (a private module whose
// go.mod could not be read) has no requirements.
func (l *loader) summarize(f *modfile.File) *summary {
	s := &summary{pruning: unpruned}
	if f == nil {
		s.pruning = pruned
		return s
	}
	if f.Go != nil {
		s.pruning = pruningFor(f.Go.Version)
		if l.goLocal != "" && compareGo(f.Go.Version, strictGoVersion) >= 0 && compareGo(f.Go.Version, l.goLocal) > 0 {
			l.notes[fmt.Sprintf("a go.mod needs go >= %s (running go %s): go switches toolchains or fails; toolchain downloads are not in the set", f.Go.Version, l.goLocal)] = true
		}
	}
	for _, r := range f.Require {
		s.require = append(s.require, r.Mod)
	}
	s.require = l.rules.excluded(s.require)
	return s
}

// checkModulePath rejects a go.mod whose module line names neither the
// required path nor its replacement, as goModSummary does.
func checkModulePath(node, actual module.Version, f *modfile.File) error {
	if f.Module == nil || f.Module.Mod.Path == "" {
		return module.VersionError(actual, errors.New("parsing go.mod: missing module line"))
	}
	if mp := f.Module.Mod.Path; mp != node.Path && mp != actual.Path {
		return module.VersionError(actual, fmt.Errorf("parsing go.mod: module declares its path as %s but was required as %s", mp, node.Path))
	}
	return nil
}

func (l *loader) note(s string) {
	l.mu.Lock()
	l.notes[s] = true
	l.mu.Unlock()
}

func lessRep(a, b replacement) bool {
	if a.mod.Path != b.mod.Path {
		return a.mod.Path < b.mod.Path
	}
	if a.mod.Version != b.mod.Version {
		return a.mod.Version < b.mod.Version
	}
	return a.dir < b.dir
}
