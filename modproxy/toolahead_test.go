package modproxy

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// TestToolPlan: at go 1.17 and later a tool module's requirements are the
// go.mod files go reads, and those with a zip hash in its go.sum the zips
// of the build; below go 1.17, go.sum's go.mod hashes name the go.mod
// files of the graph walk, and no zip is decided. Older versions' zips and
// any module with replace or exclude directives (which go refuses to
// install) are left out.
func TestToolPlan(t *testing.T) {
	t.Parallel()
	m := module.Version{Path: "example.com/tool", Version: "v1.0.0"}
	gosum := []byte(`example.com/a v1.0.0 h1:aaa=
example.com/a v1.0.0/go.mod h1:amod=
example.com/b v1.1.0 h1:bold=
example.com/b v1.1.0/go.mod h1:boldmod=
example.com/b v1.2.0 h1:bbb=
example.com/b v1.2.0/go.mod h1:bmod=
example.com/c v1.0.0/go.mod h1:cmod=
not a go.sum line
example.com/d v1.0.0 h2:future=
`)
	gomod := func(goLine, extra string) []byte {
		return []byte("module example.com/tool\n\ngo " + goLine + "\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.2.0\n\texample.com/c v1.0.0 // indirect\n\texample.com/d v1.0.0\n)\n" + extra)
	}
	v := func(p, ver string) module.Version { return module.Version{Path: p, Version: ver} }
	sumMods := []module.Version{v("example.com/a", "v1.0.0"), v("example.com/b", "v1.1.0"), v("example.com/b", "v1.2.0"), v("example.com/c", "v1.0.0")}
	wantMods := []module.Version{v("example.com/a", "v1.0.0"), v("example.com/b", "v1.2.0"), v("example.com/c", "v1.0.0"), v("example.com/d", "v1.0.0")}

	mods, zips := toolPlan(m, gomod("1.21", ""), gosum)
	if !slices.Equal(mods, wantMods) {
		t.Errorf("mods = %v, want %v", mods, wantMods)
	}
	if want := []module.Version{v("example.com/a", "v1.0.0"), v("example.com/b", "v1.2.0")}; !slices.Equal(zips, want) {
		t.Errorf("zips = %v, want %v", zips, want)
	}
	if mods, zips := toolPlan(m, gomod("1.16", ""), gosum); !slices.Equal(mods, sumMods) || zips != nil {
		t.Errorf("go 1.16: mods, zips = %v, %v; want the go.mod files and no zips", mods, zips)
	}
	for _, extra := range []string{"replace example.com/a => ../a\n", "exclude example.com/b v1.1.0\n"} {
		if mods, zips := toolPlan(m, gomod("1.21", extra), gosum); mods != nil || zips != nil {
			t.Errorf("with %q: mods, zips = %v, %v; want nothing", extra, mods, zips)
		}
	}
	if mods, zips := toolPlan(m, []byte("not a go.mod ("), gosum); mods != nil || zips != nil {
		t.Errorf("bad go.mod: mods, zips = %v, %v; want nothing", mods, zips)
	}
}

// toolTree returns a tree with a tool module example.com/tool v1.0.0 (go
// 1.21) whose command example.com/tool/cmd/t imports example.com/a and
// example.com/b, and whose test imports example.com/c: all three are in
// its go.mod and go.sum, as go mod tidy writes them.
func toolTree(t *testing.T) (*proxytest.Tree, []proxytest.Module) {
	t.Helper()
	deps := []proxytest.Module{
		{Path: "example.com/a", Version: "v1.0.0", GoMod: "module example.com/a\n\ngo 1.21\n"},
		{Path: "example.com/b", Version: "v1.0.0", GoMod: "module example.com/b\n\ngo 1.21\n"},
		{Path: "example.com/c", Version: "v1.0.0", GoMod: "module example.com/c\n\ngo 1.21\n"},
	}
	gosum := proxytest.MustBuild(deps...).GoSum(deps...)
	tool := proxytest.Module{
		Path:    "example.com/tool",
		Version: "v1.0.0",
		GoMod:   "module example.com/tool\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n\texample.com/c v1.0.0\n)\n",
		Files: map[string]string{
			"go.sum":          gosum,
			"cmd/t/main.go":   "package main\n\nimport (\n\t\"example.com/a\"\n\t\"example.com/b\"\n)\n\nfunc main() { println(a.Version, b.Version) }\n",
			"cmd/t/t_test.go": "package main\n\nimport (\n\t\"testing\"\n\n\t\"example.com/c\"\n)\n\nfunc TestC(t *testing.T) { t.Log(c.Version) }\n",
		},
	}
	return proxytest.MustBuild(append(deps, tool)...), deps
}

// TestRealGoInstallReadAhead: go install -n of a tool's package at a
// version, outside any module and with the checksum database verifying
// every file, through the proxy with Tools set: it succeeds; the proxy
// reads the go.mod and zip of every requirement ahead from the tool's own
// go.mod and go.sum, so that no file is asked of the mirror twice and
// go's requests for a and b find their zips read ahead; c's go.mod and
// zip (needed only by the tool's test) are the over-fetch, counted as
// unused.
func TestRealGoInstallReadAhead(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	tree, deps := toolTree(t)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	cache := t.TempDir()
	h := &Handler{ReadAheadZips: true, Tools: []string{"example.com/tool/cmd/t"}}
	lb := startWith(t, good.URL, &goenv.Settings{GOMODCACHE: cache, GOSUMDB: good.GOSUMDB}, time.Minute, h)
	env := proxytest.GoEnv(os.Environ(), good, cache)
	env = append(env, "GOPROXY="+lb.URL, "GOFLAGS=-modcacherw", "GOPATH="+t.TempDir())
	cmd := exec.Command(goTool, "install", "-n", "example.com/tool/cmd/t@v1.0.0")
	cmd.Dir, cmd.Env = t.TempDir(), env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install -n: %v\n%s", err, out)
	}
	h.zips.running.Wait()
	if err := lb.Close(); err != nil {
		t.Fatal(err)
	}
	for _, m := range deps {
		for _, ext := range []string{".mod", ".zip"} {
			p := "/" + m.Path + "/@v/" + m.Version + ext
			if n := good.Count(p); n != 1 {
				t.Errorf("%s asked of the mirror %d times, want 1", p, n)
			}
		}
	}
	size := func(m proxytest.Module) int64 {
		return int64(len(tree.FS[m.Path+"/@v/"+m.Version+".zip"].Data))
	}
	used, unused := h.ZipsReadAhead()
	if want := size(deps[0]) + size(deps[1]); used < want {
		t.Errorf("zips read ahead and used: %d bytes, want at least a's and b's, %d", used, want)
	}
	if want := size(deps[2]); unused != want {
		t.Errorf("zips read ahead and never asked for: %d bytes, want c's, %d", unused, want)
	}
	// go loads the graph lazily: it reads the go.mod (and, to stamp the
	// binary, the .info) of each module that provides a package of the
	// build, and never c's.
	c := int64(len(tree.FS["example.com/c/@v/v1.0.0.mod"].Data) + len(tree.FS["example.com/c/@v/v1.0.0.info"].Data))
	if mu, mun := h.ReadAhead(); mu == 0 || mun != c {
		t.Errorf(".mod and .info files read ahead: used %d, unused %d; want some used and c's unused (%d)", mu, mun, c)
	}
	for _, m := range deps[:2] {
		if n := good.Count("/" + m.Path + "/@v/" + m.Version + ".info"); n != 1 {
			t.Errorf("%s's .info asked of the mirror %d times, want 1", m.Path, n)
		}
	}
}

// TestToolZipFromCache: a tool's zip already in the module cache still
// starts the read-ahead of its build when go is served it from there.
func TestToolZipFromCache(t *testing.T) {
	tree, deps := toolTree(t)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS})
	cache := t.TempDir()
	dl := filepath.Join(cache, "cache", "download", "example.com", "tool", "@v")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".zip", ".ziphash", ".mod", ".info"} {
		data := []byte("h1:unused")
		if f := tree.FS["example.com/tool/@v/v1.0.0"+ext]; f != nil {
			data = f.Data
		}
		if err := os.WriteFile(filepath.Join(dl, "v1.0.0"+ext), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := &Handler{Tools: []string{"example.com/tool/cmd/t"}}
	h.Sums = sumsOf(t, tree) // go.sum records them: the read-ahead may fetch them
	lb := startWith(t, good.URL, &goenv.Settings{GOMODCACHE: cache}, time.Minute, h)
	if code, _ := get(t, lb.URL+"/example.com/tool/@v/v1.0.0.zip"); code != 200 {
		t.Fatalf("tool zip: %d", code)
	}
	h.zips.running.Wait()
	h.ahead.await(idle)
	for _, m := range deps {
		if n := good.Count("/" + m.Path + "/@v/" + m.Version + ".zip"); n != 1 {
			t.Errorf("%s's zip read ahead %d times, want 1", m.Path, n)
		}
	}
	if n := good.Count("/example.com/tool/@v/v1.0.0.zip"); n != 0 {
		t.Errorf("the cached tool zip was asked of the mirror %d times", n)
	}
}

// TestTilesReadAhead: a lookup answer the proxy fetches starts the tiles
// go reads to authenticate it; go's requests for them are then answered
// from memory, so that the mirror is asked for each tile once. The
// database holds 300 records before the test (more than one tile of
// them), looked up first, so its tree no longer grows.
func TestTilesReadAhead(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	var mods []proxytest.Module
	for i := range 300 {
		mods = append(mods, proxytest.Module{Path: fmt.Sprintf("example.com/filler%03d", i), Version: "v1.0.0", ModOnly: true})
	}
	targets := []proxytest.Module{{Path: "example.com/x", Version: "v1.0.0"}, {Path: "example.com/y", Version: "v1.0.0"}}
	mods = append(mods, targets...)
	tree := proxytest.MustBuild(mods...)
	good := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup})
	for _, m := range mods {
		resp, err := http.Get(good.URL + "/sumdb/sum.test/lookup/" + m.Path + "@" + m.Version)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("lookup %s: %s", m.Path, resp.Status)
		}
	}
	cache := t.TempDir()
	h := &Handler{}
	lb := startWith(t, good.URL, &goenv.Settings{GOMODCACHE: cache, GOSUMDB: good.GOSUMDB}, time.Minute, h)
	env := proxytest.GoEnv(os.Environ(), good, cache)
	env = append(env, "GOPROXY="+lb.URL, "GOFLAGS=-modcacherw", "GOPATH="+t.TempDir())
	cmd := exec.Command(goTool, "mod", "download", "-json", "example.com/x@v1.0.0", "example.com/y@v1.0.0")
	cmd.Dir, cmd.Env = t.TempDir(), env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	lb.Close()
	tiles := map[string]int{}
	for _, p := range good.Requests() {
		if strings.Contains(p, "/tile/") {
			tiles[p]++
		}
	}
	if len(tiles) == 0 {
		t.Fatal("no tile was asked of the mirror")
	}
	for p, n := range tiles {
		if n != 1 {
			t.Errorf("%s asked of the mirror %d times, want 1", p, n)
		}
	}
	if used, _ := h.TilesReadAhead(); used == 0 {
		t.Error("go was served no tile read ahead")
	}
	// A tile go took is in go's cache now: the proxy keeps it no longer.
	h.tiles.mu.Lock()
	for p, e := range h.tiles.byPath {
		if e.used {
			t.Errorf("tile %s is still held after go took it", p)
		}
	}
	h.tiles.mu.Unlock()
	// So is every lookup go was served.
	h.lookups.mu.Lock()
	for rel := range h.lookups.byMV {
		for _, m := range targets {
			if rel == "lookup/"+m.Path+"@"+m.Version {
				t.Errorf("%s is still held after go took it", rel)
			}
		}
	}
	h.lookups.mu.Unlock()
}
