package prefetch

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// cacheListing lists every file below root (lock files too), by slash
// path.
func cacheListing(t *testing.T, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	return out
}

// TestSpeculativeZipOutsideTheSetIsNeverPublished has the module set
// guess a zip (as an untidy go.mod makes it guess) that the walk then
// does not confirm: whether the set is known before or after that zip
// was downloaded and staged, nothing of it may reach the cache, while the
// confirmed guess is published as usual.
func TestSpeculativeZipOutsideTheSetIsNeverPublished(t *testing.T) {
	big := proxytest.Module{Path: "example.com/big", Version: "v1.0.0", Files: map[string]string{"big.txt": randomText(3<<20, 2)}}
	mods := []proxytest.Module{
		testMods[0],
		{Path: "example.com/wrong", Version: "v1.0.0", Files: map[string]string{"w.go": "package w\n"}},
		big,
	}
	tree := proxytest.MustBuild(mods...)
	confirmed := mv(mods[0])
	for _, tc := range []struct {
		name  string
		guess proxytest.Module
		// settleAfter is the event on the guess after which the walk
		// "ends"; "" ends it at once.
		settleAfter string
	}{
		{"staged before the set is known", mods[1], "stage-done"},
		{"streamed before the set is known", big, "stage-streamed"},
		{"set known first", big, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
			cache := newCache(t)
			guess := mv(tc.guess)
			reached := make(chan struct{})
			var once sync.Once
			var mu sync.Mutex
			var events []string
			opts := Options{
				Settings: settings(cache, srv.URL),
				Extract:  true,
				Compute: func(ctx context.Context, o modset.Options) (*modset.Set, error) {
					sums := modset.NewSums()
					for _, m := range mods {
						sums.Add(mv(m), false, tree.Sum[m.Path+" "+m.Version])
						sums.Add(mv(m), true, tree.Sum[m.Path+" "+m.Version+"/go.mod"])
					}
					o.Likely([]module.Version{confirmed, guess}, sums)
					if tc.settleAfter != "" {
						<-reached
					}
					return &modset.Set{Zips: []module.Version{confirmed}, Mods: []module.Version{confirmed}, Sums: sums}, nil
				},
			}
			e, err := newEngine(opts)
			if err != nil {
				t.Fatal(err)
			}
			e.trace = func(ev string, m module.Version) {
				mu.Lock()
				events = append(events, ev+" "+m.String())
				mu.Unlock()
				if m == guess && ev == tc.settleAfter {
					once.Do(func() { close(reached) })
				}
			}
			rep, err := e.run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.Err(); err != nil {
				t.Fatal(err)
			}
			files := cacheListing(t, cache)
			for f := range files {
				if strings.Contains(f, tc.guess.Path) {
					t.Errorf("%s is in the cache", f)
				}
			}
			ep, _ := module.EscapePath(tc.guess.Path)
			if left, _ := filepath.Glob(filepath.Join(cache, ep+"@*")); len(left) > 0 {
				t.Errorf("left in the cache: %v", left)
			}
			for _, ext := range []string{"zip", "ziphash", "info", "mod"} {
				if !files["cache/download/"+treeFile(mods[0], ext)] {
					t.Errorf("confirmed guess: no .%s", ext)
				}
			}
			if r := byPath(rep)[guess.String()]; r != nil {
				t.Errorf("the report lists the unconfirmed guess: %+v", r)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.settleAfter != "" && !contains(events, "zip-discarded "+guess.String()) {
				t.Errorf("guess not discarded after %s: %v", tc.settleAfter, events)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestUntidyGoModLikeGo runs the real walk on a main module whose go.mod
// requires b below the version the graph selects (so the zip guessed from
// go.mod is wrong) and compares the cache with what the real go mod
// download leaves in an empty one.
func TestUntidyGoModLikeGo(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	mod := func(path, version string, reqs ...string) proxytest.Module {
		gm := "module " + path + "\n\ngo 1.21\n"
		for _, r := range reqs {
			gm += "require " + r + "\n"
		}
		return proxytest.Module{Path: path, Version: version, GoMod: gm, Files: map[string]string{"x.go": "package x\n"}}
	}
	mods := []proxytest.Module{
		mod("example.com/a", "v1.1.0", "example.com/b v1.2.0"),
		mod("example.com/b", "v1.0.0"),
		mod("example.com/b", "v1.2.0"),
		mod("example.com/c", "v1.0.0"),
	}
	tree := proxytest.MustBuild(mods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	gomod := "module example.com/main\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.1.0\n\texample.com/b v1.0.0\n\texample.com/c v1.0.0\n)\n"

	listing := func(cache string) []string {
		var out []string
		for f := range cacheListing(t, filepath.Join(cache, "cache", "download")) {
			switch filepath.Ext(f) {
			case ".zip", ".ziphash", ".info", ".mod":
				out = append(out, f)
			}
		}
		sort.Strings(out)
		return out
	}
	workdir := func() string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o666)
		os.WriteFile(filepath.Join(dir, "go.sum"), []byte(tree.GoSum(mods...)), 0o666)
		return dir
	}

	goCache := newCache(t)
	cmd := exec.Command(goTool, "mod", "download")
	cmd.Dir = workdir()
	cmd.Env = proxytest.GoEnv(os.Environ(), srv, goCache)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}

	cache := newCache(t)
	dir := workdir()
	st := settings(cache, srv.URL)
	st.GOMOD = filepath.Join(dir, "go.mod")
	st.GOVERSION = runtime.Version()
	var mu sync.Mutex
	var discarded []string
	e, err := newEngine(Options{Dir: dir, Settings: st, Extract: true, IgnoreVendor: true})
	if err != nil {
		t.Fatal(err)
	}
	e.trace = func(ev string, m module.Version) {
		if ev == "zip-unneeded" {
			mu.Lock()
			discarded = append(discarded, m.String())
			mu.Unlock()
		}
	}
	rep, err := e.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	got, want := listing(cache), listing(goCache)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cache differs from go's: %s", diffSets(got, want))
	}
	if len(want) != 13 {
		t.Errorf("go left %d files, want 13 (4 .mod; .zip, .ziphash, .info of 3): %v", len(want), want)
	}
	if len(discarded) != 1 || discarded[0] != "example.com/b@v1.0.0" {
		t.Errorf("unneeded guesses %v, want example.com/b@v1.0.0", discarded)
	}
}
