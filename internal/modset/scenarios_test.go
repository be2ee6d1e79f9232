package modset

import (
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// gomod writes a go.mod: module path, a go line (none if goV is ""), and
// requirements given as "path version" (optionally "// indirect").
func gomod(path, goV string, reqs ...string) string {
	var b strings.Builder
	b.WriteString("module " + path + "\n")
	if goV != "" {
		b.WriteString("\ngo " + goV + "\n")
	}
	if len(reqs) > 0 {
		b.WriteString("\nrequire (\n")
		for _, r := range reqs {
			b.WriteString("\t" + r + "\n")
		}
		b.WriteString(")\n")
	}
	return b.String()
}

// mod is a served module version with a go.mod built by gomod.
func mod(path, version, goV string, reqs ...string) proxytest.Module {
	return proxytest.Module{Path: path, Version: version, GoMod: gomod(path, goV, reqs...)}
}

func mv(path, version string) module.Version { return module.Version{Path: path, Version: version} }

// chain serves the deep chain c1 -> c2 -> ... -> cn at go goV, each at two
// versions, the newer requiring the newer next link.
func chain(goV string, n int) []proxytest.Module {
	var mods []proxytest.Module
	for i := 1; i <= n; i++ {
		p := "example.com/chain/c" + string(rune('0'+i))
		next := "example.com/chain/c" + string(rune('0'+i+1))
		if i == n {
			mods = append(mods, mod(p, "v1.0.0", goV), mod(p, "v1.1.0", goV))
			continue
		}
		mods = append(mods, mod(p, "v1.0.0", goV, next+" v1.0.0"), mod(p, "v1.1.0", goV, next+" v1.1.0"))
	}
	return mods
}

func TestDifferentialPrunedGraph(t *testing.T) {
	t.Parallel()
	mods := append(chain("1.21", 5),
		mod("example.com/a", "v1.0.0", "1.21", "example.com/chain/c1 v1.0.0"),
		mod("example.com/a", "v1.1.0", "1.21", "example.com/chain/c1 v1.1.0", "example.com/b v1.2.0"),
		mod("example.com/b", "v1.0.0", "1.21"),
		mod("example.com/b", "v1.2.0", "1.21", "example.com/chain/c3 v1.1.0"),
		mod("example.com/b", "v1.3.0", "1.21"),
		mod("example.com/u", "v1.0.0", "1.21"),
		mod("example.com/u", "v1.1.0", "1.16", "example.com/chain/c4 v1.1.0"),
		mod("example.com/raiser", "v1.0.0", "1.21", "example.com/u v1.1.0"),
	)
	t.Run("tidy", func(t *testing.T) {
		t.Parallel()
		scenario{
			mods: mods,
			files: map[string]string{"go.mod": gomod("example.com/main", "1.21",
				"example.com/a v1.1.0",
				"example.com/b v1.2.0 // indirect",
				"example.com/chain/c1 v1.1.0 // indirect",
			)},
			check: func(t *testing.T, set *Set, f *treeFetcher) {
				// c1 is pruned (go 1.21): its requirement c2 is never read.
				if f.calls[mv("example.com/chain/c2", "v1.1.0")] != 0 {
					t.Error("the pruned c2 go.mod was read")
				}
			},
		}.run(t)
	})
	t.Run("roots-behind-selection", func(t *testing.T) {
		t.Parallel()
		// The main go.mod asks for b v1.0.0, c1 v1.0.0 and u v1.0.0 while
		// a v1.1.0 requires b v1.2.0 and c1 v1.1.0 and raiser requires u
		// v1.1.0: go raises the roots to the selected versions and loads the
		// graph again, now reading below u v1.1.0 (go 1.16, unpruned).
		scenario{
			mods: mods,
			files: map[string]string{"go.mod": gomod("example.com/main", "1.22",
				"example.com/a v1.1.0",
				"example.com/b v1.0.0",
				"example.com/chain/c1 v1.0.0",
				"example.com/u v1.0.0",
				"example.com/raiser v1.0.0",
			)},
			check: func(t *testing.T, set *Set, f *treeFetcher) {
				if !setOf(set.Zips)[mv("example.com/b", "v1.2.0")] {
					t.Errorf("b not raised to v1.2.0: %v", set.Zips)
				}
				if !setOf(set.Mods)[mv("example.com/chain/c5", "v1.1.0")] {
					t.Errorf("the graph below the raised u v1.1.0 was not read: %v", set.Mods)
				}
			},
		}.run(t)
	})
	t.Run("duplicate-roots", func(t *testing.T) {
		t.Parallel()
		scenario{
			mods:  mods,
			files: map[string]string{"go.mod": "module example.com/main\n\ngo 1.21\n\nrequire example.com/b v1.0.0\n\nrequire example.com/b v1.3.0\n"},
		}.run(t)
	})
}

func TestDifferentialUnpruned(t *testing.T) {
	t.Parallel()
	mods := append(chain("1.21", 4),
		mod("example.com/old", "v1.0.0", "1.16", "example.com/mid v1.0.0"),
		mod("example.com/mid", "v1.0.0", "1.21", "example.com/chain/c1 v1.0.0", "example.com/leaf v1.1.0"),
		mod("example.com/leaf", "v1.0.0", ""),
		mod("example.com/leaf", "v1.1.0", "", "example.com/chain/c4 v1.1.0"),
		mod("example.com/new", "v1.0.0", "1.21", "example.com/leaf v1.0.0"),
	)
	t.Run("dependency-at-go1.16", func(t *testing.T) {
		t.Parallel()
		// old is unpruned: everything below it is read, through the
		// pruned mid and the go-line-less leaf.
		scenario{
			mods: mods,
			files: map[string]string{"go.mod": gomod("example.com/main", "1.21",
				"example.com/old v1.0.0", "example.com/new v1.0.0",
				"example.com/leaf v1.1.0 // indirect",
			)},
		}.run(t)
	})
	t.Run("main-at-go1.16", func(t *testing.T) {
		t.Parallel()
		// An unpruned main module downloads "all": the whole build list.
		scenario{
			mods:  mods,
			files: map[string]string{"go.mod": gomod("example.com/main", "1.16", "example.com/new v1.0.0", "example.com/old v1.0.0")},
		}.run(t)
	})
	t.Run("main-without-go-line", func(t *testing.T) {
		t.Parallel()
		scenario{
			mods:  mods,
			files: map[string]string{"go.mod": gomod("example.com/main", "", "example.com/new v1.0.0", "example.com/old v1.0.0")},
		}.run(t)
	})
}

func TestDifferentialReplace(t *testing.T) {
	t.Parallel()
	mods := []proxytest.Module{
		mod("example.com/a", "v1.0.0", "1.21"),
		mod("example.com/afork", "v1.5.0", "1.21", "example.com/dep v1.1.0"),
		mod("example.com/b", "v1.1.0", "1.21"),
		mod("example.com/b", "v1.0.0", "1.21"),
		mod("example.com/bfork", "v1.2.0", "1.21"),
		// bfork2 declares the path it replaces, which go accepts.
		{Path: "example.com/bfork2", Version: "v0.1.0", GoMod: gomod("example.com/b", "1.16", "example.com/dep v1.0.0")},
		mod("example.com/dep", "v1.0.0", "1.21"),
		mod("example.com/dep", "v1.1.0", "1.21"),
		mod("example.com/old", "v1.0.0", "1.16", "example.com/b v1.0.0"),
		mod("example.com/local", "v1.0.0", "1.21"),
		mod("example.com/q", "v1.0.0", "1.21"),
		mod("example.com/q", "v1.3.0", "1.21"),
		mod("example.com/r", "v1.0.0", "1.21"),
	}
	t.Run("module-to-module", func(t *testing.T) {
		t.Parallel()
		// a v1.0.0 has a version-specific replacement; every version of b
		// a wildcard one, except b v1.0.0 (reached through the unpruned
		// old) whose version-specific one wins.
		scenario{
			mods: mods,
			files: map[string]string{"go.mod": gomod("example.com/main", "1.21",
				"example.com/a v1.0.0", "example.com/b v1.1.0", "example.com/old v1.0.0",
				"example.com/dep v1.1.0 // indirect",
			) + "\nreplace example.com/a v1.0.0 => example.com/afork v1.5.0\n" +
				"\nreplace example.com/b => example.com/bfork v1.2.0\n" +
				"\nreplace example.com/b v1.0.0 => example.com/bfork2 v0.1.0\n"},
		}.run(t)
	})
	t.Run("local-directory", func(t *testing.T) {
		t.Parallel()
		// local is replaced by a directory whose go.mod (go 1.16, so
		// unpruned) requires q v1.3.0 and r: they enter the graph, q is
		// raised above the main go.mod's v1.0.0, r's go.mod is read.
		scenario{
			mods: mods,
			files: map[string]string{
				"go.mod": gomod("example.com/main", "1.21",
					"example.com/local v1.0.0", "example.com/q v1.0.0",
				) + "\nreplace example.com/local => ./local\n",
				"local/go.mod": gomod("example.com/local", "1.16", "example.com/q v1.3.0", "example.com/r v1.0.0"),
			},
			check: func(t *testing.T, set *Set, f *treeFetcher) {
				if f.calls[mv("example.com/local", "v1.0.0")] != 0 {
					t.Error("the locally replaced module was fetched")
				}
				want := Skip{Module: mv("example.com/local", "v1.0.0"), Reason: ReasonLocal}
				if len(set.Skipped) != 1 || set.Skipped[0] != want {
					t.Errorf("Skipped = %v, want [%v]", set.Skipped, want)
				}
			},
		}.run(t)
	})
}

func TestDifferentialExclude(t *testing.T) {
	t.Parallel()
	mods := []proxytest.Module{
		mod("example.com/old", "v1.0.0", "1.16", "example.com/b v1.1.0", "example.com/c v1.0.0"),
		mod("example.com/b", "v1.1.0", "1.21", "example.com/d v1.0.0"),
		mod("example.com/b", "v1.2.0", "1.21"),
		mod("example.com/b", "v1.0.0", "1.21"),
		mod("example.com/c", "v1.0.0", "1.21"),
		mod("example.com/d", "v1.0.0", "1.21"),
		mod("example.com/a", "v1.0.0", "1.21", "example.com/b v1.0.0"),
	}
	t.Run("transitive", func(t *testing.T) {
		t.Parallel()
		// old requires the excluded b v1.1.0: the edge is dropped, so b
		// v1.1.0's go.mod (and d) are never read.
		scenario{
			mods: mods,
			files: map[string]string{"go.mod": gomod("example.com/main", "1.21",
				"example.com/old v1.0.0", "example.com/b v1.2.0", "example.com/c v1.0.0 // indirect",
			) + "\nexclude example.com/b v1.1.0\n"},
		}.run(t)
	})
	t.Run("root", func(t *testing.T) {
		t.Parallel()
		// The main go.mod requires an excluded version: go drops it and
		// downloads the version the rest of the graph selects.
		scenario{
			mods: mods,
			files: map[string]string{"go.mod": gomod("example.com/main", "1.21",
				"example.com/a v1.0.0", "example.com/b v1.1.0",
			) + "\nexclude example.com/b v1.1.0\n"},
		}.run(t)
	})
}

func TestDifferentialWorkspace(t *testing.T) {
	t.Parallel()
	mods := []proxytest.Module{
		mod("example.com/x", "v1.0.0", "1.21", "example.com/y v1.0.0"),
		mod("example.com/x", "v1.1.0", "1.21", "example.com/y v1.0.0"),
		mod("example.com/y", "v1.0.0", "1.21", "example.com/z v1.0.0"),
		mod("example.com/y", "v1.1.0", "1.21", "example.com/z v1.0.0"),
		mod("example.com/z", "v1.0.0", "1.21"),
		mod("example.com/old", "v1.0.0", "1.16", "example.com/z v1.0.0"),
		mod("example.com/w", "v1.0.0", "1.21"),
		mod("example.com/wfork", "v1.0.0", "1.21"),
		mod("example.com/ws/b", "v1.0.0", "1.21", "example.com/x v1.0.0"),
		mod("example.com/viawork", "v1.0.0", "1.21"),
		mod("example.com/viamod", "v1.0.0", "1.21"),
		mod("example.com/v", "v1.0.0", "1.21"),
		mod("example.com/v", "v1.2.0", "1.21"),
	}
	files := map[string]string{
		// go.work replaces w by another module and viawork by a directory
		// (relative to go.work); a's go.mod replaces viamod by a directory
		// relative to a/. Both directories' requirements enter the graph.
		"go.work": "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n\nreplace example.com/w => example.com/wfork v1.0.0\n" +
			"\nreplace example.com/viawork => ./lw\n",
		"a/go.mod": gomod("example.com/ws/a", "1.21",
			"example.com/x v1.0.0", "example.com/old v1.0.0", "example.com/w v1.0.0", "example.com/ws/b v1.0.0",
			"example.com/viawork v1.0.0", "example.com/viamod v1.0.0") +
			"\nreplace example.com/viamod v1.0.0 => ../lm\n",
		"lw/go.mod": gomod("example.com/viawork", "1.16", "example.com/v v1.0.0"),
		"lm/go.mod": gomod("example.com/viamod", "1.21", "example.com/v v1.2.0"),
		"b/go.mod":  gomod("example.com/ws/b", "1.22", "example.com/x v1.1.0", "example.com/y v1.1.0"),
		// The sums of x v1.1.0 are only in go.work.sum; b has no go.sum.
		"b/go.sum": "",
	}
	sc := scenario{mods: mods, files: files, dir: "a"}
	t.Run("two-modules", func(t *testing.T) {
		t.Parallel()
		tree := proxytest.MustBuild(mods...)
		sc := sc
		sc.files = map[string]string{}
		for k, v := range files {
			sc.files[k] = v
		}
		sc.files["go.work.sum"] = tree.GoSum(mods[1])
		sc.env = []string{"GOWORK="} // found from the directory, as usual
		sc.check = func(t *testing.T, set *Set, f *treeFetcher) {
			// a requires x v1.0.0 but x v1.1.0 is selected: go reads the
			// requirements of x v1.1.0 (y v1.0.0) although x is pruned.
			if !setOf(set.Mods)[mv("example.com/y", "v1.0.0")] {
				t.Errorf("y v1.0.0 not read: %v", set.Mods)
			}
			// a requires the workspace module b at a version: go reads
			// that version's go.mod from the proxy.
			if !setOf(set.Mods)[mv("example.com/ws/b", "v1.0.0")] {
				t.Errorf("ws/b v1.0.0 not read: %v", set.Mods)
			}
			if got := set.Sums.Zip(mv("example.com/x", "v1.1.0")); len(got) != 1 {
				t.Errorf("go.work.sum line of x v1.1.0 not read: %v", got)
			}
		}
		sc.run(t)
	})
}

func TestDifferentialPrivate(t *testing.T) {
	t.Parallel()
	mods := []proxytest.Module{
		mod("example.com/private/p", "v1.0.0", "1.16", "example.com/d1 v1.0.0"),
		mod("example.com/d1", "v1.0.0", "1.21", "example.com/d2 v1.0.0"),
		mod("example.com/d2", "v1.0.0", "1.21"),
		mod("example.com/pub", "v1.0.0", "1.21"),
	}
	scenario{
		mods: mods,
		files: map[string]string{"go.mod": gomod("example.com/main", "1.21",
			"example.com/private/p v1.0.0", "example.com/pub v1.0.0", "example.com/d1 v1.0.0 // indirect")},
		env:     []string{"GOPRIVATE=example.com/private"},
		prefill: []module.Version{mv("example.com/private/p", "v1.0.0")},
		check: func(t *testing.T, set *Set, f *treeFetcher) {
			want := Skip{Module: mv("example.com/private/p", "v1.0.0"), Reason: ReasonPrivate, Zip: true}
			if len(set.Skipped) != 1 || set.Skipped[0] != want {
				t.Errorf("Skipped = %v, want [%v]", set.Skipped, want)
			}
			for m := range f.calls {
				if strings.HasPrefix(m.Path, "example.com/private") {
					t.Errorf("Fetch called for private %v", m)
				}
			}
		},
	}.run(t)
}

func TestDifferentialPathsAndIndirect(t *testing.T) {
	t.Parallel()
	mods := []proxytest.Module{
		mod("example.com/Upper/Case", "v1.0.0", "1.21", "example.com/lib/v3 v3.1.0"),
		mod("example.com/lib/v3", "v3.1.0", "1.21"),
		mod("example.com/lib/v3", "v3.2.0-RC.1", "1.21"),
		mod("example.com/lib", "v1.9.0", "1.21"),
		mod("gopkg.in/yaml.v3", "v3.0.1", "1.21"),
		mod("example.com/pseudo2", "v0.0.0-20240102030405-abcdefabcdef", "1.21"),
	}
	scenario{
		mods: mods,
		files: map[string]string{"go.mod": gomod("example.com/main", "1.21",
			"example.com/Upper/Case v1.0.0",
			"example.com/lib v1.9.0",
			"example.com/lib/v3 v3.2.0-RC.1 // indirect",
			"gopkg.in/yaml.v3 v3.0.1 // indirect",
			"example.com/pseudo2 v0.0.0-20240102030405-abcdefabcdef // indirect",
		)},
	}.run(t)
}
