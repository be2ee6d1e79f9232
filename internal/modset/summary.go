package modset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
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
	modCache string
	mains    map[string]*modfile.File
	goLocal  string // GOVERSION without "go", "" when unknown

	mu        sync.Mutex
	sem       chan struct{}               // bounds concurrent reads (jobs)
	summaries map[module.Version]*summary // by graph node
	files     map[replacement]*fileLoad
	fetched   map[module.Version]bool // .mod files go downloads
	private   map[module.Version]bool // private .mod files go fetches itself
	notes     map[string]bool
}

// loadNode returns the summary of the graph node m, reading its go.mod
// (through its replacement) unless an earlier call did. Concurrent calls
// for nodes that share a replacement read the file once.
func (l *loader) loadNode(ctx context.Context, m module.Version) (*summary, error) {
	l.mu.Lock()
	if s, ok := l.summaries[m]; ok {
		l.mu.Unlock()
		return s, nil
	}
	if m.Version == "" && l.mains[m.Path] != nil {
		s := l.summarize(l.mains[m.Path])
		l.summaries[m] = s
		l.mu.Unlock()
		return s, nil
	}
	rep, err := l.rules.replace(m)
	if err != nil {
		l.mu.Unlock()
		return nil, err
	}
	fl, ok := l.files[rep]
	if !ok {
		fl = &fileLoad{done: make(chan struct{})}
		l.files[rep] = fl
	}
	l.mu.Unlock()
	if !ok {
		fl.f, fl.err = l.readLimited(ctx, rep)
		close(fl.done)
	}
	select {
	case <-fl.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if fl.err != nil {
		return nil, fl.err
	}
	if fl.f != nil && !rep.local() {
		if err := checkModulePath(m, rep.mod, fl.f); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.summaries[m]
	if !ok {
		s = l.summarize(fl.f)
		l.summaries[m] = s
	}
	return s, nil
}

// fileLoad is one go.mod file being read, shared by the nodes that need it.
type fileLoad struct {
	done chan struct{}
	f    *modfile.File
	err  error
}

// readLimited is read with at most l.jobs reads at once.
func (l *loader) readLimited(ctx context.Context, rep replacement) (*modfile.File, error) {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.sem }()
	return l.read(ctx, rep)
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
