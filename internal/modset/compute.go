package modset

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// defaultJobs bounds concurrent Fetch calls when Options.Jobs is 0.
const defaultJobs = 16

// compute follows cmd/go's runDownload with no arguments:
//
//   - in a workspace, the modules downloaded are the module pattern "all":
//     the build list of the workspace graph;
//   - for a main module at go >= 1.17 (or with no go line, which go fills
//     in with its own version), the full (pruned) module graph is loaded,
//     the roots are brought up to their selected versions, and the modules
//     downloaded are the selected versions of the paths the go.mod file
//     requires;
//   - for a main module below go 1.17, "all": every module of the
//     unpruned build list.
//
// Mods are every go.mod go downloads: those read while loading the graph
// plus those of the downloaded modules.
func compute(ctx context.Context, opts Options) (*Set, error) {
	ms, err := loadMain(opts)
	if err != nil {
		return nil, err
	}
	if !opts.IgnoreVendor {
		vendor, err := ms.vendorMode()
		if err != nil {
			return nil, err
		}
		if vendor {
			return &Set{Vendor: true}, nil
		}
	}
	sums := NewSums()
	for _, f := range ms.sumFiles() {
		if err := readGoSumFile(f, sums); err != nil {
			return nil, err
		}
	}
	rules, err := newRules(ms, opts)
	if err != nil {
		return nil, err
	}
	l := &loader{
		rules:     rules,
		fetch:     opts.Fetch,
		modCache:  opts.GOMODCACHE,
		mains:     map[string]*modfile.File{},
		goLocal:   localGoVersion(opts.GOVERSION),
		summaries: map[module.Version]*summary{},
		files:     map[replacement]*fileLoad{},
		fetched:   map[module.Version]bool{},
		private:   map[module.Version]bool{},
		notes:     map[string]bool{},
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = defaultJobs
	}
	l.sem = make(chan struct{}, jobs)
	for _, mm := range ms.mods {
		l.mains[mm.file.Module.Mod.Path] = mm.file
		l.noteToolchain(mm.gomod, mm.file.Go, mm.file.Toolchain)
	}
	if ms.workspace() {
		l.noteToolchain(ms.workFile, ms.work.Go, ms.work.Toolchain)
	}

	if opts.Likely != nil && !ms.workspace() {
		opts.Likely(l.likelyZips(ms.mods[0]), sums)
	}
	var list []module.Version
	if ms.workspace() {
		list, err = l.workspaceList(ctx, ms)
	} else {
		list, err = l.moduleList(ctx, ms.mods[0])
	}
	if err != nil {
		return nil, err
	}
	return l.assemble(list, sums)
}

// moduleList returns the modules (before replacement) that `go mod
// download` downloads for a single main module.
func (l *loader) moduleList(ctx context.Context, mm *mainModule) ([]module.Version, error) {
	f := mm.file
	if len(f.Require) == 0 {
		return nil, nil // go: "no module dependencies to download"
	}
	main := module.Version{Path: f.Module.Mod.Path}
	var roots []module.Version
	for _, r := range f.Require {
		// go drops requirements on excluded versions, and a requirement
		// on the main module itself as redundant.
		if !l.rules.exclude[r.Mod] && r.Mod.Path != main.Path {
			roots = append(roots, r.Mod)
		}
	}
	roots = maxPerPath(roots)

	if f.Go != nil && pruningFor(f.Go.Version) == unpruned {
		g, err := l.readGraph(ctx, unpruned, main, roots)
		if err != nil {
			return nil, err
		}
		return withoutMain(g.buildList()), nil
	}
	if f.Go == nil {
		// go adds a go line (its own version) and converts the roots to a
		// pruned set: every module of the unpruned build list.
		g, err := l.readGraph(ctx, unpruned, main, roots)
		if err != nil {
			return nil, err
		}
		roots = withoutMain(g.buildList())
	}

	// LoadModGraph, then updatePrunedRoots until every root is at its
	// selected version.
	var g *graph
	for {
		var err error
		g, err = l.readGraph(ctx, pruned, main, roots)
		if err != nil {
			return nil, err
		}
		changed := false
		next := make([]module.Version, len(roots))
		for i, r := range roots {
			next[i] = module.Version{Path: r.Path, Version: g.sel(r.Path)}
			changed = changed || next[i] != r
		}
		if !changed {
			break
		}
		roots = next
	}

	var list []module.Version
	seen := map[string]bool{}
	for _, r := range f.Require {
		p := r.Mod.Path
		if seen[p] || p == main.Path {
			continue
		}
		seen[p] = true
		v := g.sel(p)
		if v == "none" {
			return nil, fmt.Errorf("%s:%d: module %s: not a known dependency (every required version is excluded)",
				mm.gomod, r.Syntax.Start.Line, p)
		}
		list = append(list, module.Version{Path: p, Version: v})
	}
	return list, nil
}

// workspaceList returns the modules (before replacement) that `go mod
// download` downloads in a workspace: the build list less the workspace
// modules.
func (l *loader) workspaceList(ctx context.Context, ms *mainSet) ([]module.Version, error) {
	roots := make([]module.Version, len(ms.mods))
	for i, mm := range ms.mods {
		roots[i] = module.Version{Path: mm.file.Module.Mod.Path}
	}
	g, err := l.readGraph(ctx, workspacePruning, module.Version{}, roots)
	if err != nil {
		return nil, err
	}
	return withoutMain(g.buildList()), nil
}

// assemble applies replacements and private patterns to the downloaded
// modules and builds the Set.
func (l *loader) assemble(list []module.Version, sums *Sums) (*Set, error) {
	set := &Set{Sums: sums}
	zips := map[module.Version]bool{}
	privateZip := map[module.Version]bool{}
	for _, m := range list {
		rep, err := l.rules.replace(m)
		if err != nil {
			return nil, err
		}
		switch {
		case rep.local():
			set.Skipped = append(set.Skipped, Skip{Module: m, Reason: ReasonLocal})
		case l.rules.isPrivate(rep.mod.Path):
			privateZip[rep.mod] = true
		default:
			zips[rep.mod] = true
		}
	}
	mods := map[module.Version]bool{}
	for m := range l.fetched {
		mods[m] = true
	}
	for m := range zips {
		mods[m] = true
	}
	private := map[module.Version]bool{}
	for m := range l.private {
		private[m] = true
	}
	for m := range privateZip {
		private[m] = true
	}
	for _, m := range sortedVersions(private) {
		set.Skipped = append(set.Skipped, Skip{Module: m, Reason: ReasonPrivate, Zip: privateZip[m]})
	}
	set.Zips = sortedVersions(zips)
	set.Mods = sortedVersions(mods)
	for _, m := range set.Mods {
		if len(sums.Mod(m)) == 0 || zips[m] && len(sums.Zip(m)) == 0 {
			set.Skipped = append(set.Skipped, Skip{Module: m, Reason: ReasonNoSum, Zip: zips[m]})
		}
	}
	for n := range l.notes {
		set.Notes = append(set.Notes, n)
	}
	sort.Strings(set.Notes)
	return set, nil
}

// noteToolchain notes a go or toolchain line that asks for a newer Go than
// the running one: go would switch toolchains (downloading the
// golang.org/toolchain module) unless GOTOOLCHAIN=local, where it fails.
// Toolchain modules are never part of the set.
func (l *loader) noteToolchain(file string, goLine *modfile.Go, tc *modfile.Toolchain) {
	if l.goLocal == "" {
		return
	}
	if goLine != nil && compareGo(goLine.Version, l.goLocal) > 0 {
		l.notes[fmt.Sprintf("%s: go %s is newer than the running go %s: go switches toolchains (or fails with GOTOOLCHAIN=local); toolchain downloads are not in the set", file, goLine.Version, l.goLocal)] = true
	}
	if tc != nil {
		if v, ok := strings.CutPrefix(tc.Name, "go"); ok && compareGo(v, l.goLocal) > 0 {
			l.notes[fmt.Sprintf("%s: toolchain %s is newer than the running go %s: with GOTOOLCHAIN=auto go downloads it; toolchain downloads are not in the set", file, tc.Name, l.goLocal)] = true
		}
	}
}

// localGoVersion turns GOVERSION ("go1.26.8", "go1.27rc1 X:foo") into a
// go.mod style version, or "" for a development toolchain.
func localGoVersion(v string) string {
	v, _, _ = strings.Cut(v, " ")
	v, ok := strings.CutPrefix(v, "go")
	if !ok || compareGo(v, "1") < 0 {
		return ""
	}
	return v
}

// maxPerPath keeps the highest version of each path, sorted by path, as
// go does for redundant roots before loading the graph.
func maxPerPath(list []module.Version) []module.Version {
	best := map[string]string{}
	for _, m := range list {
		if v, ok := best[m.Path]; !ok || cmpVersion(v, m.Version) < 0 {
			best[m.Path] = m.Version
		}
	}
	out := make([]module.Version, 0, len(best))
	for p, v := range best {
		out = append(out, module.Version{Path: p, Version: v})
	}
	sortModules(out)
	return out
}

// withoutMain drops main modules (version "") and the toolchain
// pseudo-modules from a build list.
func withoutMain(list []module.Version) []module.Version {
	out := list[:0:0]
	for _, m := range list {
		if m.Version != "" && !isToolchain(m.Path) {
			out = append(out, m)
		}
	}
	return out
}
