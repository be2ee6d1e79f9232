package modset

import (
	"context"
	"sort"

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
// go reads the files concurrently as they are discovered; here they are
// read wave by wave, each wave in parallel. The set read is the same.
func (l *loader) readGraph(ctx context.Context, p pruning, main module.Version, roots []module.Version) (*graph, error) {
	var g *graph
	if p == workspacePruning {
		g = newGraph(roots)
	} else {
		g = newGraph([]module.Version{main})
		g.require(main, roots)
	}

	type item struct {
		m module.Version
		p pruning
	}
	loading := map[item]bool{}
	var queue []item
	enqueue := func(m module.Version, p pruning) {
		if m.Version == "none" || loading[item{m, p}] {
			return
		}
		loading[item{m, p}] = true
		queue = append(queue, item{m, p})
	}
	drain := func() error {
		for len(queue) > 0 {
			wave := queue
			queue = nil
			nodes := make([]module.Version, len(wave))
			for i, it := range wave {
				nodes[i] = it.m
			}
			sums, err := l.load(ctx, nodes)
			if err != nil {
				return err
			}
			for _, it := range wave {
				s := sums[it.m]
				g.require(it.m, s.require)
				next := s.pruning
				if it.p == unpruned {
					next = unpruned
				}
				for _, r := range s.require {
					if it.p != pruned || s.pruning == unpruned {
						enqueue(r, next)
					}
				}
			}
		}
		return nil
	}

	for _, m := range roots {
		enqueue(m, p)
	}
	if err := drain(); err != nil {
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
			enqueue(m, workspacePruning)
			seen[m] = true
			hasDepsInAll[m.Path] = true
		}
		if err := drain(); err != nil {
			return nil, err
		}
	}
}

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
