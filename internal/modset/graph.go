package modset

import (
	"context"
	"sort"
	"sync"

	"golang.org/x/mod/module"
)

// graph is the module requirement graph with incremental MVS selection
// (cmd/go/internal/mvs.Graph): every version that appears as a root or a
// requirement of a loaded module counts, and the selected version of a
// path is the highest of them.
type graph struct {
	roots    []module.Version
	required map[module.Version][]module.Version
	selected map[string]string
}

func newGraph(roots []module.Version) *graph {
	g := &graph{roots: roots, required: map[module.Version][]module.Version{}, selected: map[string]string{}}
	for _, m := range roots {
		g.bump(m)
	}
	return g
}

func (g *graph) bump(m module.Version) {
	if cmpVersion(g.sel(m.Path), m.Version) < 0 {
		g.selected[m.Path] = m.Version
	}
}

// require records m's requirements (once per m).
func (g *graph) require(m module.Version, reqs []module.Version) {
	if _, dup := g.required[m]; dup {
		return
	}
	g.required[m] = reqs
	for _, r := range reqs {
		g.bump(r)
	}
}

// sel returns the selected version of path, or "none".
func (g *graph) sel(path string) string {
	if v, ok := g.selected[path]; ok {
		return v
	}
	return "none"
}

// buildList returns the selected version of every path in the graph,
// sorted by path.
func (g *graph) buildList() []module.Version {
	list := make([]module.Version, 0, len(g.selected))
	for p, v := range g.selected {
		list = append(list, module.Version{Path: p, Version: v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	return list
}

// readGraph loads the graph from roots as modload.readModGraph does. In
// module mode the single main module requires the roots; in workspace mode
// the roots are the main modules themselves.
//
// The rules of what is read (enqueue in readModGraph): a module reached
// under pruning p has its go.mod read; its requirements are read in turn
// unless p is pruned and the module itself is at go >= 1.17. Below an
// unpruned module everything is read. In a workspace every requirement of
// a workspace module is read, and so is every requirement of a module whose
// selected version is above what another workspace-relevant module asked
// for (the fixed point at the end).
//
// Like go, the walk streams: each go.mod is fetched as soon as the module
// that requires it has been read (at most l.jobs fetches at once), so a
// deep graph costs one round trip per level only along its longest chain,
// not one per level for the slowest file of every level. Which files are
// read depends only on the (module, pruning) pairs reached, never on the
// order they arrive in, so the graph is the same as a breadth-first walk's.
func (l *loader) readGraph(ctx context.Context, p pruning, main module.Version, roots []module.Version) (*graph, error) {
	var g *graph
	if p == workspacePruning {
		g = newGraph(roots)
	} else {
		g = newGraph([]module.Version{main})
		g.require(main, roots)
	}
	w := newWalk(ctx, l, g)
	defer w.stop()
	for _, m := range roots {
		w.enqueue(m, p)
	}
	if err := w.wait(); err != nil {
		return nil, err
	}
	if p != workspacePruning {
		return g, nil
	}

	// Workspace mode: reload the dependencies of the main modules that are
	// not at their selected versions, until nothing changes.
	hasDepsInAll := map[string]bool{}
	seen := map[module.Version]bool{}
	for _, m := range roots {
		hasDepsInAll[m.Path] = true
	}
	for {
		needs := map[module.Version]bool{}
		for p := range hasDepsInAll {
			m := module.Version{Path: p, Version: g.sel(p)}
			if !seen[m] {
				needs[m] = true
				continue
			}
			for _, r := range g.required[m] {
				s := module.Version{Path: r.Path, Version: g.sel(r.Path)}
				if cmpVersion(s.Version, r.Version) > 0 && !seen[s] {
					needs[s] = true
				}
			}
		}
		if len(needs) == 0 {
			return g, nil
		}
		for _, m := range sortedVersions(needs) {
			w.enqueue(m, workspacePruning)
			seen[m] = true
			hasDepsInAll[m.Path] = true
		}
		if err := w.wait(); err != nil {
			return nil, err
		}
	}
}

// walkItem is a module reached under a pruning.
type walkItem struct {
	m module.Version
	p pruning
}

// walk reads go.mod files as they are discovered, each in its own
// goroutine, into g. The graph and the set of items reached are guarded by
// mu; between wait and the next enqueue the caller may read g freely.
type walk struct {
	l      *loader
	g      *graph
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	loading map[walkItem]bool
	err     error
	pending sync.WaitGroup
}

func newWalk(ctx context.Context, l *loader, g *graph) *walk {
	ctx, cancel := context.WithCancel(ctx)
	return &walk{l: l, g: g, ctx: ctx, cancel: cancel, loading: map[walkItem]bool{}}
}

// enqueue starts reading m under pruning p unless it was reached before.
// The caller must not hold w.mu unless it is a visit adding children.
func (w *walk) enqueue(m module.Version, p pruning) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.enqueueLocked(m, p)
}

func (w *walk) enqueueLocked(m module.Version, p pruning) {
	it := walkItem{m, p}
	if m.Version == "none" || w.loading[it] || w.err != nil {
		return
	}
	w.loading[it] = true
	w.pending.Add(1)
	go w.visit(it)
}

// visit reads one module's go.mod, records its requirements and enqueues
// those the pruning rules say to read.
func (w *walk) visit(it walkItem) {
	defer w.pending.Done()
	s, err := w.l.loadNode(w.ctx, it.m)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		if w.err == nil {
			w.err = err
			w.cancel()
		}
		return
	}
	if w.err != nil {
		return
	}
	w.g.require(it.m, s.require)
	next := s.pruning
	if it.p == unpruned {
		next = unpruned
	}
	for _, r := range s.require {
		if it.p != pruned || s.pruning == unpruned {
			w.enqueueLocked(r, next)
		}
	}
}

// wait waits until every enqueued module and everything reached from it
// has been read, and returns the first error.
func (w *walk) wait() error {
	w.pending.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// stop releases the walk's context once the graph is read.
func (w *walk) stop() { w.cancel() }

func sortedVersions(set map[module.Version]bool) []module.Version {
	list := make([]module.Version, 0, len(set))
	for m := range set {
		list = append(list, m)
	}
	sortModules(list)
	return list
}

// sortModules sorts by path, then by version (semver order).
func sortModules(list []module.Version) {
	sort.Slice(list, func(i, j int) bool {
		if list[i].Path != list[j].Path {
			return list[i].Path < list[j].Path
		}
		return cmpVersion(list[i].Version, list[j].Version) < 0
	})
}
