package modset

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// scenario is one differential case: modules served by an in-process
// proxy, a main module (or workspace) on disk, and what the real
// `go mod download` puts in an empty module cache, compared with Compute.
type scenario struct {
	name string
	// mods are served by the proxy.
	mods []proxytest.Module
	// files are the main tree, by slash path. A go.sum holding every served
	// module's lines is written next to each go.mod unless files has one.
	files map[string]string
	// dir is where go runs, relative to the tree ("" for its root).
	dir string
	// env is added to the isolated go environment (GOPRIVATE=…, GOWORK=…).
	env []string
	// prefill modules are put in the cache before go runs (a private
	// module go would fetch direct, which tests cannot serve).
	prefill []module.Version
	// prepare runs after the tree is written and before Compute, with the
	// go environment (its own module cache is for it to choose).
	prepare func(t *testing.T, dir string, env []string)
	// opts adjusts the Options built from `go env`.
	opts func(*Options)
	// wantErr, when set, is part of the error Compute must return; the
	// real go mod download must fail too.
	wantErr string
	// check, when set, looks at the set further.
	check func(t *testing.T, set *Set, f *treeFetcher)
}

// treeFetcher is the Fetcher of the tests: it reads .mod files from the
// proxy tree and records every call.
type treeFetcher struct {
	tree  *proxytest.Tree
	mu    sync.Mutex
	calls map[module.Version]int
}

func newTreeFetcher(tree *proxytest.Tree) *treeFetcher {
	return &treeFetcher{tree: tree, calls: map[module.Version]int{}}
}

func (f *treeFetcher) GoMod(ctx context.Context, m module.Version) ([]byte, error) {
	f.mu.Lock()
	f.calls[m]++
	f.mu.Unlock()
	ep, err := module.EscapePath(m.Path)
	if err != nil {
		return nil, err
	}
	ev, err := module.EscapeVersion(m.Version)
	if err != nil {
		return nil, err
	}
	mf, ok := f.tree.FS[ep+"/@v/"+ev+".mod"]
	if !ok {
		return nil, fmt.Errorf("%s/@v/%s.mod: %w", ep, ev, fs.ErrNotExist)
	}
	return mf.Data, nil
}

// goTool returns the go command, skipping the test when there is none.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	return p
}

// runGo runs the real go tool in dir with env and returns its stdout.
func runGo(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(goTool(t), args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return string(out)
}

// optionsFromGoEnv builds Options the way the gofast caller does, from
// `go env -json` run in dir with env.
func optionsFromGoEnv(t *testing.T, dir string, env []string) Options {
	t.Helper()
	out := runGo(t, dir, env, "env", "-json", "GOMOD", "GOWORK", "GOFLAGS", "GOPRIVATE", "GONOPROXY", "GOVERSION", "GOMODCACHE")
	var e map[string]string
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("go env -json: %v\n%s", err, out)
	}
	return Options{
		Dir: dir, GOMOD: e["GOMOD"], GOWORK: e["GOWORK"], GOFLAGS: e["GOFLAGS"],
		GOPRIVATE: e["GOPRIVATE"], GONOPROXY: e["GONOPROXY"], GOVERSION: e["GOVERSION"],
		GOMODCACHE: e["GOMODCACHE"], Jobs: 4,
	}
}

// cacheFiles is what a module cache's cache/download tree holds.
type cacheFiles struct {
	zips, mods, infos map[module.Version]bool
}

// listCache lists the .zip, .mod and .info files under root/cache/download
// (root is a GOMODCACHE, or a corpus tree).
func listCache(t testing.TB, root string) cacheFiles {
	t.Helper()
	c := cacheFiles{zips: map[module.Version]bool{}, mods: map[module.Version]bool{}, infos: map[module.Version]bool{}}
	base := filepath.Join(root, "cache", "download")
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == base {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			if d.Name() == "sumdb" && filepath.Dir(p) == base {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(base, p)
		rel = filepath.ToSlash(rel)
		escPath, file, ok := strings.Cut(rel, "/@v/")
		if !ok {
			return nil
		}
		ext := path.Ext(file)
		var set map[module.Version]bool
		switch ext {
		case ".zip":
			set = c.zips
		case ".mod":
			set = c.mods
		case ".info":
			set = c.infos
		default:
			return nil
		}
		mp, err1 := module.UnescapePath(escPath)
		v, err2 := module.UnescapeVersion(strings.TrimSuffix(file, ext))
		if err1 != nil || err2 != nil {
			return fmt.Errorf("cache file %s: %v %v", rel, err1, err2)
		}
		set[module.Version{Path: mp, Version: v}] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// minus returns the entries of a not in b.
func minus(a, b map[module.Version]bool) map[module.Version]bool {
	out := map[module.Version]bool{}
	for m := range a {
		if !b[m] {
			out[m] = true
		}
	}
	return out
}

func setOf(list []module.Version) map[module.Version]bool {
	s := map[module.Version]bool{}
	for _, m := range list {
		s[m] = true
	}
	return s
}

// diffSets reports, one line each, what go fetched that the set lacks and
// what the set has that go did not fetch.
func diffSets(what string, fromGo, fromSet map[module.Version]bool) []string {
	var d []string
	for m := range fromGo {
		if !fromSet[m] {
			d = append(d, fmt.Sprintf("%s: go fetched %s, the set lacks it", what, m))
		}
	}
	for m := range fromSet {
		if !fromGo[m] {
			d = append(d, fmt.Sprintf("%s: the set has %s, go did not fetch it", what, m))
		}
	}
	sort.Strings(d)
	return d
}

// writeTree writes files under dir, adding go.sum files for every go.mod.
func writeTree(t *testing.T, dir string, files map[string]string, goSum string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
		if path.Base(name) == "go.mod" {
			sum := path.Join(path.Dir(name), "go.sum")
			if _, ok := files[sum]; !ok {
				if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(sum)), []byte(goSum), 0o666); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// run runs the scenario: Compute on the pristine tree, then the real go
// mod download into an empty cache, then the comparison.
func (sc scenario) run(t *testing.T) {
	t.Helper()
	goTool(t)
	tree, err := proxytest.Build(sc.mods...)
	if err != nil {
		t.Fatal(err)
	}
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	root := t.TempDir()
	writeTree(t, root, sc.files, tree.GoSum(sc.mods...))
	dir := filepath.Join(root, filepath.FromSlash(sc.dir))
	cache := t.TempDir()
	// GOPATH is private too: go keeps the checksum database's signed tree
	// head in GOPATH/pkg/sumdb, and every test server has its own key.
	env := append(proxytest.GoEnv(os.Environ(), srv, cache), "GOFLAGS=-mod=mod -modcacherw", "GOPATH="+t.TempDir())

	for _, m := range sc.prefill {
		runGo(t, t.TempDir(), env, "mod", "download", m.String())
	}
	before := listCache(t, cache)
	env = append(env, sc.env...)
	if sc.prepare != nil {
		sc.prepare(t, dir, env)
	}

	opts := optionsFromGoEnv(t, dir, env)
	f := newTreeFetcher(tree)
	opts.Fetch = f
	if sc.opts != nil {
		sc.opts(&opts)
	}
	set, err := Compute(context.Background(), opts)
	if sc.wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), sc.wantErr) {
			t.Errorf("Compute error = %v, want one containing %q", err, sc.wantErr)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("Compute error is not one line: %q", err)
		}
		cmd := exec.Command(goTool(t), "mod", "download")
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("go mod download succeeded where Compute failed:\n%s", out)
		} else {
			t.Logf("go mod download fails as well: %s", strings.TrimSpace(string(out)))
		}
		return
	}
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	checkOrderIndependent(t, opts, newTreeFetcher(tree), set)

	runGo(t, dir, env, "mod", "download")
	after := listCache(t, cache)
	got := cacheFiles{zips: minus(after.zips, before.zips), mods: minus(after.mods, before.mods), infos: minus(after.infos, before.infos)}

	t.Logf("go fetched %d zips, %d mods, %d infos; set: %d zips, %d mods, %d skipped",
		len(got.zips), len(got.mods), len(got.infos), len(set.Zips), len(set.Mods), len(set.Skipped))
	var diffs []string
	diffs = append(diffs, diffSets("zip", got.zips, setOf(set.Zips))...)
	diffs = append(diffs, diffSets("mod", got.mods, setOf(set.Mods))...)
	diffs = append(diffs, diffSets("info", got.infos, setOf(set.Zips))...)
	for _, s := range set.Skipped {
		if s.Reason != ReasonPrivate {
			continue
		}
		if !after.mods[s.Module] || s.Zip && !after.zips[s.Module] {
			diffs = append(diffs, fmt.Sprintf("private %s (zip %v) is not in the cache go used", s.Module, s.Zip))
		}
		if n := f.calls[s.Module]; n > 0 {
			diffs = append(diffs, fmt.Sprintf("private %s was fetched through the Fetcher %d times", s.Module, n))
		}
	}
	for _, d := range diffs {
		t.Error(d)
	}
	if t.Failed() {
		t.Logf("set: zips %v\nmods %v\nskipped %v\nnotes %v", set.Zips, set.Mods, set.Skipped, set.Notes)
	}
	for m, n := range f.calls {
		if n > 1 {
			t.Errorf("Fetch.GoMod(%s) called %d times, want once", m, n)
		}
	}
	if sc.check != nil {
		sc.check(t, set, f)
	}
}
