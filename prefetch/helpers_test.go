package prefetch

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// testMods are the modules most tests serve.
var testMods = []proxytest.Module{
	{Path: "example.com/dep", Version: "v1.0.0", Files: map[string]string{"dep.go": "package dep\n\nconst X = 1\n", "sub/sub.go": "package sub\n"}},
	{Path: "example.com/other/v2", Version: "v2.3.4", GoMod: "module example.com/other/v2\n\ngo 1.21\n\nrequire example.com/dep v1.0.0\n"},
	{Path: "example.com/Upper", Version: "v0.1.0"},
	{Path: "example.com/modonly", Version: "v0.5.0", ModOnly: true},
}

// fixedSet is a modset.Compute stand-in returning the set of tree's
// modules, so engine tests do not depend on the graph walker.
func fixedSet(tree *proxytest.Tree, mods []proxytest.Module) func(context.Context, modset.Options) (*modset.Set, error) {
	return func(ctx context.Context, o modset.Options) (*modset.Set, error) {
		set := &modset.Set{Sums: modset.NewSums()}
		for _, m := range mods {
			mv := module.Version{Path: m.Path, Version: m.Version}
			set.Mods = append(set.Mods, mv)
			if h, ok := tree.Sum[m.Path+" "+m.Version+"/go.mod"]; ok {
				set.Sums.Add(mv, true, h)
			}
			if m.ModOnly {
				continue
			}
			set.Zips = append(set.Zips, mv)
			if h, ok := tree.Sum[m.Path+" "+m.Version]; ok {
				set.Sums.Add(mv, false, h)
			}
		}
		return set, nil
	}
}

// newCache returns an empty module cache directory that the test can
// remove even after extraction made directories read-only.
func newCache(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { modcache.RemoveAll(dir) })
	return dir
}

// settings are go settings for a test: the cache, GOPROXY, and no
// private patterns.
func settings(cache, goproxy string) *goenv.Settings {
	return &goenv.Settings{GOMODCACHE: cache, GOPROXY: goproxy, GOFLAGS: "-mod=mod"}
}

// cacheFile returns the path of m's file in cache.
func cacheFile(t *testing.T, cache string, m proxytest.Module, ext string) string {
	t.Helper()
	p, err := module.EscapePath(m.Path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := module.EscapeVersion(m.Version)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(cache, "cache", "download", filepath.FromSlash(p), "@v", v+"."+ext)
}

func mv(m proxytest.Module) module.Version { return module.Version{Path: m.Path, Version: m.Version} }

// byPath indexes a report.
func byPath(rep *Report) map[string]*ModuleReport {
	out := map[string]*ModuleReport{}
	for _, r := range rep.Modules {
		out[r.Path+"@"+r.Version] = r
	}
	return out
}

// treeFile is m's file name in a proxytest tree.
func treeFile(m proxytest.Module, ext string) string {
	rel, err := relPath(mv(m), ext)
	if err != nil {
		panic(err)
	}
	return rel
}

type (
	modsetOptions = modset.Options
	modsetSet     = modset.Set
)
